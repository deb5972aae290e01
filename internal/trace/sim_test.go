package trace_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/trace"
	"github.com/trawlhq/trawl/internal/txgraph"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// truthCJ classifies by the simulator's truth (until the shape classifier
// is wired in).
type truthCJ map[uint32]bool

func (m truthCJ) CoinJoin(_ *txgraph.Graph, t uint32) bool          { return m[t] }
func (truthCJ) Change(*txgraph.Graph, uint32) (int, cluster.Reason) { return -1, 0 }

// tracerFor builds a tracer as an analyst would have it: exchange hot
// wallets and OTC desks tagged; deposit addresses left to be found.
func tracerFor(t *testing.T, c *simtest.Chain) *trace.Tracer {
	t.Helper()
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
	kind := map[string]btcsim.Entity{}
	for _, e := range c.Truth.Entities {
		kind[e.ID] = e
	}
	var labels []trace.Label
	add := func(addr, name, cat string) {
		id, err := c.Index.AddrIDOf(addr)
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, trace.Label{Addr: id, Name: name, Category: cat, Service: true, Source: "test"})
	}
	for _, x := range c.Truth.Exchanges {
		for _, a := range x.HotWallets {
			add(a, x.ID, "exchange")
		}
	}
	for a, owner := range c.Truth.Owners {
		if kind[owner].Kind == btcsim.KindOTC {
			add(a, owner, "otc")
		}
	}
	return &trace.Tracer{G: c.Graph, C: cl, A: trace.Attribute(c.Graph, cl, labels), CoinJoin: cj.CoinJoin}
}

func theftSources(t *testing.T, c *simtest.Chain) []trace.Source {
	t.Helper()
	var srcs []trace.Source
	for _, th := range c.Truth.Thefts {
		n, err := c.Index.TxNumOf(th.Txid)
		if err != nil {
			t.Fatal(err)
		}
		var outs []uint64
		for _, op := range th.Outpoints {
			outs = append(outs, c.Graph.OutStart[n]+uint64(op.Vout))
		}
		srcs = append(srcs, trace.Source{From: th.Txid, Outputs: outs})
	}
	return srcs
}

// The haircut trace of the simulated theft finds the true cash-outs: recall
// of stolen value at the true cash-out deposits, and the share of reported
// cash-out value attributed to the wrong service.
func TestSimulatedTheftCashOuts(t *testing.T) {
	for _, sc := range []string{"mixed", "peel", "coinjoin", "dormant"} {
		t.Run(sc, func(t *testing.T) {
			c := simtest.Get(t, 5, 60_000, sc)
			tr := tracerFor(t, c)
			res, err := tr.Forward(context.Background(), trace.Request{Sources: theftSources(t, c), Model: trace.Haircut, MaxHops: 10_000, MaxResults: 1 << 30})
			if err != nil {
				t.Fatal(err)
			}
			tot := res.Totals
			if tot.Source != uint64(c.Truth.StolenSats) {
				t.Fatalf("traced %d sats from the thefts, truth stole %d", tot.Source, c.Truth.StolenSats)
			}
			if tot.CashOut+tot.Held+tot.Capped+tot.Fees+tot.Dropped != tot.Source {
				t.Fatalf("haircut books do not balance: %+v", tot)
			}
			truthAt := map[string]btcsim.CashOut{}
			for _, co := range c.Truth.CashOuts {
				truthAt[co.Txid+":"+strconv.Itoa(int(co.Vout))] = co
			}
			var found, wrong uint64
			for _, r := range res.Results {
				if r.Kind != trace.CashOut {
					continue
				}
				txid, _ := c.Graph.TxID(r.Tx)
				addr, _ := c.Graph.AddrText(r.Addr)
				if co, ok := truthAt[txid+":"+strconv.Itoa(int(r.Vout))]; ok && co.Service == r.Service {
					found += min(r.Sats, uint64(co.HaircutSats))
				}
				if c.Truth.Owners[addr] != r.Service {
					wrong += r.Sats
				}
			}
			recall := float64(found) / float64(c.Truth.Taint.CashOuts)
			falseShare := float64(wrong) / float64(max(tot.CashOut, 1))
			t.Logf("%s: stolen %d sats; truth cash-outs %d sats at %d outputs; found %d (recall %.4f); reported cash-out %d, wrongly attributed %d (%.4f); held %d fees %d touched %d txs",
				sc, tot.Source, c.Truth.Taint.CashOuts, len(c.Truth.CashOuts), found, recall, tot.CashOut, wrong, falseShare, tot.Held, tot.Fees, res.Touched)
			if recall < 0.95 {
				t.Errorf("recall of stolen value at the true cash-outs %.4f < 0.95", recall)
			}
			if falseShare > 0.02 {
				t.Errorf("false attribution %.4f of reported cash-out value > 0.02", falseShare)
			}
			// Where every deposit was found, the books match the simulator's
			// to the satoshi.
			tb := c.Truth.Taint
			if recall == 1 && (tot.CashOut != uint64(tb.CashOuts+tb.OtherServices) || tot.Fees != uint64(tb.Fees) || tot.Held != uint64(tb.Held)) {
				t.Errorf("totals %+v differ from the truth %+v", tot, tb)
			}
		})
	}
}

// A cash-out deposit's backward exposure to the thief's listed addresses
// is the share of it the thief paid.
func TestSimulatedDepositExposure(t *testing.T) {
	c := simtest.Get(t, 5, 60_000, "peel")
	tr := tracerFor(t, c)
	listed := map[uint32]bool{}
	for _, a := range c.Truth.AttackerAddresses {
		id, err := c.Index.AddrIDOf(a)
		if err != nil {
			t.Fatal(err)
		}
		listed[id] = true
	}
	lf := func(a uint32) (string, bool) { return "stolen_funds", listed[a] }
	checked := 0
	for _, co := range c.Truth.CashOuts {
		n, err := c.Index.TxNumOf(co.Txid)
		if err != nil {
			t.Fatal(err)
		}
		o := c.Graph.OutStart[n] + uint64(co.Vout)
		ex, err := tr.Backward(context.Background(), trace.BackwardRequest{Targets: []uint64{o}, Listed: lf})
		if err != nil {
			t.Fatal(err)
		}
		got := 0.0
		if len(ex.Sources) > 0 {
			got = ex.Sources[0].Share
		}
		if got < co.HaircutShare-0.001 || got > 1 {
			t.Errorf("cash-out %s:%d: exposure %.4f, the thief paid %.4f of it", co.Txid, co.Vout, got, co.HaircutShare)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no cash-outs to check")
	}
	// An ordinary user's address far from the theft has no exposure.
	var clean, exposed int
	for a, owner := range c.Truth.Owners {
		if clean >= 50 || !strings.HasPrefix(owner, "user") {
			continue
		}
		id, _ := c.Index.AddrIDOf(a)
		txs, err := c.Index.AddrTxs(id, 10)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := tr.Backward(context.Background(), trace.BackwardRequest{Targets: trace.Received(c.Graph, txs, id), Listed: lf, MaxHops: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range ex.Sources {
			if s.Share > 0.5 {
				exposed++
				t.Logf("user address %s: %.3f exposure within 3 hops", a, s.Share)
			}
		}
		clean++
	}
	if clean == 0 || exposed > clean/10 {
		t.Errorf("%d of %d sampled user addresses have more than half their value from the thief", exposed, clean)
	}
	t.Logf("%d cash-outs checked", checked)
}

// The rendered peel-chain trace draws the chain: peel steps flagged, the
// deposits flagged as cash-outs, edges between known nodes.
func TestRenderPeelTrace(t *testing.T) {
	c := simtest.Get(t, 5, 60_000, "peel")
	tr := tracerFor(t, c)
	res, err := tr.Forward(context.Background(), trace.Request{Sources: theftSources(t, c), Model: trace.Haircut, MaxEdges: 2000})
	if err != nil {
		t.Fatal(err)
	}
	v, err := tr.Render(res)
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]int{}
	ids := map[string]bool{}
	for _, n := range v.Graph.Nodes {
		ids[n.ID] = true
		for _, f := range n.Flags {
			flags[f]++
		}
	}
	for _, e := range v.Graph.Edges {
		if !ids[e.From] || !ids[e.To] || e.Sats == 0 {
			t.Fatalf("edge %+v names a node not drawn or carries nothing", e)
		}
	}
	deposits := map[string]bool{}
	for _, co := range c.Truth.CashOuts {
		deposits[co.Address] = true
	}
	if flags["peel"] < 10 || flags["cashout"] < len(deposits)/2 || flags["source"] == 0 {
		t.Fatalf("flags drawn: %v (truth has %d cash-out addresses)", flags, len(deposits))
	}
	for _, r := range v.Results {
		if r.Kind == "cashout" && (r.Service == "" || r.Txid == "" || r.Address == "") {
			t.Fatalf("cash-out result without service, txid or address: %+v", r)
		}
	}
}

// The per-cluster sums add up the listed results.
func TestClusterSums(t *testing.T) {
	c := simtest.Get(t, 5, 60_000, "mixed")
	tr := tracerFor(t, c)
	res, err := tr.Forward(context.Background(), trace.Request{Sources: theftSources(t, c), Model: trace.Haircut, MaxHops: 1000, MaxResults: 50})
	if err != nil {
		t.Fatal(err)
	}
	var sum, cash, listed, listedCash uint64
	for _, s := range res.ByCluster {
		sum += s.Sats
		cash += s.CashOut
	}
	for i, r := range res.Results {
		listed += r.Sats
		if r.Kind == trace.CashOut {
			listedCash += r.Sats
		}
		if i > 0 && r.Sats > res.Results[i-1].Sats {
			t.Fatal("results not largest first")
		}
	}
	t.Logf("%d cluster sums of %d sats (%d cashed out) over %d results", len(res.ByCluster), sum, cash, len(res.Results))
	if !res.Truncated || len(res.Results) != 50 || len(res.ByCluster) == 0 || sum != listed || cash != listedCash {
		t.Fatalf("truncated %v, %d results of %d sats (%d cashed out), cluster sums %d (%d)", res.Truncated, len(res.Results), listed, listedCash, sum, cash)
	}
	// The 50 kept are the 50 largest of the full answer.
	all, err := tr.Forward(context.Background(), trace.Request{Sources: theftSources(t, c), Model: trace.Haircut, MaxHops: 1000, MaxResults: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	for i := range res.Results {
		if all.Results[i] != res.Results[i] {
			t.Fatalf("result %d of the top 50 differs from the full answer's", i)
		}
	}
}
