package cluster_test

import (
	"context"
	"testing"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/txclass"
	"github.com/trawlhq/trawl/internal/txgraph"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// owners maps the simulator's truth onto address ids.
func owners(t *testing.T, c *simtest.Chain) []int32 {
	t.Helper()
	g := c.Graph
	own := make([]int32, g.NAddr())
	for i := range own {
		own[i] = -1
	}
	ent := map[string]int32{}
	for addr, e := range c.Truth.Owners {
		id, err := c.Index.AddrIDOf(addr)
		if err != nil {
			t.Fatalf("truth address %s: %v", addr, err)
		}
		if _, ok := ent[e]; !ok {
			ent[e] = int32(len(ent))
		}
		own[id] = ent[e]
	}
	return own
}

func TestSimulatedClusteringScore(t *testing.T) {
	c := simtest.Get(t, 11, 100_000, "mixed")
	cl, err := cluster.Run(context.Background(), c.Graph, cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, pc, pt := cluster.Score(cl.IDs(), owners(t, c))
	t.Logf("%d addresses, %d clusters, %d merges; pairwise precision %.4f recall %.4f (%d clustered pairs, %d true pairs)", c.Graph.NAddr()-1, cl.Count(), len(cl.Merges()), p, r, pc, pt)
}

type truthCJ map[uint32]bool

func (m truthCJ) CoinJoin(_ *txgraph.Graph, t uint32) bool          { return m[t] }
func (truthCJ) Change(*txgraph.Graph, uint32) (int, cluster.Reason) { return -1, 0 }

func TestSimulatedClusteringCeiling(t *testing.T) {
	c := simtest.Get(t, 11, 100_000, "mixed")
	cj := truthCJ{}
	for _, j := range c.Truth.CoinJoins {
		n, err := c.Index.TxNumOf(j.Txid)
		if err != nil {
			t.Fatal(err)
		}
		cj[n] = true
	}
	cl, err := cluster.Run(context.Background(), c.Graph, cluster.Options{Classifier: cj})
	if err != nil {
		t.Fatal(err)
	}
	p, r, pc, pt := cluster.Score(cl.IDs(), owners(t, c))
	t.Logf("%d coinjoins; %d clusters, %d merges; pairwise precision %.4f recall %.4f (%d clustered pairs, %d true pairs)", len(cj), cl.Count(), len(cl.Merges()), p, r, pc, pt)
}

// The shape classifier's clustering on the simulator: multi-input alone,
// and with the default change heuristics.
func TestSimulatedClusteringClassifier(t *testing.T) {
	c := simtest.Get(t, 11, 100_000, "mixed")
	own := owners(t, c)
	for _, h := range []txclass.Heuristic{0, txclass.OneTimeChange, txclass.AddressType, txclass.RoundValue, txclass.Reuse, txclass.DefaultChange} {
		cl, err := cluster.Run(context.Background(), c.Graph, cluster.Options{Classifier: &analysis.Classifier{Heuristics: h}, Change: h != 0})
		if err != nil {
			t.Fatal(err)
		}
		p, r, pc, pt := cluster.Score(cl.IDs(), own)
		t.Logf("change %v: %d clusters, %d merges; pairwise precision %.4f recall %.4f (%d clustered pairs, %d true pairs)", h, cl.Count(), len(cl.Merges()), p, r, pc, pt)
		if h == 0 && p < 0.99 {
			t.Errorf("multi-input clustering: pairwise precision %.4f < 0.99", p)
		}
	}
}
