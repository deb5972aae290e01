package trace_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/testenv"
	"github.com/trawlhq/trawl/internal/trace"
)

// blocksci indexes the labelled BlockSci regtest chain.
func blocksci(t *testing.T) (*simtest.Chain, map[string]any) {
	t.Helper()
	blk := testenv.SharedData(t, "btc/blocksci-regtest/blk00000.dat")
	dir := filepath.Dir(blk)
	raw, err := os.ReadFile(filepath.Join(dir, "output.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]any
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	c, err := simtest.OpenBlocks(context.Background(), dir, filepath.Join(t.TempDir(), "btc"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, labels
}

// The poison cases of BlockSci's taint tests (fees are not followed into
// the miners' coinbases; BlockSci's taint_fee=False).
func TestBlockSciPoison(t *testing.T) {
	c, labels := blocksci(t)
	g := c.Graph
	tx := func(label string) uint32 {
		n, err := c.Index.TxNumOf(labels[label].(string))
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		return n
	}
	split := tx("taint-split-tx-1")
	// BlockSci's generator pays 0.0001 BTC (its util.FEE) per spend; the
	// merge transaction shows it.
	const coin, fee = 100_000_000, 10_000
	if f := g.Fee(tx("taint-merge-tx-1")); f%fee != 0 || f == 0 {
		t.Fatalf("the merge transaction pays %d sats, not a multiple of the generator's fee", f)
	}
	out1 := g.OutStart[split]
	out2 := g.OutStart[tx("taint-fund-tx-2")]
	tr := &trace.Tracer{G: g}
	run := func(maxHeight uint32, outs ...uint64) *trace.Trace {
		res, err := tr.Forward(context.Background(), trace.Request{Sources: []trace.Source{{From: "case", Outputs: outs}}, Model: trace.Poison, MaxHops: 1000, MaxHeight: maxHeight})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	sum := func(res *trace.Trace) (n int, sats uint64) {
		for _, r := range res.Results {
			n++
			sats += r.Sats
		}
		return
	}
	h := g.Height[split]
	for _, tc := range []struct {
		name      string
		maxHeight uint32
		outs      []uint64
		n         int
		sats      uint64
	}{
		{"one output to the end", 0, []uint64{out1}, 1, 15*coin - 6*fee},
		{"one output one block on", h + 1, []uint64{out1}, 1, 3*coin - 3*fee},
		{"two outputs to the end", 0, []uint64{out1, out2}, 1, 15*coin - 6*fee},
		{"two outputs one block on", h + 1, []uint64{out1, out2}, 2, 15*coin - 5*fee},
	} {
		n, sats := sum(run(tc.maxHeight, tc.outs...))
		if n != tc.n || sats != tc.sats {
			t.Errorf("%s: %d outputs worth %d sats, BlockSci's test has %d worth %d", tc.name, n, sats, tc.n, tc.sats)
		}
	}
}
