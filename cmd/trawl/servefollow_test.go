package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcdtest"
	"github.com/trawlhq/trawl/internal/btcindex"
)

// TestServeFollowsBtcd runs `trawl serve --btc-rpc` against a real btcd on
// regtest. The served index follows the node: a block with a signed spend
// shows on the REST tx and address routes within seconds, and the chain
// analysis moves to it without waiting for its 30 s refresh; /readyz and
// /metrics show the tip and the lag. Then the node invalidates the tip and
// mines a longer branch whose first block spends the same coin to someone
// else: REST shows the new branch, the abandoned transaction is gone. On
// SIGTERM (the context's end) the follower stops, then the index closes;
// its checksum equals a fresh ingest of the node's chain. Run with -race:
// queries and the analysis read while the follower writes.
func TestServeFollowsBtcd(t *testing.T) {
	n := btcdtest.Start(t)
	hashes := n.Generate(t, 101)
	data := t.TempDir()
	passFile := filepath.Join(t.TempDir(), "rpcpass")
	if err := os.WriteFile(passFile, []byte(n.Pass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli(t, "admin", "org", "create", "fiu", "--data", data)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "fiu", "--role", "analyst", "--data", data)
	in := start(t, "serve", "--data", data, "--btc-rpc", n.URL, "--btc-rpc-user", n.User, "--btc-rpc-pass-file", passFile,
		"--btc-poll", "200ms", "--btc-rpc-check", "1")
	get := func(path string) response { return do(t, nil, "GET", in.url+path, k.Token, nil) }
	// ready returns /readyz's btc section.
	ready := func() map[string]any {
		r := do(t, nil, "GET", in.url+"/readyz", "", nil)
		if r.status != 200 {
			t.Fatalf("/readyz: %d %s", r.status, r.body)
		}
		btc, _ := r.json(t)["btc"].(map[string]any)
		if btc == nil {
			t.Fatalf("/readyz has no btc section: %s", r.body)
		}
		return btc
	}
	waitFor := func(what string, within time.Duration, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > within {
				t.Fatalf("%s: not within %v; readyz %v\n%s", what, within, ready(), in.stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		return time.Since(start)
	}
	num := func(m map[string]any, k string) int {
		v, ok := m[k].(float64)
		if !ok {
			return -2
		}
		return int(v)
	}
	waitFor("the index at the node's tip 101", 60*time.Second, func() bool { return num(ready(), "tip_height") == 101 })
	if btc := ready(); num(btc, "lag_blocks") != 0 || num(btc, "source_height") != 101 || btc["following"] != true {
		t.Fatalf("readyz after the first sync: %v", btc)
	}

	// A block with a spend of the first coinbase to alice.
	cb := n.Block(t, hashes[0]).Transactions[0]
	coin := btcdtest.Spend{Point: wire.OutPoint{Hash: cb.TxHash()}, Value: cb.TxOut[0].Value, Script: cb.TxOut[0].PkScript, Owner: n.Miner}
	alice, bob := btcdtest.NewKey(7), btcdtest.NewKey(8)
	tx1, err := btcdtest.SignedTx([]btcdtest.Spend{coin}, []btcdtest.Pay{{Script: alice.WitnessScript, Value: coin.Value - 5000}})
	if err != nil {
		t.Fatal(err)
	}
	n.Send(t, tx1)
	n.Generate(t, 1)
	took := waitFor("tx1 on REST", 10*time.Second, func() bool { return get("/api/v1/btc/tx/"+tx1.TxHash().String()).status == 200 })
	t.Logf("a new block's transaction was served %v after it was mined (poll 200ms)", took.Round(time.Millisecond))
	r := get("/api/v1/btc/address/" + alice.WitnessAddr)
	if r.status != 200 || !strings.Contains(string(r.body), `"balance":`+jsonInt(coin.Value-5000)) {
		t.Fatalf("alice after tx1: %d %s", r.status, r.body)
	}
	took = waitFor("the analysis at height 102", 10*time.Second, func() bool { return num(ready(), "analysis_height") == 102 })
	t.Logf("the analysis reached the new tip %v after the index", took.Round(time.Millisecond))

	// The reorg: the tip goes, and tx2 spends the same coin to bob in the
	// first block of a longer branch.
	_, tip := n.Tip(t)
	n.Call(t, nil, "invalidateblock", tip.String())
	tx2, err := btcdtest.SignedTx([]btcdtest.Spend{coin}, []btcdtest.Pay{{Script: bob.Script, Value: coin.Value - 50_000}})
	if err != nil {
		t.Fatal(err)
	}
	n.Send(t, tx2)
	branch := n.Generate(t, 2)
	waitFor("the new branch on REST", 10*time.Second, func() bool { return get("/api/v1/btc/tx/"+tx2.TxHash().String()).status == 200 })
	if r := get("/api/v1/btc/tx/" + tx1.TxHash().String()); r.status != 404 {
		t.Fatalf("tx1 of the abandoned branch: %d %s", r.status, r.body)
	}
	if r := get("/api/v1/btc/address/" + alice.WitnessAddr); r.status != 404 {
		t.Fatalf("alice, paid only on the abandoned branch: %d %s", r.status, r.body)
	}
	var blk struct {
		Hash string `json:"hash"`
	}
	if r := get("/api/v1/btc/block/102"); r.status != 200 || json.Unmarshal(r.body, &blk) != nil || blk.Hash != branch[0].String() {
		t.Fatalf("block 102: %d %s, want %s", r.status, r.body, branch[0])
	}
	waitFor("readyz at 103 with no lag", 10*time.Second, func() bool {
		btc := ready()
		return num(btc, "tip_height") == 103 && num(btc, "lag_blocks") == 0
	})
	waitFor("the analysis on the new branch", 10*time.Second, func() bool { return num(ready(), "analysis_height") == 103 })
	m := do(t, nil, "GET", in.url+"/metrics", "", nil)
	for _, want := range []string{"trawl_btc_index_tip_height 103", "trawl_btc_index_lag_blocks 0", "trawl_btc_follow_blocks_disconnected_total 1", "trawl_btc_analysis_tip_height 103"} {
		if !strings.Contains(string(m.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// SIGTERM: the follower stops, then the index closes.
	in.stop()
	select {
	case code := <-in.done:
		in.done <- code // for the cleanup
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, in.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop in 30 s")
	}
	log := in.stderr.String()
	if i, j := strings.Index(log, "btc follow: stopped"), strings.LastIndex(log, "msg=stopped"); i < 0 || j < 0 {
		t.Fatalf("no clean stop logged:\n%s", log)
	}
	if strings.Contains(log, n.Pass) {
		t.Fatal("serve logged the RPC password")
	}
	x, err := btcindex.Open(filepath.Join(data, "btc"), btcindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	fresh, err := btcindex.Open(t.TempDir(), btcindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.IngestFrom(context.Background(), n.RPC, nil); err != nil {
		t.Fatal(err)
	}
	a, err1 := x.Checksum()
	b, err2 := fresh.Checksum()
	if err1 != nil || err2 != nil || a != b {
		t.Fatalf("the followed index differs from a fresh ingest of the node (%v %v)", err1, err2)
	}
}

// TestServeFollowsBlockFiles: serve follows a blocks directory that is
// empty at first (the failure shows on /readyz, serving goes on), then
// indexes the block files once they appear and serves their transactions.
// Flags that cannot work are refused before serving.
func TestServeFollowsBlockFiles(t *testing.T) {
	for _, args := range [][]string{
		{"--btc-blocks", "x"},
		{"--btc-follow"},
		{"--btc-blocks", "x", "--btc-follow", "--btc-rpc", "http://127.0.0.1:1/"},
		{"--btc-blocks", "x", "--btc-follow", "--btc-poll", "1ms"},
	} {
		// A serve that starts instead stops after 30 s and fails the case.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var errb syncBuffer
		m := &Main{Stdout: io.Discard, Stderr: &errb, LookupEnv: noEnv}
		code := m.Run(ctx, append([]string{"serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, args...))
		cancel()
		if code != 2 || !strings.Contains(errb.String(), "--btc-") {
			t.Errorf("serve %v: exit %d: %s", args, code, errb.String())
		}
	}

	dir := t.TempDir()
	sim := filepath.Join(dir, "sim")
	if _, e, code := cli(t, "simulate", "--seed", "3", "--txs", "4000", "--out", sim, "--network", "regtest"); code != 0 {
		t.Fatal(e)
	}
	var truth struct {
		Thefts []struct {
			Txid string `json:"txid"`
		} `json:"thefts"`
	}
	raw, err := os.ReadFile(filepath.Join(sim, "truth.json"))
	if err != nil || json.Unmarshal(raw, &truth) != nil || len(truth.Thefts) == 0 {
		t.Fatalf("truth: %v", err)
	}
	blocks := filepath.Join(dir, "blocks")
	if err := os.Mkdir(blocks, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	cli(t, "admin", "org", "create", "fiu", "--data", data)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "fiu", "--role", "analyst", "--data", data)
	in := start(t, "serve", "--data", data, "--btc-blocks", blocks, "--btc-follow", "--btc-poll", "200ms")
	btc := func() map[string]any {
		m, _ := do(t, nil, "GET", in.url+"/readyz", "", nil).json(t)["btc"].(map[string]any)
		return m
	}
	deadline := time.Now().Add(20 * time.Second)
	for btc()["last_error"] == nil {
		if time.Now().After(deadline) {
			t.Fatalf("an empty blocks directory shows no error on /readyz: %v", btc())
		}
		time.Sleep(50 * time.Millisecond)
	}
	files, _ := filepath.Glob(filepath.Join(sim, "blk*.dat"))
	if len(files) == 0 {
		t.Fatal("the simulator wrote no block files")
	}
	for _, f := range files {
		if err := os.Rename(f, filepath.Join(blocks, filepath.Base(f))); err != nil {
			t.Fatal(err)
		}
	}
	for do(t, nil, "GET", in.url+"/api/v1/btc/tx/"+truth.Thefts[0].Txid, k.Token, nil).status != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("the theft is not served: readyz %v\n%s", btc(), in.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if m := btc(); m["last_error"] != nil || m["lag_blocks"] != float64(0) || m["tip_height"].(float64) < 1 {
		t.Fatalf("readyz after the files appeared: %v", m)
	}
}
