package btcindex

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
)

// TxNum is a transaction's position in the chain (see doc.go).
type TxNum uint32

// AddrID is an address's dense number; 0 is "no address".
type AddrID uint32

// OutID packs (tx number, vout).
type OutID uint64

// MakeOutID packs a tx number and output index.
func MakeOutID(tx TxNum, vout uint32) OutID { return OutID(tx)<<32 | OutID(vout) }

// Tx returns the tx number of o.
func (o OutID) Tx() TxNum { return TxNum(o >> 32) }

// Vout returns the output index of o.
func (o OutID) Vout() uint32 { return uint32(o) }

// Chain names a chain in ids that cross chains. Only Bitcoin is indexed
// today; the codes are fixed so that stored global ids stay valid.
type Chain uint8

const (
	Bitcoin  Chain = 1
	Ethereum Chain = 2
)

// GlobalAddr is an address id that names its chain: chain<<56 | id.
type GlobalAddr uint64

// Global returns the cross-chain form of a Bitcoin address id.
func (a AddrID) Global() GlobalAddr { return GlobalAddr(Bitcoin)<<56 | GlobalAddr(a) }

// KeepUndo is the number of most recent blocks whose undo records are kept:
// deeper reorgs than that do not happen on Bitcoin (coinbase maturity is
// 100 blocks, and no reorg since 2013 went past a handful).
const KeepUndo = 288

// Options tune an Index. The zero value is good.
type Options struct {
	// CacheTxs bounds the recent transactions whose outputs ingest keeps in
	// memory (default 2,000,000).
	CacheTxs int
	// CacheAddrs bounds the addresses whose ids and statistics ingest keeps
	// in memory (default 8,000,000; ids in two generations of up to that
	// many, statistics of the newest up to twice as many: about 1.3 GB at
	// the most): an address out of the cache costs Pebble lookups of its id
	// and its statistics, and addresses are reused long after they first
	// appear.
	CacheAddrs int
	// BlockCache is the bytes of Pebble's block cache (default 256 MiB):
	// ingest reads the address tables of addresses out of its own cache.
	BlockCache int64
	// BatchTxs is how many transactions ingest collects before a commit
	// (default 200,000). The batch is one atomic write with its tip.
	BatchTxs int
	// MemTableSize for Pebble (default 64 MiB).
	MemTableSize uint64
}

func (o *Options) ensureDefaults() {
	if o.CacheTxs <= 0 {
		o.CacheTxs = 2_000_000
	}
	if o.CacheAddrs <= 0 {
		o.CacheAddrs = 8_000_000
	}
	if o.BlockCache <= 0 {
		o.BlockCache = 256 << 20
	}
	if o.BatchTxs <= 0 {
		o.BatchTxs = 200_000
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
	}
}

// Tip is the last connected block.
type Tip struct {
	Height int
	Hash   chainhash.Hash
	NextTx TxNum  // tx number the next transaction gets
	NextID AddrID // address id the next new address gets
}

// Index is an open chain index. Queries are safe for concurrent use with
// each other and with one ingest (ConnectBlock, Flush, DisconnectTip,
// Ingest), which must run on one goroutine at a time. Queries see only
// committed blocks, and each sees one committed state: a query that reads
// several records reads them from one snapshot, so a block a commit adds
// or a reorg removes meanwhile is seen wholly or not at all.
type Index struct {
	db *pebble.DB
	// r is what queries read: db, or in a view (see pin) a snapshot of it.
	r          pebble.Reader
	view       bool
	dir        string
	writerOpts sstable.WriterOptions // of the sstables a commit ingests
	opts       Options
	net        atomic.Uint32 // btcnet.Network; set by the first ingest while queries run
	smallRun   int           // commits of at most this many transactions go through a batch (smallRun)
	mu         sync.Mutex    // guards the ingest state below against concurrent ingests
	tip        Tip           // committed and pending
	has        bool          // tip is set (a block has been connected)
	ing        *ingester
}

// tableDir is where a commit writes its sstables, inside the index's
// directory (Pebble ignores files it did not name).
const tableDir = "ingest.tmp"

// Open opens or creates the index in dir.
func Open(dir string, o Options) (*Index, error) {
	o.ensureDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: create %s", dir)
	}
	po := &pebble.Options{
		MemTableSize:                o.MemTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       8,
		L0StopWritesThreshold:       32,
		LBaseMaxBytes:               256 << 20,
		MaxOpenFiles:                1000,
		Cache:                       pebble.NewCache(o.BlockCache),
		Logger:                      quietLogger{},
	}
	// Ingest looks up every new address key and most lookups miss; bloom
	// filters answer those without reading blocks.
	for i := range po.Levels {
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].BlockSize = 16 << 10
	}
	defer po.Cache.Unref()
	po.EnsureDefaults()
	dir = filepath.Clean(dir)
	// Tables a commit did not get to ingest before a crash.
	if err := os.RemoveAll(filepath.Join(dir, tableDir)); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: clean %s", dir)
	}
	if err := os.Mkdir(filepath.Join(dir, tableDir), 0o755); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: create %s", dir)
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: open %s", dir)
	}
	x := &Index{db: db, r: db, dir: dir, opts: o, smallRun: smallRun, tip: Tip{Height: -1, NextID: 1}}
	x.writerOpts = po.MakeWriterOptions(0, db.TableFormat())
	if err := x.loadMeta(); err != nil {
		db.Close()
		return nil, err
	}
	return x, nil
}

// Close flushes nothing: uncommitted blocks are dropped, as in a crash.
// Call Flush first to keep them. A commit in flight ends first, whether it
// succeeds or not.
func (x *Index) Close() error {
	x.mu.Lock()
	if x.ing != nil && x.ing.commit != nil {
		<-x.ing.commit.done
		x.ing.commit = nil
	}
	x.mu.Unlock()
	if err := x.db.Close(); err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: close")
	}
	return nil
}

func (x *Index) loadMeta() error {
	v, err := x.get(keyNet)
	if err != nil {
		return err
	}
	if len(v) == 1 {
		x.net.Store(uint32(v[0]))
	}
	v, err = x.get(keyTip)
	if err != nil || v == nil {
		return err
	}
	t, err := decodeTip(v)
	if err != nil {
		return err
	}
	x.tip, x.has = t, true
	return nil
}

func encodeTip(t Tip) []byte {
	b := make([]byte, 0, 44)
	b = binary.BigEndian.AppendUint32(b, uint32(t.Height))
	b = append(b, t.Hash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(t.NextTx))
	return binary.BigEndian.AppendUint32(b, uint32(t.NextID))
}

func decodeTip(v []byte) (Tip, error) {
	if len(v) != 44 {
		return Tip{}, errs.E(errs.Internal, "btcindex: corrupt tip record (%d bytes)", len(v))
	}
	var t Tip
	t.Height = int(binary.BigEndian.Uint32(v))
	copy(t.Hash[:], v[4:36])
	t.NextTx = TxNum(binary.BigEndian.Uint32(v[36:]))
	t.NextID = AddrID(binary.BigEndian.Uint32(v[40:]))
	return t, nil
}

// pin returns a read-only view of x on a snapshot of the committed state,
// and the function that releases it. Queries that read several records
// pin first, so that a commit or a reorg between their reads cannot mix
// two states; a view pins nothing more. Ingest must not be called on a
// view.
func (x *Index) pin() (*Index, func()) {
	if x.view {
		return x, func() {}
	}
	s := x.db.NewSnapshot()
	v := &Index{db: x.db, r: s, view: true, dir: x.dir, opts: x.opts}
	v.net.Store(x.net.Load())
	return v, func() { s.Close() }
}

// get returns a copy of the committed value of k, nil if absent.
func (x *Index) get(k []byte) ([]byte, error) {
	v, closer, err := x.r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: read")
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

// Network returns the network of the indexed chain (Unknown while empty).
func (x *Index) Network() btcnet.Network { return btcnet.Network(x.net.Load()) }

// Tip returns the last committed block; ok is false for an empty index.
func (x *Index) Tip() (t Tip, ok bool, err error) {
	v, err := x.get(keyTip)
	if err != nil || v == nil {
		return Tip{}, false, err
	}
	t, err = decodeTip(v)
	return t, err == nil, err
}

// Checksum hashes the whole committed state: every key and value of every
// table, undo records and the tip included. Two indexes of the same chain
// built in any number of runs, with crashes and reorgs in between, have the
// same checksum.
func (x *Index) Checksum() ([32]byte, error) {
	it, err := x.r.NewIter(nil)
	if err != nil {
		return [32]byte{}, errs.Wrap(errs.Internal, err, "btcindex: checksum")
	}
	defer it.Close()
	h := sha256.New()
	var n [8]byte
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		binary.BigEndian.PutUint32(n[:4], uint32(len(k)))
		binary.BigEndian.PutUint32(n[4:], uint32(len(v)))
		h.Write(n[:])
		h.Write(k)
		h.Write(v)
	}
	if err := it.Error(); err != nil {
		return [32]byte{}, errs.Wrap(errs.Internal, err, "btcindex: checksum")
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

// DiskSize returns the bytes the index occupies on disk.
func (x *Index) DiskSize() uint64 {
	m := x.db.Metrics()
	return m.DiskSpaceUsage()
}

// WALSize returns the bytes of Pebble's write-ahead log, part of DiskSize:
// small commits go through it (see smallRun), and it is recycled, not
// grown, so it is at most about a memtable's size whatever the chain's.
func (x *Index) WALSize() uint64 {
	m := x.db.Metrics()
	return m.WAL.PhysicalSize + m.WAL.ObsoletePhysicalSize
}

// Compact compacts the whole key space (after a bulk ingest, for reads).
func (x *Index) Compact() error {
	if err := x.db.Compact(context.Background(), nil, []byte{0xff}, true); err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: compact")
	}
	return nil
}

// quietLogger drops Pebble's informational chatter (WAL replay on every
// open) and keeps its errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}
