package trace_test

import (
	"context"
	"testing"

	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/trace"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// spends reports whether tx b spends an output of tx a.
func spends(g *txgraph.Graph, a, b uint32) bool {
	lo, hi := g.Inputs(b)
	for j := lo; j < hi; j++ {
		if g.TxOf(g.InOut[j]) == a {
			return true
		}
	}
	return false
}

// Paths from the theft reach the cash-out deposits, and every path found is
// a real chain of spends from a source output to a target.
func TestPathsFromTheftToCashOuts(t *testing.T) {
	c := simtest.Get(t, 5, 60_000, "mixed")
	tr := tracerFor(t, c)
	g := c.Graph
	var from []uint64
	for _, s := range theftSources(t, c) {
		from = append(from, s.Outputs...)
	}
	src := map[uint64]bool{}
	for _, o := range from {
		src[o] = true
	}
	found, tried := 0, 0
	for _, co := range c.Truth.CashOuts[:min(40, len(c.Truth.CashOuts))] {
		a, err := c.Index.AddrIDOf(co.Address)
		if err != nil {
			t.Fatal(err)
		}
		txs, err := c.Index.AddrTxs(a, 0)
		if err != nil {
			t.Fatal(err)
		}
		res, err := tr.Paths(context.Background(), trace.PathRequest{From: from, To: []uint32{a}, TargetTxs: txs, MaxDepth: 12, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		tried++
		if len(res.Paths) > 0 {
			found++
		}
		for i, p := range res.Paths {
			if len(p.Txs) == 0 || len(p.Txs) > 12 || p.Sats == 0 || p.Target != a {
				t.Fatalf("path %d to %s: %+v", i, co.Address, p)
			}
			if i > 0 && p.Sats > res.Paths[i-1].Sats {
				t.Fatalf("paths not ranked by value: %d then %d", res.Paths[i-1].Sats, p.Sats)
			}
			lo, hi := g.Inputs(p.Txs[0])
			ok := false
			for j := lo; j < hi; j++ {
				ok = ok || src[g.InOut[j]]
			}
			if !ok {
				t.Fatalf("path to %s starts at tx %d, which spends no source output", co.Address, p.Txs[0])
			}
			for k := 1; k < len(p.Txs); k++ {
				if !spends(g, p.Txs[k-1], p.Txs[k]) {
					t.Fatalf("path to %s: tx %d does not spend tx %d", co.Address, p.Txs[k], p.Txs[k-1])
				}
			}
			olo, ohi := g.Outputs(p.Txs[len(p.Txs)-1])
			pays := false
			for o := olo; o < ohi; o++ {
				pays = pays || g.Addr[o] == a
			}
			if !pays {
				t.Fatalf("path to %s ends in a tx that does not pay it", co.Address)
			}
		}
	}
	t.Logf("paths found to %d of %d cash-out deposits within 12 transactions", found, tried)
	if found < tried*8/10 {
		t.Errorf("paths found to only %d of %d cash-out deposits", found, tried)
	}
	// A depth of 1 finds nothing that needs more hops, and says so honestly.
	res, err := tr.Paths(context.Background(), trace.PathRequest{From: from, To: []uint32{1}, TargetTxs: []uint32{0}, MaxDepth: 1})
	if err != nil || len(res.Paths) != 0 {
		t.Fatalf("a path from the theft to the genesis coinbase: %+v %v", res, err)
	}
	if _, err := tr.Paths(context.Background(), trace.PathRequest{From: from, MaxDepth: 99}); err == nil {
		t.Fatal("depth 99 accepted")
	}
}
