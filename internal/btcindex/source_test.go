package btcindex

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
)

func TestETA(t *testing.T) {
	cases := []struct {
		name string
		p    Progress
		want time.Duration
		ok   bool
	}{
		// Early blocks are small: 1,000 of 100,000 blocks done holds only
		// 1% of the transactions; the ETA follows transactions.
		{"by transactions", Progress{Blocks: 50_000, Txs: 1_000, TxsLeft: 99_000, BytesLeft: -1, Elapsed: 10 * time.Second}, 990 * time.Second, true},
		{"by bytes", Progress{Blocks: 10, Txs: 10, TxsLeft: -1, Bytes: 1 << 20, BytesLeft: 3 << 20, Elapsed: 2 * time.Second}, 6 * time.Second, true},
		{"transactions first", Progress{Txs: 100, TxsLeft: 100, Bytes: 1, BytesLeft: 1000, Elapsed: time.Second}, time.Second, true},
		{"unknown", Progress{Blocks: 5, Txs: 5, TxsLeft: -1, BytesLeft: -1, Elapsed: time.Second}, 0, false},
		{"nothing done yet", Progress{TxsLeft: 10, BytesLeft: 10}, 0, false},
	}
	for _, c := range cases {
		got, ok := c.p.ETA()
		if ok != c.ok || (got-c.want).Abs() > time.Millisecond {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// TestIngestProgress: from block files, progress counts bytes down to
// zero, blocks and transactions up to the chain's; from a source that
// knows no sizes, BytesLeft stays unknown.
func TestIngestProgress(t *testing.T) {
	trunk, a, _ := forkChains()
	blocks := t.TempDir()
	writeBlocks(t, blocks, append(trunk, a...)...)
	ch := scan(t, blocks)
	total := 0
	for h := 0; h <= ch.Height(); h++ {
		total += ch.Location(h).Size
	}
	var last Progress
	calls := 0
	x := openIndex(t, t.TempDir(), Options{})
	if err := x.Ingest(context.Background(), ch, func(p Progress) { last = p; calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls != len(trunk)+len(a) || last.Blocks != calls || last.Txs != 14 || last.Height != 6 || last.TipHeight != 6 ||
		last.Bytes != int64(total) || last.BytesLeft != 0 || last.TxsLeft != -1 {
		t.Fatalf("%d calls, last %+v; want %d blocks of %d bytes", calls, last, len(trunk)+len(a), total)
	}
	y := openIndex(t, t.TempDir(), Options{})
	src := blockList(append(trunk, a...))
	if err := y.IngestFrom(context.Background(), src, func(p Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if last.BytesLeft != -1 || last.Blocks != len(src) {
		t.Fatalf("from a list: %+v", last)
	}
	if checksum(t, x) != checksum(t, y) {
		t.Fatal("the same chain from files and from a decoded source indexes differently")
	}
}

// blockList is a Source of decoded blocks in memory.
type blockList []*wire.MsgBlock

func (l blockList) Network(context.Context) (btcnet.Network, error) { return btcnet.Regtest, nil }
func (l blockList) TipHeight(context.Context) (int, error)          { return len(l) - 1, nil }
func (l blockList) BlockHash(_ context.Context, h int) (chainhash.Hash, error) {
	return l[h].BlockHash(), nil
}
func (l blockList) Blocks(_ context.Context, from, to int, fn func(int, *wire.MsgBlock) error) error {
	for h := from; h <= to; h++ {
		if err := fn(h, l[h]); err != nil {
			return err
		}
	}
	return nil
}
