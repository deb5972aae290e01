package cluster_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/testenv"
)

// The address merges of the labelled BlockSci regtest chain, and its
// CoinJoin, which must merge nothing.
func TestBlockSciMerges(t *testing.T) {
	blk := testenv.SharedData(t, "btc/blocksci-regtest/blk00000.dat")
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(blk), "output.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]any
	json.Unmarshal(raw, &labels)
	c, err := simtest.OpenBlocks(context.Background(), filepath.Dir(blk), filepath.Join(t.TempDir(), "btc"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := cluster.Run(context.Background(), c.Graph, cluster.Options{Classifier: &analysis.Classifier{}})
	if err != nil {
		t.Fatal(err)
	}
	id := func(label string) uint32 {
		a, err := c.Index.AddrIDOf(labels[label].(string))
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		return a
	}
	a0, a1, a2 := id("merge-addr-1"), id("merge-addr-2"), id("merge-addr-3")
	if cl.ID(a0) != cl.ID(a1) || cl.ID(a1) != cl.ID(a2) {
		t.Fatalf("the three addresses spent together in merge-final-tx are in clusters %d, %d, %d", cl.ID(a0), cl.ID(a1), cl.ID(a2))
	}
	final, _ := c.Index.TxNumOf(labels["merge-final-tx"].(string))
	why, err := cl.Why(a0, a2)
	if err != nil || len(why) == 0 {
		t.Fatalf("why: %v", err)
	}
	for _, m := range why {
		if m.Tx != final || m.By != cluster.MultiInput {
			t.Fatalf("merge %+v is not merge-final-tx's multi-input merge", m)
		}
	}
	// The CoinJoin's inputs stay apart.
	cj, _ := c.Index.TxNumOf(labels["simple-coinjoin-tx"].(string))
	lo, hi := c.Graph.Inputs(cj)
	seen := map[uint32]bool{}
	for j := lo; j < hi; j++ {
		seen[cl.ID(c.Graph.InAddr[j])] = true
	}
	if len(seen) != int(hi-lo) {
		t.Fatalf("the CoinJoin's %d inputs fell into %d clusters", hi-lo, len(seen))
	}
	// Vetoing the merge transaction undoes its merges.
	cl2, err := cluster.Run(context.Background(), c.Graph, cluster.Options{Classifier: &analysis.Classifier{}, Veto: map[uint32]bool{final: true}})
	if err != nil {
		t.Fatal(err)
	}
	if cl2.ID(a0) == cl2.ID(a2) {
		t.Fatal("vetoing merge-final-tx left its addresses together")
	}
}
