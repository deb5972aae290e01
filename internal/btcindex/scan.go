package btcindex

import (
	"context"
	"encoding/binary"
	"slices"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/cockroachdb/pebble/v2"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// ScanTxs calls fn for every committed transaction from tx number from up
// to (not including) to, in order. It stops at the first error fn returns
// and checks ctx every few thousand transactions.
func (x *Index) ScanTxs(ctx context.Context, from, to uint32, fn func(*txgraph.RawTx) error) error {
	if from >= to {
		return nil
	}
	it, err := x.r.NewIter(&pebble.IterOptions{
		LowerBound: key4(pTx, from),
		UpperBound: key4(pTx, to),
	})
	if err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: scan")
	}
	defer it.Close()
	var r txRec
	var t txgraph.RawTx
	want := TxNum(from)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		n := TxNum(binary.BigEndian.Uint32(k[1:]))
		if n != want {
			return errs.E(errs.Internal, "btcindex: transaction %d is missing (found %d)", want, n)
		}
		want++
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return errs.Wrap(errs.Internal, err, "btcindex: scan")
		}
		if err := decodeTx(v, &r); err != nil {
			return err
		}
		t.Num, t.Height, t.Coinbase = uint32(n), r.height, r.coinbase
		t.Version, t.LockTime = int32(r.version), r.lockTime
		t.Ins, t.Outs = t.Ins[:0], t.Outs[:0]
		for _, in := range r.ins {
			t.Ins = append(t.Ins, txgraph.RawIn{Tx: uint32(in.out.Tx()), Vout: in.out.Vout(), Value: in.value, Addr: uint32(in.addr)})
		}
		for _, o := range r.outs {
			t.Outs = append(t.Outs, txgraph.RawOut{Value: o.value, Addr: uint32(o.addr), Class: o.class})
		}
		if err := fn(&t); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: scan")
	}
	if want != TxNum(to) {
		return errs.E(errs.Internal, "btcindex: scan ended at transaction %d, before %d", want, to)
	}
	return nil
}

// The methods below make an Index a txgraph.Source, and a Pinner.
var (
	_ txgraph.Source = (*Index)(nil)
	_ txgraph.Pinner = (*Index)(nil)
)

// Pin returns a view of the index on a snapshot of its committed state,
// which ingest does not change, and the function that releases it.
func (x *Index) Pin() (txgraph.Source, func()) { return x.pin() }

// GraphTip returns the committed tip's height and next tx number.
func (x *Index) GraphTip() (height int, nextTx uint32, ok bool, err error) {
	t, ok, err := x.Tip()
	return t.Height, uint32(t.NextTx), ok, err
}

// BlockAt returns the hash and first tx number of the block at height.
func (x *Index) BlockAt(height int) (hash [32]byte, firstTx uint32, err error) {
	b, err := x.Block(height)
	if err != nil {
		return hash, 0, err
	}
	return b.Hash, uint32(b.FirstTx), nil
}

// TxID returns the txid of tx number n.
func (x *Index) TxID(n uint32) (string, error) {
	h, err := x.txid(TxNum(n))
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// AddrText returns the address text of address id a ("" for 0).
func (x *Index) AddrText(a uint32) (string, error) { return x.addrText(AddrID(a)) }

// AddrIDOf returns the id of an address given as text.
func (x *Index) AddrIDOf(text string) (uint32, error) {
	a, err := x.AddressID(text)
	return uint32(a), err
}

// TxNumOf returns the tx number of the transaction with the given txid.
func (x *Index) TxNumOf(txid string) (uint32, error) {
	x, release := x.pin()
	defer release()
	h, err := chainhash.NewHashFromStrStrict(txid)
	if err != nil || len(txid) != 64 {
		return 0, errs.E(errs.Invalid, "btcindex: %q is not a txid (64 hex digits)", txid)
	}
	n, _, err := x.lookupTx((*[32]byte)(h))
	return uint32(n), err
}

// AddrTxs returns the tx numbers in which address a received, in chain
// order; with limit > 0, only the newest limit of them.
func (x *Index) AddrTxs(a uint32, limit int) ([]uint32, error) {
	it, err := x.r.NewIter(&pebble.IterOptions{
		LowerBound: key4(pHistory, a),
		UpperBound: key4(pHistory, a+1),
	})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: history")
	}
	defer it.Close()
	var txs []uint32
	for ok := it.Last(); ok && (limit <= 0 || len(txs) < limit); ok = it.Prev() {
		k, v := it.Key(), it.Value()
		if len(k) == 9 && len(v) == 1 && v[0]&histReceived != 0 {
			txs = append(txs, binary.BigEndian.Uint32(k[5:]))
		}
	}
	if err := it.Error(); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: history")
	}
	slices.Reverse(txs)
	return txs, nil
}
