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
