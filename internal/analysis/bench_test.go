package analysis_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/trace"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// The benchmarks run on the index in $TRAWL_BENCH_DATA/btc when set (a data
// dir that `trawl ingest btc` filled, e.g. from `trawl simulate --txs
// 10000000`), else on a simulated chain of 300,000 transactions.

var (
	benchOnce  sync.Once
	benchGraph *txgraph.Graph
	benchSrc   txgraph.Source
	benchErr   error
)

func benchChain(b *testing.B) (*txgraph.Graph, txgraph.Source) {
	b.Helper()
	benchOnce.Do(func() {
		ctx := context.Background()
		if d := os.Getenv("TRAWL_BENCH_DATA"); d != "" {
			x, err := btcindex.Open(filepath.Join(d, "btc"), btcindex.Options{})
			if err != nil {
				benchErr = err
				return
			}
			start := time.Now()
			benchGraph, benchErr = txgraph.Build(ctx, x)
			benchSrc = x
			if benchErr == nil {
				b.Logf("graph of %d txs, %d inputs, %d outputs, %d addresses built in %s", benchGraph.NTx(), benchGraph.NIn(), benchGraph.NOut(), benchGraph.NAddr()-1, time.Since(start))
			}
			return
		}
		c := simtest.Get(b, 9, 300_000, "mixed")
		benchGraph, benchSrc = c.Graph, c.Index
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchGraph, benchSrc
}

// BenchmarkClusterFull clusters the whole chain: input references per
// second is the figure.
func BenchmarkClusterFull(b *testing.B) {
	g, _ := benchChain(b)
	var refs uint64
	var cl *cluster.Clustering
	for b.Loop() {
		var err error
		cl, err = cluster.Run(context.Background(), g, cluster.Options{Classifier: &analysis.Classifier{}})
		if err != nil {
			b.Fatal(err)
		}
		refs = cl.Refs()
	}
	b.ReportMetric(float64(refs)*float64(b.N)/b.Elapsed().Seconds(), "refs/s")
	b.ReportMetric(float64(cl.Count()), "clusters")
}

// BenchmarkHaircut20Hops traces 20 hops forward from a coinbase output far
// enough from the tip that the trace touches about a million transactions
// (or a tenth of the chain on small ones), with no service to stop it.
func BenchmarkHaircut20Hops(b *testing.B) {
	g, _ := benchChain(b)
	tr := &trace.Tracer{G: g, CoinJoin: (&analysis.Classifier{}).CoinJoin}
	want := min(1_000_000, g.NTx()/10)
	// Calibrate: one coinbase output, walking back from the tip in growing
	// steps until its 20-hop trace touches about want transactions.
	var src trace.Source
	for step := 1024; step < g.NTx(); step *= 2 {
		t := uint32(g.NTx() - step)
		for t > 0 && !g.Coinbase(t) {
			t--
		}
		lo, _ := g.Outputs(t)
		src = trace.Source{From: "coinbase", Outputs: []uint64{lo}}
		res, err := tr.Forward(context.Background(), trace.Request{Sources: []trace.Source{src}, Model: trace.Haircut, MaxHops: 20})
		if err != nil {
			b.Fatal(err)
		}
		if res.Touched >= want {
			break
		}
	}
	var touched int
	for b.Loop() {
		res, err := tr.Forward(context.Background(), trace.Request{Sources: []trace.Source{src}, Model: trace.Haircut, MaxHops: 20})
		if err != nil {
			b.Fatal(err)
		}
		touched = res.Touched
	}
	b.ReportMetric(float64(touched), "txs-touched")
	b.ReportMetric(float64(len(src.Outputs)), "sources")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1000, "ms/trace")
}

// BenchmarkPathDepth7 searches paths of up to 7 transactions between the
// input address of a random transaction and an output address six spends
// later.
func BenchmarkPathDepth7(b *testing.B) {
	g, src := benchChain(b)
	tr := &trace.Tracer{G: g}
	rng := rand.New(rand.NewPCG(3, 4))
	type pair struct {
		from      []uint64
		to        uint32
		targetTxs []uint32
	}
	var pairs []pair
	for len(pairs) < 200 {
		t := uint32(rng.IntN(g.NTx()))
		if g.Coinbase(t) {
			continue
		}
		cur := t
		for range 6 {
			lo, hi := g.Outputs(cur)
			o := lo + uint64(rng.IntN(int(hi-lo)))
			if g.Spender[o] == txgraph.NoTx {
				break
			}
			cur = g.Spender[o]
		}
		if cur == t {
			continue
		}
		lo, _ := g.Outputs(cur)
		to := g.Addr[lo]
		ilo, _ := g.Inputs(t)
		from := g.InOut[ilo]
		if to == 0 {
			continue
		}
		txs, err := src.AddrTxs(to, 0)
		if err != nil {
			b.Fatal(err)
		}
		if len(txs) > 10_000 {
			continue // a service's wallet: not the typical question
		}
		pairs = append(pairs, pair{from: []uint64{from}, to: to, targetTxs: txs})
	}
	var lat []time.Duration
	found := 0
	for i := 0; b.Loop(); i++ {
		p := pairs[i%len(pairs)]
		t0 := time.Now()
		res, err := tr.Paths(context.Background(), trace.PathRequest{From: p.from, To: []uint32{p.to}, TargetTxs: p.targetTxs, MaxDepth: 7})
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		if len(res.Paths) > 0 {
			found++
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ms-p99")
	b.ReportMetric(float64(found)/float64(len(lat)), "found-share")
}

// BenchmarkExposure computes the screening exposure block of random
// addresses that received coins, with the listed addresses a sanctions
// list would give (0.1% of the addresses).
func BenchmarkExposure(b *testing.B) {
	g, src := benchChain(b)
	rng := rand.New(rand.NewPCG(5, 6))
	listed := map[uint32]bool{}
	for len(listed) < g.NAddr()/1000+1 {
		listed[uint32(1+rng.IntN(g.NAddr()-1))] = true
	}
	lf := func(a uint32) (string, bool) { return "sanctioned", listed[a] }
	tr := &trace.Tracer{G: g, CoinJoin: (&analysis.Classifier{}).CoinJoin}
	var lat []time.Duration
	for b.Loop() {
		a := uint32(1 + rng.IntN(g.NAddr()-1))
		t0 := time.Now()
		txs, err := src.AddrTxs(a, analysis.MaxExposureOutputs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Backward(context.Background(), trace.BackwardRequest{Targets: trace.Received(g, txs, a), Listed: lf}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-p50")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "ms-p99")
}
