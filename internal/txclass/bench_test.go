package txclass_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/txclass"
)

// The mix the benchmarks run on: every transaction of a 20,000-transaction
// simulated chain (payments, batches, sweeps, pool payouts, about 1%
// CoinJoins and Tx0s), made once per test binary. Inputs and outputs are
// packed in chain order into one array each, as a caller that decodes
// block after block into reused buffers has them; scattered over the heap,
// the benchmark would time cache misses, not the heuristics.
var (
	mixOnce  sync.Once
	mixAll   []txclass.Tx
	mixPlain []txclass.Tx // the ones that are no CoinJoin, Tx0 or coinbase
)

func mix(b *testing.B) ([]txclass.Tx, []txclass.Tx) {
	mixOnce.Do(func() {
		c, _ := simulated(b, 20_000)
		mixAll = pack(c.txs, func(*txclass.Tx) bool { return true })
		mixPlain = pack(c.txs, func(tx *txclass.Tx) bool { return !tx.Coinbase && txclass.CoinJoin(tx) == txclass.None })
	})
	if len(mixAll) == 0 {
		b.Fatal("no simulated chain")
	}
	return mixAll, mixPlain
}

// pack copies the transactions keep chooses, their inputs and outputs
// each into one contiguous array.
func pack(txs []txclass.Tx, keep func(*txclass.Tx) bool) []txclass.Tx {
	var nIn, nOut int
	for i := range txs {
		nIn += len(txs[i].Ins)
		nOut += len(txs[i].Outs)
	}
	ins, outs := make([]txclass.In, 0, nIn), make([]txclass.Out, 0, nOut)
	var r []txclass.Tx
	for i := range txs {
		if tx := txs[i]; keep(&tx) {
			ins = append(ins, tx.Ins...)
			tx.Ins = ins[len(ins)-len(tx.Ins):]
			outs = append(outs, tx.Outs...)
			tx.Outs = outs[len(outs)-len(tx.Outs):]
			r = append(r, tx)
		}
	}
	return r
}

// BenchmarkCoinJoin: ns per transaction (ns/op) and transactions per
// second on one core, on ordinary transactions and on the whole mix.
func BenchmarkCoinJoin(b *testing.B) {
	all, plain := mix(b)
	for _, bc := range []struct {
		name string
		txs  []txclass.Tx
	}{{"ordinary", plain}, {"mix", all}} {
		b.Run(bc.name, func(b *testing.B) {
			txs := bc.txs
			cpu := start(b)
			i := 0
			for b.Loop() {
				txclass.CoinJoin(&txs[i])
				if i++; i == len(txs) {
					i = 0
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkChange: Change with the default and with every heuristic, on
// the whole mix (CoinJoin runs inside it).
func BenchmarkChange(b *testing.B) {
	all, _ := mix(b)
	for _, h := range []txclass.Heuristic{txclass.DefaultChange, txclass.AllChange} {
		b.Run(h.String(), func(b *testing.B) {
			cpu := start(b)
			i := 0
			for b.Loop() {
				txclass.Change(&all[i], h)
				if i++; i == len(all) {
					i = 0
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkLarge: a 3,000-output withdrawal batch, the costliest ordinary
// shape (CoinJoin sorts its output values).
func BenchmarkLarge(b *testing.B) {
	tx := bigBatch(3000)
	cpu := start(b)
	for b.Loop() {
		txclass.Change(&tx, txclass.AllChange)
	}
	cpu.report(b)
}

// cpuClock reports, besides ns/op, the thread's CPU time per transaction
// (cpu-ns/tx) and its inverse (tx/s/core), which a loaded machine does not
// inflate. It holds the goroutine on its thread until report.
type cpuClock struct{ t0 time.Duration }

func start(b *testing.B) cpuClock {
	b.ReportAllocs()
	runtime.LockOSThread()
	return cpuClock{threadCPU()}
}

func (c cpuClock) report(b *testing.B) {
	defer runtime.UnlockOSThread()
	if c.t0 == 0 || b.N == 0 {
		return
	}
	ns := float64(threadCPU()-c.t0) / float64(b.N)
	b.ReportMetric(ns, "cpu-ns/tx")
	if ns > 0 {
		b.ReportMetric(1e9/ns, "tx/s/core")
	}
}
