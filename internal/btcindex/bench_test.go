package btcindex

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/btcsim"
)

// benchIngest ingests the block files in blocks into a fresh index and
// reports tx/s, index bytes per tx and point-query latencies.
func benchIngest(b *testing.B, blocks string) {
	ch := scan(b, blocks)
	for b.Loop() {
		dir := b.TempDir()
		var o Options
		if s := os.Getenv("TRAWL_BENCH_BATCH"); s != "" {
			o.BatchTxs, _ = strconv.Atoi(s)
		}
		x, err := Open(filepath.Join(dir, "btc"), o)
		if err != nil {
			b.Fatal(err)
		}
		start, cpu0 := time.Now(), cpuTime()
		if err := x.Ingest(context.Background(), ch, nil); err != nil {
			b.Fatal(err)
		}
		el, cpu := time.Since(start), cpuTime()-cpu0
		tip, _, _ := x.Tip()
		b.ReportMetric(float64(tip.NextTx)/el.Seconds(), "tx/s")
		// On a shared machine the wall time depends on the neighbours;
		// the process's CPU time per transaction does much less.
		b.ReportMetric(float64(cpu.Microseconds())/float64(tip.NextTx), "cpu-µs/tx")
		b.ReportMetric(float64(tip.NextTx), "txs")
		if err := x.Compact(); err != nil {
			b.Fatal(err)
		}
		// The write-ahead log is a fixed cost (a memtable's worth at most),
		// not a cost per transaction.
		wal := x.WALSize()
		b.ReportMetric(float64(x.DiskSize()-wal)/float64(tip.NextTx), "bytes/tx")
		b.ReportMetric(float64(wal)/1e6, "wal-MB")
		p50, p99 := queryLatency(b, x, int(tip.NextTx))
		b.ReportMetric(float64(p50.Microseconds()), "µs-p50-query")
		b.ReportMetric(float64(p99.Microseconds()), "µs-p99-query")
		x.Close()
	}
}

// cpuTime returns the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// queryLatency times random Tx, Outpoint and Address queries.
func queryLatency(b *testing.B, x *Index, ntx int) (p50, p99 time.Duration) {
	rng := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	for range 3000 {
		n := TxNum(rng.IntN(ntx))
		t0 := time.Now()
		tx, err := x.Tx(n)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		t0 = time.Now()
		if _, err := x.Outpoint(tx.ID, 0); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		if tx.Outputs[0].Address != "" {
			t0 = time.Now()
			if _, err := x.Address(tx.Outputs[0].Address, 0, 20); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	slices.Sort(lat)
	return lat[len(lat)/2], lat[len(lat)*99/100]
}

func BenchmarkIngestMainnet14131(b *testing.B) {
	benchIngest(b, blockDir(b, mainnetFile(b)))
}

// BenchmarkIngestSim ingests a chain from btcsim of TRAWL_BENCH_SIM_TXS
// transactions (default 2,000,000), simulated once into
// $TMPDIR/trawl-btcsim-<txs> and reused.
func BenchmarkIngestSim(b *testing.B) {
	txs := int64(2_000_000)
	if s := os.Getenv("TRAWL_BENCH_SIM_TXS"); s != "" {
		var err error
		if txs, err = strconv.ParseInt(s, 10, 64); err != nil {
			b.Fatal(err)
		}
	}
	dir := filepath.Join(os.TempDir(), "trawl-btcsim-"+strconv.FormatInt(txs, 10))
	if _, err := os.Stat(filepath.Join(dir, "done")); err != nil {
		os.RemoveAll(dir)
		start := time.Now()
		if _, err := btcsim.Simulate(context.Background(), btcsim.Options{Dir: dir, Seed: 1, Txs: txs}); err != nil {
			b.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "done"), nil, 0o644)
		b.Logf("simulated %d txs in %v", txs, time.Since(start))
	}
	benchIngest(b, dir)
}
