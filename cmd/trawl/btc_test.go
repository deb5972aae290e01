package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/config"
	"github.com/trawlhq/trawl/internal/testenv"
)

// runBTC runs one of the Bitcoin commands (not yet registered in
// Main.commands) the way Main.run does: flags, then run.
func runBTC(t *testing.T, dataDir string, root *command, args ...string) (string, error) {
	t.Helper()
	cmd := root
	for len(args) > 0 && len(cmd.subs) > 0 {
		next := cmd.find(args[0])
		if next == nil {
			t.Fatalf("no command %q", args[0])
		}
		cmd, args = next, args[1:]
	}
	var out bytes.Buffer
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	e := &env{m: &Main{Stdout: &out, Stderr: io.Discard}, out: &out, fs: fs,
		cfg: &config.Loaded{Config: config.Config{DataDir: dataDir}}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	fs.BoolVar(&e.json, "json", false, "")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for i := len(e.closer) - 1; i >= 0; i-- {
			e.closer[i]()
		}
	}()
	err = cmd.run(context.Background(), e, pos)
	return out.String(), err
}

func TestBTCCommands(t *testing.T) {
	blk := testenv.SharedData(t, "btc/blocksci-regtest/blk00000.dat")
	data := t.TempDir()
	out, err := runBTC(t, data, ingestCommand(), "btc", "--blocks", filepath.Dir(blk), "--json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct{ Height, Txs int }
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Height != 201 || res.Txs != 356 {
		t.Fatalf("ingest: %s %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(data, "btc")); err != nil {
		t.Fatal("index not in <data>/btc:", err)
	}
	raw, _ := os.ReadFile(filepath.Join(filepath.Dir(blk), "output.json"))
	var labels map[string]any
	json.Unmarshal(raw, &labels)
	addr := labels["address-p2wpkh-spend-0"].(string)
	txid := labels["address-p2wpkh-spend-0-tx"].(string)

	out, err = runBTC(t, data, btcCommand(), "address", addr, "--json")
	if err != nil || !strings.Contains(out, txid) {
		t.Fatalf("address: %s %v", out, err)
	}
	out, err = runBTC(t, data, btcCommand(), "tx", txid)
	if err != nil || !strings.Contains(out, addr) {
		t.Fatalf("tx: %s %v", out, err)
	}
	out, err = runBTC(t, data, btcCommand(), "outpoint", txid+":0", "--json")
	if err != nil || !strings.Contains(out, `"txid":"`+txid) {
		t.Fatalf("outpoint: %s %v", out, err)
	}
	out, err = runBTC(t, data, btcCommand(), "block", "0")
	if err != nil || !strings.Contains(out, "block 0 ") {
		t.Fatalf("block: %s %v", out, err)
	}
	if _, err := runBTC(t, data, btcCommand(), "outpoint", "nothex:0"); err == nil {
		t.Fatal("bad outpoint accepted")
	}
	// Ingest again: nothing to add.
	out, err = runBTC(t, data, ingestCommand(), "btc", "--blocks", filepath.Dir(blk))
	if err != nil || !strings.Contains(out, "added 0 blocks") {
		t.Fatalf("re-ingest: %s %v", out, err)
	}
}

// TestBTCOverREST simulates a chain, indexes it and reads it back through
// /api/v1/btc/...: the truth's theft transaction, an attacker address, and
// the spend link of the theft's first output.
func TestBTCOverREST(t *testing.T) {
	dir := t.TempDir()
	chainDir := filepath.Join(dir, "chain")
	if _, e, code := cli(t, "simulate", "--seed", "5", "--txs", "8000", "--out", chainDir, "--network", "regtest"); code != 0 {
		t.Fatal(e)
	}
	if _, e, code := cli(t, "ingest", "btc", "--blocks", chainDir, "--data", dir); code != 0 {
		t.Fatal(e)
	}
	raw, err := os.ReadFile(filepath.Join(chainDir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth struct {
		Thefts []struct {
			Txid string `json:"txid"`
		} `json:"thefts"`
		AttackerAddresses []string `json:"attacker_addresses"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil || len(truth.Thefts) == 0 {
		t.Fatalf("truth: %v", err)
	}
	cli(t, "admin", "org", "create", "fiu", "--data", dir)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "fiu", "--role", "analyst", "--data", dir)
	in := start(t, "serve", "--data", dir)
	r := do(t, nil, "GET", in.url+"/api/v1/btc/tx/"+truth.Thefts[0].Txid, k.Token, nil)
	if r.status != 200 || !strings.Contains(string(r.body), truth.Thefts[0].Txid) {
		t.Fatalf("theft tx: %d %s", r.status, r.body)
	}
	r = do(t, nil, "GET", in.url+"/api/v1/btc/address/"+truth.AttackerAddresses[0]+"?limit=5", k.Token, nil)
	if r.status != 200 || !strings.Contains(string(r.body), truth.AttackerAddresses[0]) {
		t.Fatalf("attacker address: %d %s", r.status, r.body)
	}
	r = do(t, nil, "GET", in.url+"/api/v1/btc/outpoint/"+truth.Thefts[0].Txid+":0", k.Token, nil)
	if r.status != 200 {
		t.Fatalf("outpoint: %d %s", r.status, r.body)
	}
	for path, status := range map[string]int{
		"/api/v1/btc/block/0":                                    200,
		"/api/v1/btc/block/999999":                               404,
		"/api/v1/btc/tx/nothex":                                  400,
		"/api/v1/btc/outpoint/abc":                               400,
		"/api/v1/btc/address/x?limit=0":                          400,
		"/api/v1/btc/address/1BoatSLRHtKNngkdXEeobR76b53LETtpyT": 400, // a mainnet address on a regtest index
		"/api/v1/btc/address/mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn": 404,
	} {
		if r := do(t, nil, "GET", in.url+path, k.Token, nil); r.status != status {
			t.Errorf("%s: %d %s, want %d", path, r.status, r.body, status)
		}
	}
	if r := do(t, nil, "GET", in.url+"/api/v1/btc/block/0", "", nil); r.status != 401 {
		t.Errorf("without a key: %d", r.status)
	}
}
