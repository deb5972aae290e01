package btcindex

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/errs"
)

// The ingest caches hold no pointers where they can: maps with pointer-free
// keys and values and flat slices are not scanned by the garbage
// collector, which otherwise spends a core on millions of small objects.

// addrKey is an address key (see keys.go) as a map key. The longest is a
// witness program of unknown version: class, version and 40 bytes.
type addrKey struct {
	n uint8
	b [42]byte
}

func (k *addrKey) bytes() []byte { return k.b[:k.n] }

// addrMap maps address keys to ids. Nearly every key is a class byte and a
// 20- or 32-byte hash; those live in maps with keys of exactly that size,
// which are half as slow to search as one of the longest key's size (the
// maps outgrow the CPU's caches, and bigger entries miss more).
type addrMap struct {
	k21   map[[21]byte]AddrID
	k33   map[[33]byte]AddrID
	other map[addrKey]AddrID
}

func newAddrMap(n int) addrMap {
	return addrMap{k21: make(map[[21]byte]AddrID, n), k33: make(map[[33]byte]AddrID, n/4), other: map[addrKey]AddrID{}}
}

func (m *addrMap) get(k *addrKey) (AddrID, bool) {
	var id AddrID
	var ok bool
	switch k.n {
	case 21:
		id, ok = m.k21[[21]byte(k.b[:21])]
	case 33:
		id, ok = m.k33[[33]byte(k.b[:33])]
	default:
		id, ok = m.other[*k]
	}
	return id, ok
}

func (m *addrMap) set(k *addrKey, id AddrID) {
	switch k.n {
	case 21:
		m.k21[[21]byte(k.b[:21])] = id
	case 33:
		m.k33[[33]byte(k.b[:33])] = id
	default:
		m.other[*k] = id
	}
}

func (m *addrMap) len() int { return len(m.k21) + len(m.k33) + len(m.other) }

// cachedOut is an output of a recent transaction.
type cachedOut struct {
	value uint64
	addr  AddrID
	spent bool
}

// txEnt is a recent transaction with outputs left unspent: its outputs are
// outs[off:off+n] of its generation.
type txEnt struct {
	num    TxNum
	left   uint32 // unspent outputs
	off, n uint32
}

// txGen is one generation of the transaction cache. The entries are the
// map's values, so that a lookup touches the map and the outputs only.
type txGen struct {
	idx  map[chainhash.Hash]txEnt
	outs []cachedOut
	n    int // transactions added
}

func newTxGen() txGen { return txGen{idx: make(map[chainhash.Hash]txEnt)} }

// txCache holds the outputs of the last transactions, in two generations:
// lookups try the young one, then the old; rotate drops the old one once
// the young one has taken limit transactions. Rotation happens only right
// after a commit, so nothing an uncommitted batch wrote is ever dropped.
type txCache struct {
	young, old txGen
	limit      int
}

func (c *txCache) get(h *chainhash.Hash) (*txGen, txEnt, bool) {
	if e, ok := c.young.idx[*h]; ok {
		return &c.young, e, true
	}
	if e, ok := c.old.idx[*h]; ok {
		return &c.old, e, true
	}
	return nil, txEnt{}, false
}

func (c *txCache) rotate() {
	if c.young.n < c.limit {
		return
	}
	// The old generation's memory serves the new young one.
	c.old, c.young = c.young, c.old
	clear(c.young.idx)
	c.young.outs, c.young.n = c.young.outs[:0], 0
}

// statEntry is an address's statistics in the ingest cache, in 32 bytes
// (two to a cache line): the record's fields, and the height plus one of
// the block that last saved them into its undo record, whose top bit says
// that the entry changed since the last commit.
type statEntry struct {
	balance, received uint64
	first, last, txs  uint32
	mark              uint32
}

const dirtyBit = 1 << 31

func (e *statEntry) dirty() bool { return e.mark&dirtyBit != 0 }

func (e *statEntry) rec() addrStat {
	return addrStat{balance: e.balance, received: e.received, first: e.first, last: e.last, txs: e.txs}
}

func (e *statEntry) setRec(s addrStat) {
	e.balance, e.received, e.first, e.last, e.txs = s.balance, s.received, s.first, s.last, s.txs
}

// statCache holds address statistics: those of the last addresses created
// in a window indexed by id, in chunks (so that it grows without copying
// and shrinks a chunk at a time), older ones in a two-generation map
// filled from the index.
type statCache struct {
	base   AddrID // id of chunks[0][0]
	chunks []*[statChunk]statEntry
	n      int // ids base to base+n-1 are in the window
	young  map[AddrID]*statEntry
	old    map[AddrID]*statEntry
	limit  int // the window keeps up to twice as many; the maps a quarter
}

const statChunk = 1 << 16

func (c *statCache) get(a AddrID) *statEntry {
	if a >= c.base {
		if i := int(a - c.base); i < c.n {
			return &c.chunks[i/statChunk][i%statChunk]
		}
		return nil
	}
	if e, ok := c.young[a]; ok {
		return e
	}
	return c.old[a]
}

// add puts the next id in the window, with empty statistics.
func (c *statCache) add() {
	if c.n == len(c.chunks)*statChunk {
		c.chunks = append(c.chunks, new([statChunk]statEntry))
	}
	c.n++
}

// rotate shrinks the window and drops the old map generation when they
// are full, and reports whether it dropped entries. It keeps the dirty
// entries (changed by the batch being built); every other entry it drops
// must be committed.
func (c *statCache) rotate() bool {
	dropped := false
	if len(c.young) >= c.limit/4 {
		dropped = len(c.old) > 0
		next := make(map[AddrID]*statEntry, c.limit/8)
		for a, e := range c.old {
			if e.dirty() {
				next[a] = e
			}
		}
		c.old, c.young = c.young, next
	}
	if c.n > 2*c.limit {
		cut := (c.n - c.limit) / statChunk
		for k, ch := range c.chunks[:cut] {
			for i := range ch {
				if ch[i].dirty() {
					e := ch[i]
					c.young[c.base+AddrID(k*statChunk+i)] = &e
				}
			}
		}
		c.chunks = append([]*[statChunk]statEntry(nil), c.chunks[cut:]...)
		c.base += AddrID(cut * statChunk)
		c.n -= cut * statChunk
		dropped = true
	}
	return dropped
}

type touch struct {
	addr  AddrID
	flags byte
}

// ingester is the state of an ingest between commits.
type ingester struct {
	run      run
	batchTxs int
	// commit is the commit in flight, if any: the run before this one,
	// being written while this one is built.
	commit   *commit
	spare    run // a committed run, whose memory the next run reuses
	txs      txCache
	addrs    addrMap // young generation; addrsOld the old
	addrsOld addrMap
	stats    statCache
	dirty    []AddrID
	// complete says that the address and statistics caches hold every
	// address of the index: the ingest began on an empty index and no
	// cache has dropped an entry since. A miss is then a new address, and
	// Pebble need not be asked.
	complete bool

	undo    undoRec
	touched []touch
	tmap    map[AddrID]int
	kb      []byte
}

func (x *Index) ingester() *ingester {
	if x.ing == nil {
		n := x.opts.CacheTxs
		x.ing = &ingester{
			txs:      txCache{young: newTxGen(), old: newTxGen(), limit: n},
			addrs:    newAddrMap(0),
			addrsOld: newAddrMap(0),
			stats:    statCache{base: x.tip.NextID, young: map[AddrID]*statEntry{}, old: map[AddrID]*statEntry{}, limit: x.opts.CacheAddrs},
			tmap:     make(map[AddrID]int),
			complete: x.tip.NextID == 1,
		}
		x.ing.run.reset(x.tip.NextTx)
	}
	return x.ing
}

// abort drops the uncommitted blocks and every cache, and returns to the
// committed tip (after the commit in flight, if any, has ended).
func (x *Index) abort() {
	if x.ing != nil && x.ing.commit != nil {
		<-x.ing.commit.done
	}
	x.ing = nil
	x.tip, x.has = Tip{Height: -1, NextID: 1}, false
	_ = x.loadMeta()
}

// ConnectBlock adds b on top of the tip (the first block connected becomes
// height 0). The block is written with the next commit; see Flush. If it
// fails, the uncommitted blocks are dropped and the index is back at its
// committed tip.
func (x *Index) ConnectBlock(b *wire.MsgBlock) error {
	return x.connectPrepared(prepare(b))
}

func (x *Index) connectPrepared(p *prepBlock) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.connect(p); err != nil {
		x.abort()
		return err
	}
	if x.ing.batchTxs >= x.opts.BatchTxs {
		return x.startCommit()
	}
	return nil
}

func (x *Index) connect(p *prepBlock) error {
	ing := x.ingester()
	h := x.tip.Height + 1
	if x.has && p.prev != x.tip.Hash {
		return errs.E(errs.Conflict, "btcindex: block %s does not extend the tip %s (height %d)", p.hash, x.tip.Hash, x.tip.Height)
	}
	ing.undo.nextID = x.tip.NextID
	ing.undo.prior = ing.undo.prior[:0]
	first := x.tip.NextTx
	ins, outs := p.ins, p.outs
	for i := range p.txs {
		t := &p.txs[i]
		if err := x.connectTx(ing, t, ins[:t.nIn], outs[:t.nOut], uint32(h), coinbase(i, ins[:t.nIn])); err != nil {
			return err
		}
		ins, outs = ins[t.nIn:], outs[t.nOut:]
	}
	br := blockRec{hash: p.hash, prev: p.prev, time: p.time, txCount: uint32(len(p.txs)), firstTx: first}
	ing.run.blocks = append(ing.run.blocks, blockEntry{height: uint32(h), hash: p.hash, rec: br.encode(), undo: ing.undo.encode(nil)})
	if h >= KeepUndo {
		ing.run.expireUndo(uint32(h - KeepUndo))
	}
	x.tip.Height, x.tip.Hash, x.has = h, p.hash, true
	ing.batchTxs += len(p.txs)
	return nil
}

func (x *Index) connectTx(ing *ingester, t *prepTx, ins []wire.OutPoint, pouts []prepOut, h uint32, coinbase bool) error {
	num := x.tip.NextTx
	if num == ^TxNum(0) {
		return errs.E(errs.TooLarge, "btcindex: tx numbers exhausted")
	}
	x.tip.NextTx++
	rt := runTx{id: t.id, height: h, coinbase: coinbase, version: t.version, lockTime: t.lockTime}
	ing.touched = ing.touched[:0]
	if !coinbase {
		for vin := range ins {
			o, err := x.spend(ing, &ins[vin])
			if err != nil {
				return errs.Wrap(errs.Invalid, err, "btcindex: tx %s input %d", t.id, vin)
			}
			ing.run.txIns = append(ing.run.txIns, o)
			rt.nIn++
			ing.run.spent = append(ing.run.spent, spentEntry{out: uint64(o.out), by: uint64(num)<<32 | uint64(vin)})
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
	g := &ing.txs.young
	ent := txEnt{num: num, off: uint32(len(g.outs)), n: uint32(len(pouts))}
	for vout := range pouts {
		po := &pouts[vout]
		var a AddrID
		if po.hasKey {
			var err error
			if a, err = x.addrID(ing, &po.key); err != nil {
				return err
			}
		}
		v := uint64(po.value)
		ing.run.txOuts = append(ing.run.txOuts, outRec{value: v, addr: a, class: po.class})
		g.outs = append(g.outs, cachedOut{value: v, addr: a, spent: po.unspendable})
		if !po.unspendable {
			ent.left++
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
	for _, tc := range ing.touched {
		ing.run.hist = append(ing.run.hist, histEntry{key: uint64(tc.addr)<<32 | uint64(num), flags: tc.flags})
		e := ing.stats.get(tc.addr)
		if e.txs == 0 {
			e.first = h
		}
		e.txs++
		e.last = h
	}
	clear(ing.tmap)
	rt.nOut = uint32(len(pouts))
	ing.run.txs = append(ing.run.txs, rt)
	ing.run.txids = append(ing.run.txids, txidEntry{prefix: binary.BigEndian.Uint64(t.id[:8]), num: num})
	g.n++
	if ent.left > 0 {
		g.idx[t.id] = ent
	} else {
		g.outs = g.outs[:ent.off]
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
	if g, e, ok := ing.txs.get(&p.Hash); ok {
		if p.Index >= e.n || g.outs[e.off+p.Index].spent {
			return inRec{}, errs.E(errs.Invalid, "spends %s:%d, which is spent or does not exist", p.Hash, p.Index)
		}
		o := &g.outs[e.off+p.Index]
		o.spent = true
		if e.left--; e.left == 0 {
			delete(g.idx, p.Hash)
		} else {
			g.idx[p.Hash] = e
		}
		return inRec{out: MakeOutID(e.num, p.Index), value: o.value, addr: o.addr}, nil
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
func (x *Index) stat(ing *ingester, a AddrID, h uint32) (*statEntry, error) {
	e := ing.stats.get(a)
	if e == nil {
		if a >= ing.stats.base || ing.complete {
			return nil, errs.E(errs.Internal, "btcindex: address id %d has no statistics in memory", a)
		}
		e = &statEntry{}
		v, err := x.get(key4(pAddrStat, uint32(a)))
		if err != nil {
			return nil, err
		}
		if v != nil {
			st, err := decodeStat(v)
			if err != nil {
				return nil, err
			}
			e.setRec(st)
		}
		ing.stats.young[a] = e
	}
	if e.mark&^dirtyBit != h+1 {
		if a < ing.undo.nextID {
			ing.undo.prior = append(ing.undo.prior, undoStat{a, e.rec()})
		}
		e.mark = e.mark&dirtyBit | (h + 1)
	}
	if !e.dirty() {
		e.mark |= dirtyBit
		ing.dirty = append(ing.dirty, a)
	}
	return e, nil
}

// addrID returns the id of the address key k, assigning the next one on
// first sight.
func (x *Index) addrID(ing *ingester, k *addrKey) (AddrID, error) {
	if id, ok := ing.addrs.get(k); ok {
		return id, nil
	}
	if id, ok := ing.addrsOld.get(k); ok {
		return id, nil
	}
	var v []byte
	if !ing.complete {
		ing.kb = append(append(ing.kb[:0], pAddr), k.bytes()...)
		var err error
		if v, err = x.get(ing.kb); err != nil {
			return 0, err
		}
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
		off := uint32(len(ing.run.addrKey))
		ing.run.addrKey = append(ing.run.addrKey, k.bytes()...)
		ing.run.addrs = append(ing.run.addrs, addrEntry{id: id, off: off, end: uint32(len(ing.run.addrKey))})
		// A new address starts with empty statistics, in the window.
		ing.stats.add()
	}
	ing.addrs.set(k, id)
	return id, nil
}

// Flush commits the connected blocks with their tip, durably.
func (x *Index) Flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.flushLocked()
}

// commit is a run being written and ingested on a goroutine of its own.
type commit struct {
	r    *run
	done chan error // receives the result, once
}

func (x *Index) flushLocked() error {
	if err := x.startCommit(); err != nil {
		return err
	}
	return x.waitCommit()
}

// waitCommit waits for the commit in flight, if any. If it failed, the
// blocks connected since are dropped too: the index returns to its
// committed tip.
func (x *Index) waitCommit() error {
	ing := x.ing
	if ing == nil || ing.commit == nil {
		return nil
	}
	c := ing.commit
	err := <-c.done
	ing.commit = nil
	if err != nil {
		x.abort()
		return err
	}
	ing.spare = *c.r
	return nil
}

// startCommit hands the run to a goroutine that writes and ingests it,
// after the commit before it has ended, and starts a new run: ingest goes
// on while the last batch is written.
func (x *Index) startCommit() error {
	ing := x.ing
	if ing == nil || ing.run.empty() {
		return nil
	}
	if err := x.waitCommit(); err != nil {
		return err
	}
	// Every run but this one is committed now: the caches may drop what
	// is not dirty.
	ing.txs.rotate()
	if ing.stats.rotate() {
		ing.complete = false
	}
	if ing.addrs.len() >= x.opts.CacheAddrs {
		if ing.addrsOld.len() > 0 {
			ing.complete = false
		}
		ing.addrsOld, ing.addrs = ing.addrs, newAddrMap(x.opts.CacheAddrs/2)
	}
	stats := make([]statWrite, 0, len(ing.dirty))
	for _, a := range ing.dirty {
		e := ing.stats.get(a)
		rec := e.rec()
		stats = append(stats, statWrite{addr: a, rec: rec.encode(nil)})
		e.mark &^= dirtyBit
	}
	ing.dirty = ing.dirty[:0]
	r := new(run)
	*r = ing.run
	ing.run = ing.spare
	ing.spare = run{}
	ing.run.reset(x.tip.NextTx)
	ing.batchTxs = 0
	c := &commit{r: r, done: make(chan error, 1)}
	ing.commit = c
	tip, net := x.tip, x.Network()
	go func() { c.done <- x.commitRun(r, stats, tip, net) }()
	return nil
}
