package btcindex

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcdtest"
)

const btc = 100_000_000

// TestBtcdRPC runs a real btcd on regtest: it mines, signs and mines
// transactions that spend coinbases and each other (P2PKH and P2WPKH),
// ingests the chain over RPC and checks the index; then it invalidates the
// tip, replaces its transaction with a competing one on a longer branch,
// ingests again as --follow does, and checks that the index equals a fresh
// ingest of the new chain.
func TestBtcdRPC(t *testing.T) {
	n := btcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	miner, alice, bob, carol := n.Miner, btcdtest.NewKey(2), btcdtest.NewKey(3), btcdtest.NewKey(4)
	hashes := n.Generate(t, 103) // coinbases of blocks 1 to 3 are mature from 101 on
	coinbase := func(height int) btcdtest.Spend {
		tx := n.Block(t, hashes[height-1]).Transactions[0]
		return btcdtest.Spend{Point: wire.OutPoint{Hash: tx.TxHash()}, Value: tx.TxOut[0].Value, Script: tx.TxOut[0].PkScript, Owner: miner}
	}
	const fee = 10_000
	tx1 := signed(t, []btcdtest.Spend{coinbase(1)}, []btcdtest.Pay{{Script: alice.WitnessScript, Value: 10 * btc}, {Script: miner.Script, Value: 40*btc - fee}})
	tx2 := signed(t, []btcdtest.Spend{coinbase(2)}, []btcdtest.Pay{{Script: bob.Script, Value: 20 * btc}, {Script: alice.WitnessScript, Value: 5 * btc}, {Script: miner.Script, Value: 25*btc - fee}})
	n.Send(t, tx1)
	n.Send(t, tx2)
	n.Generate(t, 1)
	aliceOut := btcdtest.Spend{Point: wire.OutPoint{Hash: tx1.TxHash(), Index: 0}, Value: 10 * btc, Script: alice.WitnessScript, Owner: alice}
	tx3 := signed(t, []btcdtest.Spend{aliceOut}, []btcdtest.Pay{{Script: bob.Script, Value: 10*btc - fee}})
	n.Send(t, tx3)
	n.Generate(t, 1)
	tipHeight, tipHash := n.Tip(t)
	if tipHeight != 105 {
		t.Fatalf("node tip at %d, want 105", tipHeight)
	}

	x := openIndex(t, t.TempDir(), Options{})
	if err := x.IngestFrom(ctx, n.RPC, nil); err != nil {
		t.Fatal(err)
	}
	if tip, _, _ := x.Tip(); tip.Height != tipHeight || tip.Hash != tipHash {
		t.Fatalf("index tip %d %s, node tip %d %s", tip.Height, tip.Hash, tipHeight, tipHash)
	}
	got, err := x.TxByID(tx1.TxHash())
	if err != nil {
		t.Fatal(err)
	}
	if in := got.Inputs[0]; in.Value != 50*btc || in.Address != miner.Address {
		t.Errorf("tx1 input resolved to %d sat of %s, want a 50 BTC coinbase of %s", in.Value, in.Address, miner.Address)
	}
	if o := got.Outputs[0]; o.Address != alice.WitnessAddr || o.Type != "witness_v0_keyhash" || o.SpentBy == nil || o.SpentBy.Txid != tx3.TxHash() {
		t.Errorf("tx1 output 0: %+v, want alice's P2WPKH spent by tx3", o)
	}
	if got.Fee != fee {
		t.Errorf("tx1 fee %d, want %d", got.Fee, fee)
	}
	wantAddr(t, x, alice.WitnessAddr, 5*btc, 15*btc, 3)
	wantAddr(t, x, bob.Address, 30*btc-fee, 30*btc-fee, 2)
	if op, err := x.Outpoint(tx2.TxHash(), 1); err != nil || op.SpentBy != nil || op.Value != 5*btc {
		t.Errorf("tx2:1 = %+v, %v; want 5 BTC unspent", op, err)
	}
	checkAgainstNode(t, ctx, x, n, 100, tipHeight)

	// The reorg: the tip goes, tx4 replaces tx3 (the same input, to carol,
	// a higher fee), and a branch of two blocks overtakes the old one.
	n.Call(t, nil, "invalidateblock", tipHash.String())
	// The node is now a block behind the index: a pass that only
	// disconnects, and must say so (it connects nothing to report with).
	var back Progress
	if err := x.IngestFrom(ctx, n.RPC, func(q Progress) { back = q }); err != nil {
		t.Fatal(err)
	}
	if back.Disconnected != 1 || back.Blocks != 0 || back.Height != tipHeight-1 {
		t.Errorf("a pass back to the node's tip reported %+v, want 1 block disconnected, none connected, at %d", back, tipHeight-1)
	}
	tx4 := signed(t, []btcdtest.Spend{aliceOut}, []btcdtest.Pay{{Script: carol.WitnessScript, Value: 10*btc - 10*fee}})
	n.Send(t, tx4)
	branch := n.Generate(t, 2)
	if b := n.Block(t, branch[0]); len(b.Transactions) != 2 || b.Transactions[1].TxHash() != tx4.TxHash() {
		t.Fatalf("the new branch's first block does not hold tx4 alone")
	}
	var p Progress
	if err := x.IngestFrom(ctx, n.RPC, func(q Progress) { p = q }); err != nil {
		t.Fatal(err)
	}
	if p.Disconnected != 0 || p.Blocks != 2 {
		t.Errorf("follow onto the new branch disconnected %d and connected %d blocks, want 0 and 2", p.Disconnected, p.Blocks)
	}
	if _, err := x.TxByID(tx3.TxHash()); err == nil {
		t.Error("tx3 of the abandoned branch is still indexed")
	}
	if op, err := x.Outpoint(tx1.TxHash(), 0); err != nil || op.SpentBy == nil || op.SpentBy.Txid != tx4.TxHash() {
		t.Errorf("tx1:0 = %+v, %v; want spent by tx4", op, err)
	}
	wantAddr(t, x, bob.Address, 20*btc, 20*btc, 1)
	wantAddr(t, x, carol.WitnessAddr, 10*btc-10*fee, 10*btc-10*fee, 1)
	checkAgainstNode(t, ctx, x, n, 100, 106)

	fresh := openIndex(t, t.TempDir(), Options{})
	if err := fresh.IngestFrom(ctx, n.RPC, nil); err != nil {
		t.Fatal(err)
	}
	if checksum(t, x) != checksum(t, fresh) {
		t.Fatal("the index after the reorg differs from a fresh ingest of the new chain")
	}
}

func signed(t *testing.T, ins []btcdtest.Spend, outs []btcdtest.Pay) *wire.MsgTx {
	t.Helper()
	tx, err := btcdtest.SignedTx(ins, outs)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func wantAddr(t *testing.T, x *Index, addr string, balance, received int64, txs int) {
	t.Helper()
	a, err := x.Address(addr, 0, 10)
	if err != nil {
		t.Fatalf("%s: %v", addr, err)
	}
	if a.Balance != balance || a.Received != received || a.TxCount != txs || len(a.History) != txs {
		t.Errorf("%s: balance %d received %d txs %d (history %d); want %d %d %d", addr, a.Balance, a.Received, a.TxCount, len(a.History), balance, received, txs)
	}
}

// checkAgainstNode compares the index's blocks from..to with btcd's
// verbose getblock (transactions under rawtx, no prevouts).
func checkAgainstNode(t *testing.T, ctx context.Context, x *Index, n *btcdtest.Node, from, to int) {
	t.Helper()
	for h := from; h <= to; h++ {
		hash, err := n.RPC.BlockHash(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		vb, err := n.RPC.VerboseBlock(ctx, hash, h)
		if err != nil {
			t.Fatal(err)
		}
		txs := make([]NodeTx, len(vb.Txs))
		for i, vt := range vb.Txs {
			txs[i] = NodeTx{ID: vt.ID}
			for _, o := range vt.Outs {
				txs[i].Outs = append(txs[i].Outs, NodeOut(o))
			}
			if i > 0 {
				txs[i].Prevouts = make([]*NodeOut, len(vt.Ins)) // btcd gives none
			}
		}
		if err := x.CheckBlock(h, hash, txs); err != nil {
			t.Fatal(err)
		}
	}
	var zero chainhash.Hash
	if err := x.CheckBlock(to, zero, nil); err == nil {
		t.Fatal("CheckBlock agreed with a wrong hash")
	}
}
