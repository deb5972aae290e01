package btcindex

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/btcsim"
)

// p2pkh is an output script paying key hash {k, k, ...}.
func p2pkh(k byte) []byte {
	s := []byte{0x76, 0xa9, 20}
	s = append(s, bytes.Repeat([]byte{k}, 20)...)
	return append(s, 0x88, 0xac)
}

type outRef struct {
	tx   *wire.MsgTx
	vout uint32
}

// mkBlock builds a block on prev: a coinbase paying 50 BTC to miner and
// one tx per spend, each spending its outpoint to the given keys.
func mkBlock(prev chainhash.Hash, height int, miner byte, spends []outRef, payees [][]byte) *wire.MsgBlock {
	b := wire.NewMsgBlock(wire.NewBlockHeader(1, &prev, &chainhash.Hash{}, 0x207fffff, uint32(height)))
	b.Header.Timestamp = time.Unix(1_600_000_000+int64(height)*600, 0)
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, 0xffffffff), []byte{byte(height), byte(height >> 8), miner}, nil))
	cb.AddTxOut(wire.NewTxOut(50*satoshi, p2pkh(miner)))
	b.AddTransaction(cb)
	for i, s := range spends {
		tx := wire.NewMsgTx(1)
		h := s.tx.TxHash()
		tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&h, s.vout), nil, nil))
		v := s.tx.TxOut[s.vout].Value - 1000
		for j, p := range payees[i] {
			amt := v / int64(len(payees[i]))
			if j == 0 {
				amt += v % int64(len(payees[i]))
			}
			tx.AddTxOut(wire.NewTxOut(amt, p2pkh(p)))
		}
		b.AddTransaction(tx)
	}
	b.Header.MerkleRoot = merkleRoot(b.Transactions)
	return b
}

// merkleRoot is the block header's commitment to its transactions (Bitcoin's
// merkle tree, the last node of an odd level paired with itself).
func merkleRoot(txs []*wire.MsgTx) chainhash.Hash {
	level := make([]chainhash.Hash, len(txs))
	for i, tx := range txs {
		level[i] = tx.TxHash()
	}
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			next = append(next, chainhash.DoubleHashH(append(level[i][:], level[i+1][:]...)))
		}
		level = next
	}
	return level[0]
}

// forkChains returns a common trunk of 4 blocks and two branches on it:
// a (3 blocks, the winner by length) and b (2 blocks). Both branches spend
// trunk outputs, pay old and new addresses, and spend within the branch.
func forkChains() (trunk, a, b []*wire.MsgBlock) {
	g := mkBlock(chainhash.Hash{}, 0, 1, nil, nil)
	trunk = append(trunk, g)
	t1 := mkBlock(g.BlockHash(), 1, 2, nil, nil)
	trunk = append(trunk, t1)
	t2 := mkBlock(t1.BlockHash(), 2, 3, []outRef{{g.Transactions[0], 0}}, [][]byte{{4, 5}})
	trunk = append(trunk, t2)
	t3 := mkBlock(t2.BlockHash(), 3, 1, []outRef{{t2.Transactions[1], 0}}, [][]byte{{6}})
	trunk = append(trunk, t3)
	tip := t3.BlockHash()

	a1 := mkBlock(tip, 4, 7, []outRef{{t1.Transactions[0], 0}, {t2.Transactions[1], 1}}, [][]byte{{8, 2}, {1}})
	a2 := mkBlock(a1.BlockHash(), 5, 7, []outRef{{a1.Transactions[1], 0}}, [][]byte{{9, 9, 10}})
	a3 := mkBlock(a2.BlockHash(), 6, 1, []outRef{{a2.Transactions[1], 2}, {t3.Transactions[1], 0}}, [][]byte{{11}, {4}})
	a = []*wire.MsgBlock{a1, a2, a3}

	b1 := mkBlock(tip, 4, 12, []outRef{{t1.Transactions[0], 0}, {t3.Transactions[1], 0}}, [][]byte{{13, 3}, {2, 14}})
	b2 := mkBlock(b1.BlockHash(), 5, 12, []outRef{{b1.Transactions[1], 1}, {b1.Transactions[0], 0}}, [][]byte{{15}, {5, 16}})
	b = []*wire.MsgBlock{b1, b2}
	return trunk, a, b
}

func connectAll(t *testing.T, x *Index, blocks ...[]*wire.MsgBlock) {
	t.Helper()
	for _, bs := range blocks {
		for _, b := range bs {
			if err := x.ConnectBlock(b); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestReorg(t *testing.T) {
	trunk, a, b := forkChains()
	want := openIndex(t, t.TempDir(), Options{})
	want.net.Store(uint32(btcnet.Regtest))
	connectAll(t, want, trunk, a)

	x := openIndex(t, t.TempDir(), Options{BatchTxs: 2})
	x.net.Store(uint32(btcnet.Regtest))
	connectAll(t, x, trunk, b)
	before := checksum(t, x)
	if before == checksum(t, want) {
		t.Fatal("the branches index alike")
	}
	// Disconnect b, then reconnect it: back to the same state.
	for range b {
		if err := x.DisconnectTip(); err != nil {
			t.Fatal(err)
		}
	}
	connectAll(t, x, b)
	if checksum(t, x) != before {
		t.Fatal("disconnect and reconnect of a branch changed the index")
	}
	for range b {
		if err := x.DisconnectTip(); err != nil {
			t.Fatal(err)
		}
	}
	connectAll(t, x, a)
	if checksum(t, x) != checksum(t, want) {
		t.Fatal("after the switch to branch a the index differs from one built from a alone")
	}
	// The trunk output both branches spent is spent by a's tx now.
	op, err := x.Outpoint(trunk[1].Transactions[0].TxHash(), 0)
	if err != nil || op.SpentBy == nil || op.SpentBy.Txid != a[0].Transactions[1].TxHash() {
		t.Fatalf("outpoint: %+v %v", op, err)
	}
	// Addresses only b paid are gone.
	if _, err := x.AddressID(addrOf(t, 13)); err == nil {
		t.Fatal("an address of the losing branch is still indexed")
	}

	// Disconnecting everything leaves an empty index; rebuilding gives the
	// same checksum again.
	for range len(trunk) + len(a) {
		if err := x.DisconnectTip(); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := x.Tip(); ok {
		t.Fatal("tip after disconnecting all blocks")
	}
	connectAll(t, x, trunk, a)
	if checksum(t, x) != checksum(t, want) {
		t.Fatal("rebuild after full disconnect differs")
	}
	if err := x.ConnectBlock(b[1]); err == nil {
		t.Fatal("a block that does not extend the tip was connected")
	}
}

func addrOf(t *testing.T, k byte) string {
	t.Helper()
	var s = p2pkhText(k)
	return s
}

func p2pkhText(k byte) string {
	key := append([]byte{2}, bytes.Repeat([]byte{k}, 20)...) // btcscript.P2PKH
	return addrText(key, btcnet.Regtest)
}

// writeBlocks writes regtest block files.
func writeBlocks(t *testing.T, dir string, blocks ...*wire.MsgBlock) {
	t.Helper()
	var buf bytes.Buffer
	for _, b := range blocks {
		var raw bytes.Buffer
		if err := b.Serialize(&raw); err != nil {
			t.Fatal(err)
		}
		m := btcnet.Regtest.Magic()
		buf.Write(m[:])
		binary.Write(&buf, binary.LittleEndian, uint32(raw.Len()))
		buf.Write(raw.Bytes())
	}
	if err := os.WriteFile(filepath.Join(dir, "blk00000.dat"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIngestReorg: the block files first hold trunk+b, then also a, which
// has more work; Ingest notices its tip left the best chain and switches.
func TestIngestReorg(t *testing.T) {
	trunk, a, b := forkChains()
	blocks := t.TempDir()
	writeBlocks(t, blocks, append(append([]*wire.MsgBlock{}, trunk...), b...)...)
	x := ingestDir(t, blocks, t.TempDir(), Options{})
	if tip, _, _ := x.Tip(); tip.Hash != b[1].BlockHash() {
		t.Fatalf("tip %v", tip)
	}
	writeBlocks(t, blocks, append(append(append([]*wire.MsgBlock{}, trunk...), b...), a...)...)
	if err := x.Ingest(context.Background(), scan(t, blocks), nil); err != nil {
		t.Fatal(err)
	}
	ab := t.TempDir()
	writeBlocks(t, ab, append(append([]*wire.MsgBlock{}, trunk...), a...)...)
	want := ingestDir(t, ab, t.TempDir(), Options{})
	if checksum(t, x) != checksum(t, want) {
		t.Fatal("ingest across a reorg differs from ingest of the winning chain")
	}
}

// TestSmallCachesSameIndex: caches far smaller than the chain (every
// generation rotates, the window of statistics slides, addresses and
// outputs are read back from Pebble) give the same index as the defaults.
func TestSmallCachesSameIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates and ingests a chain of 80,000 transactions twice")
	}
	blocks := t.TempDir()
	if _, err := btcsim.Simulate(context.Background(), btcsim.Options{Dir: blocks, Seed: 9, Txs: 80_000}); err != nil {
		t.Fatal(err)
	}
	want := ingestDir(t, blocks, t.TempDir(), Options{})
	x := ingestDir(t, blocks, t.TempDir(), Options{CacheTxs: 500, CacheAddrs: 2000, BatchTxs: 3000})
	if tip, _, _ := x.Tip(); tip.NextID <= statChunk+4000 {
		t.Fatalf("only %d addresses: the window never slid", tip.NextID)
	}
	if checksum(t, x) != checksum(t, want) {
		t.Fatal("an ingest with small caches differs from one with the defaults")
	}
}

// TestBlockCommitsAddNoTables: a follower commits a block at a time. Those
// commits go through a batch, not sstables (which would leave tiny files on
// the bottom level that no compaction merges), and give the same index.
func TestBlockCommitsAddNoTables(t *testing.T) {
	trunk, a, _ := forkChains()
	build := func(small int) *Index {
		x := openIndex(t, t.TempDir(), Options{})
		x.net.Store(uint32(btcnet.Regtest))
		x.smallRun = small
		for _, b := range append(append([]*wire.MsgBlock{}, trunk...), a...) {
			if err := x.ConnectBlock(b); err != nil {
				t.Fatal(err)
			}
			if err := x.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		return x
	}
	tables := func(x *Index) int64 { m := x.db.Metrics(); return m.Total().TablesCount }
	asTables, asBatches := build(0), build(smallRun)
	if checksum(t, asTables) != checksum(t, asBatches) {
		t.Fatal("block commits through a batch give another index than through sstables")
	}
	n := int64(len(trunk) + len(a))
	if got := tables(asTables); got < n {
		t.Fatalf("the sstable path left %d tables for %d commits; the test no longer tells the paths apart", got, n)
	}
	if got := tables(asBatches); got != 0 {
		t.Fatalf("%d block commits left %d sstables", n, got)
	}
}
