package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/errs"
)

// runSimulate runs simulateCommand as the command framework would, without
// the command tree (main.go wires it in).
func runSimulate(t *testing.T, jsonOut bool, args ...string) (string, error) {
	t.Helper()
	cmd := simulateCommand()
	fs := flag.NewFlagSet("trawl simulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cmd.flags(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	e := &env{m: &Main{Stdout: &out, Stderr: io.Discard}, out: &out, json: jsonOut, fs: fs}
	err = cmd.run(context.Background(), e, pos)
	return out.String(), err
}

func TestSimulateCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := runSimulate(t, true, "--seed", "3", "--txs", "6000", "--out", dir, "--scenario", "peel", "--network", "regtest", "--xor")
	if err != nil {
		t.Fatal(err)
	}
	var sum btcsim.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sum.Txs < 6000 || sum.Blocks == 0 || sum.StolenSats == 0 || sum.Network != "regtest" || sum.Scenario != "peel" {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := os.Stat(filepath.Join(dir, "xor.dat")); err != nil {
		t.Fatal(err)
	}
	text, err := runSimulate(t, false, "--verify", dir)
	if err != nil || !strings.Contains(text, "ok: chain valid") {
		t.Fatalf("verify: %v: %s", err, text)
	}
	os.WriteFile(filepath.Join(dir, "truth.json"), []byte(`{"network":"regtest"}`), 0o644)
	text, err = runSimulate(t, false, "--verify", dir)
	if err == nil || !strings.Contains(text, "problems") {
		t.Fatalf("verify of a wrong truth: %v: %s", err, text)
	}
}

func TestSimulateCommandUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no out":       {"--txs", "5000"},
		"bad scenario": {"--out", t.TempDir(), "--scenario", "heist"},
		"argument":     {"extra"},
	} {
		if _, err := runSimulate(t, false, args...); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want a usage error", name, err)
		}
	}
}
