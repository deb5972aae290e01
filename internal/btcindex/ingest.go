package btcindex

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/cockroachdb/pebble/v2"

	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
)

// cachedTx is the outputs of a recent transaction, while some are unspent.
type cachedTx struct {
	num  TxNum
	left int32 // unspent outputs
	outs []cachedOut
}

type cachedOut struct {
	value uint64
	addr  AddrID
	spent bool
}

type statEntry struct {
	stat  addrStat
	mark  int32 // height of the block that last saved this entry's undo
	dirty bool
}

// gen is a two-generation cache: lookups try the young map, then the old;
// rotate drops the old one. Rotation happens only right after a commit, so
// nothing an uncommitted batch wrote is ever dropped.
type gen[K comparable, V any] struct {
	young, old map[K]V
	limit      int
}

func newGen[K comparable, V any](limit int) gen[K, V] {
	return gen[K, V]{young: make(map[K]V), old: map[K]V{}, limit: limit}
}

func (g *gen[K, V]) get(k K) (V, bool) {
	if v, ok := g.young[k]; ok {
		return v, true
	}
	v, ok := g.old[k]
	return v, ok
}

func (g *gen[K, V]) del(k K) {
	delete(g.young, k)
	delete(g.old, k)
}

func (g *gen[K, V]) rotate() {
	if len(g.young) >= g.limit {
		g.old, g.young = g.young, make(map[K]V, g.limit/2)
	}
}

type touch struct {
	addr  AddrID
	flags byte
}

// ingester is the state of an ingest between commits.
type ingester struct {
	batch    *pebble.Batch
	batchTxs int
	// batchNextID is the first address id assigned in the current batch.
	batchNextID AddrID
	txs         gen[chainhash.Hash, *cachedTx]
	addrs       map[string]AddrID // young generation; addrsOld the old
	addrsOld    map[string]AddrID
	stats       gen[AddrID, *statEntry]
	dirty       []AddrID

	rec     txRec
	undo    undoRec
	touched []touch
	tmap    map[AddrID]int
	buf     []byte
	kb      []byte
	akey    []byte
}

func (x *Index) ingester() *ingester {
	if x.ing == nil {
		n := x.opts.CacheTxs
		x.ing = &ingester{
			batch:    x.db.NewBatch(),
			txs:      newGen[chainhash.Hash, *cachedTx](n),
			addrs:    make(map[string]AddrID),
			addrsOld: map[string]AddrID{},
			stats:    newGen[AddrID, *statEntry](n),
			tmap:     make(map[AddrID]int),
		}
		x.ing.batchNextID = x.tip.NextID
	}
	return x.ing
}

// abort drops the uncommitted blocks and every cache, and returns to the
// committed tip.
func (x *Index) abort() {
	if x.ing != nil {
		x.ing.batch.Close()
		x.ing = nil
	}
	x.tip, x.has = Tip{Height: -1, NextID: 1}, false
	_ = x.loadMeta()
}

// ConnectBlock adds b on top of the tip (the first block connected becomes
// height 0). The block is written with the next commit; see Flush. If it
// fails, the uncommitted blocks are dropped and the index is back at its
// committed tip.
func (x *Index) ConnectBlock(b *wire.MsgBlock) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.connect(b); err != nil {
		x.abort()
		return err
	}
	if x.ing.batchTxs >= x.opts.BatchTxs {
		return x.flushLocked()
	}
	return nil
}

func isCoinbase(tx *wire.MsgTx) bool {
	if len(tx.TxIn) != 1 {
		return false
	}
	p := &tx.TxIn[0].PreviousOutPoint
	return p.Index == 0xffffffff && p.Hash == chainhash.Hash{}
}

func (x *Index) connect(b *wire.MsgBlock) error {
	ing := x.ingester()
	h := x.tip.Height + 1
	if x.has && b.Header.PrevBlock != x.tip.Hash {
		return errs.E(errs.Conflict, "btcindex: block %s does not extend the tip %s (height %d)", b.BlockHash(), x.tip.Hash, x.tip.Height)
	}
	hash := b.BlockHash()
	ing.undo.nextID = x.tip.NextID
	ing.undo.prior = ing.undo.prior[:0]
	first := x.tip.NextTx
	for i, tx := range b.Transactions {
		if err := x.connectTx(ing, tx, uint32(h), i == 0 && isCoinbase(tx)); err != nil {
			return err
		}
	}
	br := blockRec{hash: hash, prev: b.Header.PrevBlock, time: uint32(b.Header.Timestamp.Unix()), txCount: uint32(len(b.Transactions)), firstTx: first}
	ing.batch.Set(key4(pBlock, uint32(h)), br.encode(), nil)
	hk := make([]byte, 33)
	hk[0] = pBlockHash
	copy(hk[1:], hash[:])
	ing.batch.Set(hk, binary.BigEndian.AppendUint32(nil, uint32(h)), nil)
	ing.buf = ing.undo.encode(ing.buf[:0])
	ing.batch.Set(key4(pUndo, uint32(h)), ing.buf, nil)
	if h >= KeepUndo {
		ing.batch.Delete(key4(pUndo, uint32(h-KeepUndo)), nil)
	}
	x.tip.Height, x.tip.Hash, x.has = h, hash, true
	ing.batchTxs += len(b.Transactions)
	return nil
}

func (x *Index) connectTx(ing *ingester, tx *wire.MsgTx, h uint32, coinbase bool) error {
	txid := tx.TxHash()
	num := x.tip.NextTx
	if num == ^TxNum(0) {
		return errs.E(errs.TooLarge, "btcindex: tx numbers exhausted")
	}
	x.tip.NextTx++
	r := &ing.rec
	r.id, r.height, r.coinbase = txid, h, coinbase
	r.version, r.lockTime = uint32(tx.Version), tx.LockTime
	r.ins, r.outs = r.ins[:0], r.outs[:0]
	ing.touched = ing.touched[:0]
	if !coinbase {
		for vin, in := range tx.TxIn {
			o, err := x.spend(ing, &in.PreviousOutPoint)
			if err != nil {
				return errs.Wrap(errs.Invalid, err, "btcindex: tx %s input %d", txid, vin)
			}
			r.ins = append(r.ins, o)
			ing.kb = appendKey8(ing.kb[:0], pSpent, uint32(o.out.Tx()), o.out.Vout())
			var v [8]byte
			binary.BigEndian.PutUint32(v[:], uint32(num))
			binary.BigEndian.PutUint32(v[4:], uint32(vin))
			ing.batch.Set(ing.kb, v[:], nil)
			if o.addr != 0 {
				st, err := x.stat(ing, o.addr, h)
				if err != nil {
					return err
				}
				st.balance -= o.value
				ing.touch(o.addr, histSpent)
			}
		}
	}
	c := &cachedTx{num: num, outs: make([]cachedOut, len(tx.TxOut))}
	for vout, out := range tx.TxOut {
		s := btcscript.Classify(out.PkScript)
		var a AddrID
		var ok bool
		ing.akey, ok = addrKeyOf(ing.akey[:0], &s, out.PkScript)
		if ok {
			var err error
			if a, err = x.addrID(ing, ing.akey); err != nil {
				return err
			}
		}
		v := uint64(out.Value)
		r.outs = append(r.outs, outRec{value: v, addr: a, class: s.Class})
		c.outs[vout] = cachedOut{value: v, addr: a, spent: s.Unspendable()}
		if !s.Unspendable() {
			c.left++
		}
		if a != 0 {
			st, err := x.stat(ing, a, h)
			if err != nil {
				return err
			}
			st.balance += v
			st.received += v
			ing.touch(a, histReceived)
		}
	}
	for _, t := range ing.touched {
		ing.kb = appendKey8(ing.kb[:0], pHistory, uint32(t.addr), uint32(num))
		ing.batch.Set(ing.kb, []byte{t.flags}, nil)
		e, _ := ing.stats.get(t.addr)
		if e.stat.txs == 0 {
			e.stat.first = h
		}
		e.stat.txs++
		e.stat.last = h
	}
	clear(ing.tmap)
	ing.buf = r.encode(ing.buf[:0])
	ing.batch.Set(key4(pTx, uint32(num)), ing.buf, nil)
	ing.batch.Set(txidKey((*[32]byte)(&txid), uint32(num)), nil, nil)
	if c.left > 0 {
		ing.txs.young[txid] = c
	}
	return nil
}

func (ing *ingester) touch(a AddrID, f byte) {
	if len(ing.touched) < 32 {
		for i := range ing.touched {
			if ing.touched[i].addr == a {
				ing.touched[i].flags |= f
				return
			}
		}
		ing.touched = append(ing.touched, touch{a, f})
		return
	}
	if len(ing.tmap) == 0 {
		for i, t := range ing.touched {
			ing.tmap[t.addr] = i
		}
	}
	if i, ok := ing.tmap[a]; ok {
		ing.touched[i].flags |= f
		return
	}
	ing.tmap[a] = len(ing.touched)
	ing.touched = append(ing.touched, touch{a, f})
}

// spend resolves the output p spends and marks it spent in the cache.
func (x *Index) spend(ing *ingester, p *wire.OutPoint) (inRec, error) {
	if c, ok := ing.txs.get(p.Hash); ok {
		if int(p.Index) >= len(c.outs) || c.outs[p.Index].spent {
			return inRec{}, errs.E(errs.Invalid, "spends %s:%d, which is spent or does not exist", p.Hash, p.Index)
		}
		o := &c.outs[p.Index]
		o.spent = true
		c.left--
		if c.left == 0 {
			ing.txs.del(p.Hash)
		}
		return inRec{out: MakeOutID(c.num, p.Index), value: o.value, addr: o.addr}, nil
	}
	num, rec, err := x.lookupTx((*[32]byte)(&p.Hash))
	if err != nil {
		return inRec{}, err
	}
	if int(p.Index) >= len(rec.outs) {
		return inRec{}, errs.E(errs.Invalid, "spends %s:%d, which does not exist", p.Hash, p.Index)
	}
	o := rec.outs[p.Index]
	return inRec{out: MakeOutID(num, p.Index), value: o.value, addr: o.addr}, nil
}

// stat returns the statistics of a for update, saving their prior value
// in the block's undo record on the block's first touch.
func (x *Index) stat(ing *ingester, a AddrID, h uint32) (*addrStat, error) {
	e, ok := ing.stats.get(a)
	if !ok && a >= ing.batchNextID {
		// Created in this batch, so far without statistics: a new address.
		e = &statEntry{mark: -1}
		ing.stats.young[a] = e
	} else if !ok {
		e = &statEntry{mark: -1}
		v, err := x.get(key4(pAddrStat, uint32(a)))
		if err != nil {
			return nil, err
		}
		if v != nil {
			if e.stat, err = decodeStat(v); err != nil {
				return nil, err
			}
		}
		ing.stats.young[a] = e
	}
	if e.mark != int32(h) {
		if a < ing.undo.nextID {
			ing.undo.prior = append(ing.undo.prior, undoStat{a, e.stat})
		}
		e.mark = int32(h)
	}
	if !e.dirty {
		e.dirty = true
		ing.dirty = append(ing.dirty, a)
	}
	return &e.stat, nil
}

// addrID returns the id of the address key k, assigning the next one on
// first sight.
func (x *Index) addrID(ing *ingester, k []byte) (AddrID, error) {
	if id, ok := ing.addrs[string(k)]; ok {
		return id, nil
	}
	if id, ok := ing.addrsOld[string(k)]; ok {
		return id, nil
	}
	ing.kb = append(append(ing.kb[:0], pAddr), k...)
	v, err := x.get(ing.kb)
	if err != nil {
		return 0, err
	}
	var id AddrID
	if len(v) == 4 {
		id = AddrID(binary.BigEndian.Uint32(v))
	} else {
		id = x.tip.NextID
		if id == ^AddrID(0) {
			return 0, errs.E(errs.TooLarge, "btcindex: address ids exhausted")
		}
		x.tip.NextID++
		ing.batch.Set(ing.kb, binary.BigEndian.AppendUint32(nil, uint32(id)), nil)
		ing.batch.Set(key4(pAddrKey, uint32(id)), k, nil)
	}
	ing.addrs[string(k)] = id
	return id, nil
}

// Flush commits the connected blocks with their tip, durably.
func (x *Index) Flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.flushLocked()
}

func (x *Index) flushLocked() error {
	ing := x.ing
	if ing == nil {
		return nil
	}
	for _, a := range ing.dirty {
		e, _ := ing.stats.get(a)
		ing.buf = e.stat.encode(ing.buf[:0])
		ing.batch.Set(key4(pAddrStat, uint32(a)), ing.buf, nil)
		e.dirty = false
	}
	ing.dirty = ing.dirty[:0]
	if x.has {
		ing.batch.Set(keyTip, encodeTip(x.tip), nil)
		ing.batch.Set(keyNet, []byte{byte(x.net)}, nil)
	}
	if err := ing.batch.Commit(pebble.Sync); err != nil {
		x.abort()
		return errs.Wrap(errs.Internal, err, "btcindex: commit")
	}
	ing.batch.Close()
	ing.batch = x.db.NewBatch()
	ing.batchTxs = 0
	ing.batchNextID = x.tip.NextID
	ing.txs.rotate()
	ing.stats.rotate()
	if len(ing.addrs) >= x.opts.CacheTxs {
		ing.addrsOld, ing.addrs = ing.addrs, make(map[string]AddrID, x.opts.CacheTxs/2)
	}
	return nil
}
