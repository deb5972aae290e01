package blkfile

import (
	"bytes"
	"compress/bzip2"
	"context"
	"io"
	"os"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/testenv"
)

// The benchmarks read mainnet blocks 0-14131 (16 MiB file, 4.8 MB of
// blocks): from the page cache, so they measure parsing and decoding.

func benchReader(b *testing.B) (*Reader, int64) {
	file, blocks := mainnetBlocks(b)
	r, err := Open(writeDir(b, map[string][]byte{"blk00000.dat": file}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	var size int64
	for _, bl := range blocks {
		size += int64(len(bl)) + 8
	}
	return r, size
}

func BenchmarkScan(b *testing.B) {
	r, size := benchReader(b)
	b.SetBytes(size)
	var n int
	for b.Loop() {
		ch, err := r.Scan(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n = ch.Len()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
}

func BenchmarkBlocks(b *testing.B) {
	r, size := benchReader(b)
	ch, err := r.Scan(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	txs := 0
	for b.Loop() {
		err := ch.Blocks(context.Background(), 0, func(h int, bl *wire.MsgBlock) error {
			txs += len(bl.Transactions)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(ch.Len())*float64(b.N)/s, "blocks/s")
	b.ReportMetric(float64(txs)/s, "txs/s")
}

// BenchmarkDecode277647 decodes one 2014 mainnet block (149 KB, 400+ txs)
// with wire, on one core: the per-transaction cost that dominates a modern
// chain, where the per-block overhead of BenchmarkBlocks vanishes.
func BenchmarkDecode277647(b *testing.B) {
	f, err := os.Open(testenv.BtcdTestdata(b, "277647.dat.bz2"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	raw = raw[8:] // magic and size
	b.SetBytes(int64(len(raw)))
	txs := 0
	for b.Loop() {
		var blk wire.MsgBlock
		if err := blk.Deserialize(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		txs += len(blk.Transactions)
	}
	b.ReportMetric(float64(txs)/b.Elapsed().Seconds(), "txs/s")
}
