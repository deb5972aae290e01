package txgraph_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/txgraph"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// The graph agrees with the index's own answers, transaction by transaction.
func TestGraphMatchesIndex(t *testing.T) {
	c := simtest.Get(t, 7, 20_000, "mixed")
	g := c.Graph
	tip, _, _ := c.Index.Tip()
	if g.NTx() != int(tip.NextTx) || g.TipHeight() != tip.Height {
		t.Fatalf("graph has %d txs to height %d, index %d to %d", g.NTx(), g.TipHeight(), tip.NextTx, tip.Height)
	}
	if g.NIn() == 0 || g.NOut() <= g.NTx() {
		t.Fatalf("implausible graph: %d txs, %d inputs, %d outputs", g.NTx(), g.NIn(), g.NOut())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		n := uint32(rng.IntN(g.NTx()))
		tx, err := c.Index.Tx(btcindex.TxNum(n))
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := g.Inputs(n)
		if int(hi-lo) != len(tx.Inputs) || g.Coinbase(n) != tx.Coinbase || g.Height[n] != uint32(tx.Height) {
			t.Fatalf("tx %d: graph has %d inputs, index %d", n, hi-lo, len(tx.Inputs))
		}
		for i, in := range tx.Inputs {
			o := g.InOut[lo+uint64(i)]
			if g.TxOf(o) != uint32(in.Tx) || o-g.OutStart[in.Tx] != uint64(in.Vout) || g.Value[o] != uint64(in.Value) || g.InAddr[lo+uint64(i)] != uint32(in.Addr) || g.Spender[o] != n {
				t.Fatalf("tx %d input %d disagrees with the index", n, i)
			}
		}
		olo, ohi := g.Outputs(n)
		if int(ohi-olo) != len(tx.Outputs) {
			t.Fatalf("tx %d: %d outputs, index %d", n, ohi-olo, len(tx.Outputs))
		}
		for i, out := range tx.Outputs {
			o := olo + uint64(i)
			spender := txgraph.NoTx
			if out.SpentBy != nil {
				spender = uint32(out.SpentBy.Tx)
			}
			if g.Value[o] != uint64(out.Value) || g.Addr[o] != uint32(out.Addr) || g.Spender[o] != spender || g.Class[o] != out.Class {
				t.Fatalf("tx %d output %d disagrees with the index", n, i)
			}
			if a := out.Addr; a != 0 && g.FirstTx[a] > n {
				t.Fatalf("address %d paid in tx %d but first seen in %d", a, n, g.FirstTx[a])
			}
		}
		if tx.Fee != int64(g.Fee(n)) || tx.LockTime != g.LockTime[n] || tx.Version != g.Version[n] {
			t.Fatalf("tx %d: fee/locktime/version disagree", n)
		}
		id, err := g.TxID(n)
		if err != nil || id != tx.ID.String() {
			t.Fatalf("tx %d: txid %s, want %s (%v)", n, id, tx.ID, err)
		}
	}
}

// Disconnecting blocks and connecting them again leaves the graph as a
// fresh build of the index.
func TestExtendFollowsReorg(t *testing.T) {
	base := simtest.Get(t, 7, 20_000, "mixed")
	ctx := context.Background()
	c, err := simtest.Open(ctx, base.Dir, filepath.Join(t.TempDir(), "btc"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := snapshot(c.Graph)
	for range 3 {
		if err := c.Index.DisconnectTip(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Graph.Extend(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, err := txgraph.Build(ctx, c.Index)
	if err != nil {
		t.Fatal(err)
	}
	if got := snapshot(c.Graph); !reflect.DeepEqual(got, snapshot(fresh)) {
		t.Fatal("after disconnecting 3 blocks the extended graph differs from a fresh build")
	}
	if c.Graph.NTx() >= len(want.Height) {
		t.Fatal("disconnecting blocks dropped no transactions")
	}
	if err := c.Index.Ingest(ctx, c.Blocks, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Graph.Extend(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(c.Graph); !reflect.DeepEqual(got, want) {
		t.Fatal("after reconnecting, the graph differs from the original")
	}
}

type arrays struct {
	InStart, OutStart, InOut, Value []uint64
	Height, LockTime, InAddr, Addr  []uint32
	Spender, FirstTx, OutTx         []uint32
}

func snapshot(g *txgraph.Graph) arrays {
	c := slices.Clone[[]uint64]
	d := slices.Clone[[]uint32]
	return arrays{c(g.InStart), c(g.OutStart), c(g.InOut), c(g.Value), d(g.Height), d(g.LockTime), d(g.InAddr), d(g.Addr), d(g.Spender), d(g.FirstTx), d(g.OutTx)}
}
