package blkfile

import (
	"context"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/btcscript"
)

const (
	genesisHash = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
	tip14131    = "00000000b3e750f37fdb42e1018799a9f44b546d393b130b369590a072430a1c" // block 14131; TestMainnet cross-checks it with chainhash
)

// txCount counts transactions by reading each block's tx-count varint
// directly, independent of wire's decoder and of chain order.
func txCount(blocks [][]byte) int {
	n := 0
	for _, b := range blocks {
		switch v := b[80]; v {
		case 0xfd:
			n += int(binary.LittleEndian.Uint16(b[81:]))
		case 0xfe:
			n += int(binary.LittleEndian.Uint32(b[81:]))
		default:
			n += int(v)
		}
	}
	return n
}

// TestMainnet reads mainnet blocks 0-14131 as btcd ships them, shuffled
// over several zero-padded files, and obfuscated as Core 28 writes them.
func TestMainnet(t *testing.T) {
	file, blocks := mainnetBlocks(t)
	if len(blocks) != 14132 {
		t.Fatalf("own parser found %d records, want 14132", len(blocks))
	}
	wantTip := hashOf(blocks[len(blocks)-1]) // btcd's file is in height order
	wantTxs := txCount(blocks)
	shuffled := shuffledFiles(blocks, 5, 1)
	cases := []struct {
		name  string
		files map[string][]byte
		xor   bool
	}{
		{"as shipped", map[string][]byte{"blk00000.dat": file}, false},
		{"shuffled over 5 files", shuffled, false},
		{"shuffled and obfuscated", obfuscate(shuffled, [8]byte{0x9a, 0x01, 0xff, 0x33, 0x00, 0x5c, 0xe7, 0x42}), true},
		{"zero xor key", obfuscate(shuffled, [8]byte{}), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Open(writeDir(t, c.files))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Network() != btcnet.Mainnet || r.Obfuscated() != c.xor {
				t.Fatalf("network %v obfuscated %v", r.Network(), r.Obfuscated())
			}
			ch, err := r.Scan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if ch.Len() != 14132 || ch.Height() != 14131 || len(ch.Orphans()) != 0 || len(ch.Warnings()) != 0 {
				t.Fatalf("len %d height %d orphans %d warnings %v", ch.Len(), ch.Height(), len(ch.Orphans()), ch.Warnings())
			}
			if ch.Hash(0).String() != genesisHash || ch.Tip() != wantTip {
				t.Fatalf("genesis %s tip %s, want %s", ch.Hash(0), ch.Tip(), wantTip)
			}
			// Difficulty 1 (bits 1d00ffff, work 0x100010001) throughout: no
			// retarget before height 32256 changed it.
			if want := new(big.Int).Mul(big.NewInt(14132), big.NewInt(0x100010001)); ch.Work().Cmp(want) != 0 {
				t.Errorf("work %s, want %s", ch.Work(), want)
			}
			txs, next := 0, 0
			err = ch.Blocks(context.Background(), 0, func(h int, b *wire.MsgBlock) error {
				if h != next || b.BlockHash() != ch.Hash(h) {
					t.Fatalf("height %d (want %d): block %s, chain says %s", h, next, b.BlockHash(), ch.Hash(h))
				}
				next++
				txs += len(b.Transactions)
				if h == 9 {
					s := btcscript.Classify(b.Transactions[0].TxOut[0].PkScript)
					a, err := s.Address(r.Network())
					if s.Class != btcscript.P2PK || err != nil || a != "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" {
						t.Errorf("block 9 coinbase pays %v %q %v", s.Class, a, err)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if next != 14132 || txs != wantTxs {
				t.Errorf("Blocks gave %d blocks, %d txs; want 14132, %d", next, txs, wantTxs)
			}
			raw, err := ch.Raw(14131)
			if err != nil || hashOf(raw) != wantTip || len(raw) != len(blocks[14131]) {
				t.Errorf("Raw(14131): %v", err)
			}
		})
	}
	t.Logf("tip %s, %d transactions", wantTip, wantTxs)
	if wantTip.String() != tip14131 {
		t.Errorf("hash of the last block is %s, the constant says %s", wantTip, tip14131)
	}
}

func TestBlocksStopsAndResumes(t *testing.T) {
	_, blocks := mainnetBlocks(t)
	r, err := Open(writeDir(t, shuffledFiles(blocks[:3000], 3, 7)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ch, err := r.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	seen := 0
	err = ch.Blocks(context.Background(), 2500, func(h int, b *wire.MsgBlock) error {
		if h != 2500+seen {
			t.Fatalf("height %d after %d blocks from 2500", h, seen)
		}
		seen++
		if h == 2600 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || seen != 101 {
		t.Fatalf("err %v after %d blocks", err, seen)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err = ch.Blocks(ctx, 0, func(h int, _ *wire.MsgBlock) error {
		if h == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if err := ch.Blocks(context.Background(), 3000, func(int, *wire.MsgBlock) error { t.Fatal("no block after the tip"); return nil }); err != nil {
		t.Fatal(err)
	}
	if err := ch.Blocks(context.Background(), 3001, nil); err == nil {
		t.Fatal("start beyond the tip accepted")
	}
	if _, err := ch.Block(3000); err == nil {
		t.Fatal("Block(3000) of a 3000-block chain")
	}
	if b, err := ch.Block(1234); err != nil || b.BlockHash() != hashOf(blocks[1234]) {
		t.Fatalf("Block(1234): %v", err)
	}
	if l := ch.Location(0); l.Size != len(blocks[0]) {
		t.Fatalf("Location(0) = %+v", l)
	}
}

func TestBlockWork(t *testing.T) {
	cases := []struct {
		bits uint32
		want string
	}{
		{0x1d00ffff, "4295032833"},     // difficulty 1, the genesis chainwork 0x100010001
		{0x207fffff, "2"},              // regtest: target 2^255-ish
		{0x1b0404cb, "70040908352512"}, // mainnet height 32256, the first retarget (difficulty 16307)
		{0x01003456, "0"},              // target rounds to zero
		{0x04923456, "0"},              // negative target
		{0xff123456, "0"},              // overflow
		{0x00000000, "0"},
	}
	for _, c := range cases {
		if got := blockWork(c.bits).big().String(); got != c.want {
			t.Errorf("work(%08x) = %s, want %s", c.bits, got, c.want)
		}
	}
	var a uint256
	a = a.add(uint256{^uint64(0), ^uint64(0), 0, 0}).add(uint256{1})
	if a != (uint256{0, 0, 1, 0}) || a.cmp(uint256{^uint64(0), ^uint64(0)}) != 1 {
		t.Errorf("uint256 carry: %x", a)
	}
}
