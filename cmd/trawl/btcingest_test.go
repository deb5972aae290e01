package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcdtest"
)

// TestIngestBTCOverRPC runs `trawl ingest btc --rpc` against a real btcd on
// regtest: the password comes from a file and appears in no output, every
// block is cross-checked against the node's verbose getblock, a wrong
// password is refused with a message that says so, and a second run after
// a reorg disconnects the abandoned block.
func TestIngestBTCOverRPC(t *testing.T) {
	n := btcdtest.Start(t)
	hashes := n.Generate(t, 101)
	cb := n.Block(t, hashes[0]).Transactions[0]
	alice := btcdtest.NewKey(7)
	tx, err := btcdtest.SignedTx([]btcdtest.Spend{{Point: wire.OutPoint{Hash: cb.TxHash()}, Value: cb.TxOut[0].Value, Script: cb.TxOut[0].PkScript, Owner: n.Miner}},
		[]btcdtest.Pay{{Script: alice.WitnessScript, Value: cb.TxOut[0].Value - 5000}})
	if err != nil {
		t.Fatal(err)
	}
	n.Send(t, tx)
	n.Generate(t, 1)

	data := t.TempDir()
	passFile := filepath.Join(t.TempDir(), "rpcpass")
	os.WriteFile(passFile, []byte(n.Pass+"\n"), 0o600)
	run := func(env map[string]string, args ...string) (string, string, int) {
		var out, errb syncBuffer
		m := &Main{Stdout: &out, Stderr: &errb, LookupEnv: func(k string) (string, bool) {
			if k == "TRAWL_LOG_LEVEL" {
				return "debug", true
			}
			v, ok := env[k]
			return v, ok
		}}
		code := m.Run(context.Background(), append(args, "--data", data))
		if strings.Contains(out.String()+errb.String(), n.Pass) {
			t.Fatalf("trawl %s printed the RPC password", strings.Join(args, " "))
		}
		return out.String(), errb.String(), code
	}
	ingest := []string{"ingest", "btc", "--rpc", n.URL, "--rpc-user", n.User, "--rpc-check", "1", "--json"}
	out, errOut, code := run(map[string]string{"TRAWL_RPC_PASS_FILE": passFile}, ingest...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Height, Txs, BlocksAdded, BlocksDisconnected int
	}
	decode := func(out string) {
		t.Helper()
		res.BlocksDisconnected = 0
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, out)
		}
		res.Height, res.Txs, res.BlocksAdded = int(m["height"].(float64)), int(m["txs"].(float64)), int(m["blocks_added"].(float64))
		res.BlocksDisconnected = int(m["blocks_disconnected"].(float64))
	}
	decode(out)
	if res.Height != 102 || res.Txs != 104 || res.BlocksAdded != 103 {
		t.Fatalf("ingest: %+v, want height 102, 104 txs, 103 blocks added", res)
	}
	if !strings.Contains(errOut, "agrees with the node") {
		t.Errorf("no cross-check was logged:\n%s", errOut)
	}
	out, errOut, code = run(nil, "btc", "address", alice.WitnessAddr, "--json")
	if code != 0 || !strings.Contains(out, `"balance":`+jsonInt(cb.TxOut[0].Value-5000)) {
		t.Fatalf("alice: exit %d %s %s", code, out, errOut)
	}

	_, errOut, code = run(map[string]string{"TRAWL_RPC_PASS": "wrong"}, ingest...)
	if code == 0 || !strings.Contains(errOut, "refused the RPC user and password") {
		t.Fatalf("a wrong password: exit %d: %s", code, errOut)
	}

	_, tip := n.Tip(t)
	n.Call(t, nil, "invalidateblock", tip.String())
	n.Generate(t, 2)
	out, errOut, code = run(map[string]string{"TRAWL_RPC_PASS_FILE": passFile}, ingest...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	decode(out)
	if res.Height != 103 || res.BlocksDisconnected != 1 || res.BlocksAdded != 2 {
		t.Fatalf("after the reorg: %+v, want height 103, 1 block disconnected, 2 added", res)
	}
}

func jsonInt(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}
