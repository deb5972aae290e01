package btcindex

import (
	"github.com/cockroachdb/pebble/v2"

	"github.com/trawlhq/trawl/internal/errs"
)

// DisconnectTip removes the tip block, returning the index to the state
// before it was connected: its transactions, spend links, history entries
// and the addresses it introduced are deleted, and the statistics of the
// addresses it touched are restored from its undo record. Pending blocks
// are committed first; the disconnect is one synced batch.
func (x *Index) DisconnectTip() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.flushLocked(); err != nil {
		return err
	}
	if !x.has {
		return errs.E(errs.NotFound, "btcindex: the index is empty")
	}
	h := uint32(x.tip.Height)
	v, err := x.get(key4(pBlock, h))
	if err != nil {
		return err
	}
	br, err := decodeBlock(v)
	if err != nil {
		return err
	}
	uv, err := x.get(key4(pUndo, h))
	if err != nil {
		return err
	}
	if uv == nil {
		return errs.E(errs.Conflict, "btcindex: block %d has no undo record (only the last %d blocks keep one); re-ingest from scratch", h, KeepUndo)
	}
	undo, err := decodeUndo(uv)
	if err != nil {
		return err
	}
	b := x.db.NewBatch()
	defer b.Close()
	var rec txRec
	for n := br.firstTx + TxNum(br.txCount); n > br.firstTx; {
		n--
		tv, err := x.get(key4(pTx, uint32(n)))
		if err != nil {
			return err
		}
		if err := decodeTx(tv, &rec); err != nil {
			return err
		}
		for _, in := range rec.ins {
			b.Delete(key8(pSpent, uint32(in.out.Tx()), in.out.Vout()), nil)
			if in.addr != 0 {
				b.Delete(key8(pHistory, uint32(in.addr), uint32(n)), nil)
			}
		}
		for _, o := range rec.outs {
			if o.addr != 0 {
				b.Delete(key8(pHistory, uint32(o.addr), uint32(n)), nil)
			}
		}
		b.Delete(txidKey((*[32]byte)(&rec.id), uint32(n)), nil)
		b.Delete(key4(pTx, uint32(n)), nil)
	}
	for _, p := range undo.prior {
		b.Set(key4(pAddrStat, uint32(p.addr)), p.stat.encode(nil), nil)
	}
	for id := undo.nextID; id < x.tip.NextID; id++ {
		k, err := x.get(key4(pAddrKey, uint32(id)))
		if err != nil {
			return err
		}
		b.Delete(append([]byte{pAddr}, k...), nil)
		b.Delete(key4(pAddrKey, uint32(id)), nil)
		b.Delete(key4(pAddrStat, uint32(id)), nil)
	}
	b.Delete(key4(pBlock, h), nil)
	b.Delete(append([]byte{pBlockHash}, br.hash[:]...), nil)
	b.Delete(key4(pUndo, h), nil)
	tip := Tip{Height: int(h) - 1, NextTx: br.firstTx, NextID: undo.nextID}
	if h == 0 {
		b.Delete(keyTip, nil)
	} else {
		pv, err := x.get(key4(pBlock, h-1))
		if err != nil {
			return err
		}
		prev, err := decodeBlock(pv)
		if err != nil {
			return err
		}
		tip.Hash = prev.hash
		b.Set(keyTip, encodeTip(tip), nil)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: commit disconnect")
	}
	// The caches hold the disconnected block's outputs; start afresh.
	x.ing = nil
	x.tip, x.has = tip, h > 0
	return nil
}
