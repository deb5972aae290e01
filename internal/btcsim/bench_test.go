package btcsim

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkSimulate writes a 200,000-transaction chain per iteration and
// reports transactions per second, bytes per transaction and the peak heap.
// Run: go test ./internal/btcsim/ -run '^$' -bench Simulate -benchtime 1x
// TRAWL_BENCH_TXS sets another size, e.g. 10000000 for the full-size run.
func BenchmarkSimulate(b *testing.B) {
	txs := int64(200_000)
	if v, err := strconv.ParseInt(os.Getenv("TRAWL_BENCH_TXS"), 10, 64); err == nil && v >= MinTxs {
		txs = v
	}
	dir := b.TempDir()
	var peak uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			default:
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var bytes int64
	var total int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum, err := Simulate(context.Background(), Options{Dir: dir, Seed: uint64(i + 1), Txs: txs})
		if err != nil {
			b.Fatal(err)
		}
		bytes += sum.Bytes
		total += sum.Txs
	}
	b.StopTimer()
	close(done)
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "tx/s")
	b.ReportMetric(float64(bytes)/float64(total), "B/tx")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}
