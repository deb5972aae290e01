package btcindex

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// TestQueriesDuringReorgs: while one goroutine switches the index between
// two branches block by block (a commit per block, reorgs back and forth),
// queries and a growing transaction graph read it. Every answer must be
// of one committed state: a transaction is found whole with all it spent
// and all that spent it, or not at all; an address's statistics agree with
// its history; the graph holds exactly the transactions of the chain up to
// its tip. Run with -race.
func TestQueriesDuringReorgs(t *testing.T) {
	trunk, a, b := forkChains()
	x := openIndex(t, t.TempDir(), Options{})
	x.net.Store(uint32(btcnet.Regtest))
	connectAll(t, x, trunk)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}

	// What a reader may see: every tx of either branch with its inputs'
	// prevout txids, and the chain's tx count below each block's hash.
	txs := map[chainhash.Hash]*wire.MsgTx{}
	chainTxs := map[chainhash.Hash]int{}
	for _, branch := range [][]*wire.MsgBlock{a, b} {
		n := 0
		for _, blk := range append(append([]*wire.MsgBlock{}, trunk...), branch...) {
			n += len(blk.Transactions)
			chainTxs[blk.BlockHash()] = n
			for _, tx := range blk.Transactions {
				txs[tx.TxHash()] = tx
			}
		}
	}
	var addrs []string
	for k := byte(1); k <= 16; k++ {
		addrs = append(addrs, p2pkhText(k))
	}

	const rounds = 25
	var done atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		defer done.Store(true)
		for range rounds {
			for _, branch := range [][]*wire.MsgBlock{a, b} {
				for _, blk := range branch {
					if err := x.ConnectBlock(blk); err != nil {
						t.Error(err)
						return
					}
					if err := x.Flush(); err != nil {
						t.Error(err)
						return
					}
				}
				for range branch {
					if err := x.DisconnectTip(); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}
	})
	var reads atomic.Int64
	for range 2 {
		wg.Go(func() {
			for !done.Load() {
				for id, want := range txs {
					checkTx(t, x, id, want)
					reads.Add(1)
				}
				for _, s := range addrs {
					ad, err := x.Address(s, 0, 1000)
					if err != nil {
						if !errs.Is(err, errs.NotFound) {
							t.Errorf("address %s: %v", s, err)
						}
						continue
					}
					if ad.TxCount != len(ad.History) {
						t.Errorf("address %s: %d txs in its statistics, %d in its history", s, ad.TxCount, len(ad.History))
					}
					reads.Add(1)
				}
				if t.Failed() {
					return
				}
			}
		})
	}
	wg.Go(func() {
		g, err := txgraph.Build(context.Background(), x)
		if err != nil {
			t.Error(err)
			return
		}
		for !done.Load() && !t.Failed() {
			if err := g.Extend(context.Background()); err != nil {
				t.Errorf("extend: %v", err)
				return
			}
			if want, ok := chainTxs[g.TipHash()]; !ok || g.NTx() != want {
				t.Errorf("the graph holds %d transactions at tip %d (%x); the chain to that block has %d",
					g.NTx(), g.TipHeight(), g.TipHash(), want)
				return
			}
		}
	})
	wg.Wait()
	if reads.Load() == 0 {
		t.Fatal("no query ran while the index switched branches")
	}
	t.Logf("%d queries during %d reorgs", reads.Load(), 2*rounds)
}

// checkTx looks txid up and checks that what is found is the whole of
// want: its inputs resolved to the outputs they spend, its spenders known.
func checkTx(t *testing.T, x *Index, id chainhash.Hash, want *wire.MsgTx) {
	t.Helper()
	tx, err := x.TxByID(id)
	if err != nil {
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("tx %s: %v", id, err)
		}
		return
	}
	if tx.ID != id || len(tx.Outputs) != len(want.TxOut) {
		t.Errorf("tx %s: got %s with %d outputs, want %d", id, tx.ID, len(tx.Outputs), len(want.TxOut))
		return
	}
	if tx.Coinbase {
		return
	}
	if len(tx.Inputs) != len(want.TxIn) {
		t.Errorf("tx %s: %d inputs, want %d", id, len(tx.Inputs), len(want.TxIn))
		return
	}
	for i, in := range want.TxIn {
		if got := tx.Inputs[i]; got.Txid != in.PreviousOutPoint.Hash || got.Vout != in.PreviousOutPoint.Index {
			t.Errorf("tx %s input %d spends %s:%d, want %s", id, i, got.Txid, got.Vout, in.PreviousOutPoint)
		}
	}
	if tx.Fee != 1000 {
		t.Errorf("tx %s: fee %d, want 1000", id, tx.Fee)
	}
}
