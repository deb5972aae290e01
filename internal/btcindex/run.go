package btcindex

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/sstable/block"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
)

// A run is what the blocks connected since the last commit wrote, table by
// table, in forms cheaper than Pebble batch entries: fixed-size structs and
// one byte arena per table. A commit sorts each table, writes it as one
// sstable and ingests the sstables into Pebble at once, atomically, with
// the tip: no write-ahead log, no memtable, and the tables whose keys only
// grow (transactions, address keys, blocks) land on the bottom level
// without compaction. The keys and values are those of keys.go and
// records.go, so the index is the same as if written key by key.
type run struct {
	firstTx TxNum
	// 't': the transactions from tx number firstTx on, their inputs and
	// outputs back to back; the table's writer encodes the records.
	txs     []runTx
	txIns   []inRec
	txOuts  []outRec
	txids   []txidEntry
	spent   []spentEntry
	hist    []histEntry
	addrKey []byte      // 'A' and 'K': the keys of new addresses, back to back
	addrs   []addrEntry // in id order
	blocks  []blockEntry
	undoDel []uint32 // heights whose undo record a block of the run expired
}

type runTx struct {
	id                chainhash.Hash
	height            uint32
	version, lockTime uint32
	nIn, nOut         uint32
	coinbase          bool
}

type txidEntry struct {
	prefix uint64 // the txid's first 8 bytes, big-endian
	num    TxNum
}

type spentEntry struct{ out, by uint64 } // OutID; spender tx<<32 | vin

type histEntry struct {
	key   uint64 // addr<<32 | tx
	flags byte
}

type addrEntry struct {
	id       AddrID
	off, end uint32 // of the key in run.addrKey
}

type blockEntry struct {
	height uint32
	hash   chainhash.Hash
	rec    []byte
	undo   []byte // nil once a later block of the run expired it
}

func (r *run) reset(firstTx TxNum) {
	*r = run{firstTx: firstTx, txs: r.txs[:0], txIns: r.txIns[:0], txOuts: r.txOuts[:0], txids: r.txids[:0], spent: r.spent[:0],
		hist: r.hist[:0], addrKey: r.addrKey[:0], addrs: r.addrs[:0], blocks: r.blocks[:0], undoDel: r.undoDel[:0]}
}

func (r *run) empty() bool { return len(r.blocks) == 0 }

// expireUndo drops the undo record of height h: from the run if a block of
// the run wrote it, else from the index with a tombstone.
func (r *run) expireUndo(h uint32) {
	if len(r.blocks) > 0 && h >= r.blocks[0].height {
		if i := int(h - r.blocks[0].height); i < len(r.blocks) && r.blocks[i].height == h {
			r.blocks[i].undo = nil
			return
		}
	}
	r.undoDel = append(r.undoDel, h)
}

// table is one sstable to write: its entries in key order, appended by add.
type table struct {
	name string
	fill func(add func(k, v []byte, del bool) error) error
}

// The sstables of a commit are not compressed: those that overlap what is
// there (most tables) are soon rewritten, compressed, by Pebble's
// compactions, and those that land on the bottom level (transactions,
// address keys, blocks) are mostly txids and hashes, which Snappy shrinks
// by 3% (measured on a simulated chain) for a sixth of a commit's CPU.

// noFilter names the tables read by dense keys or by prefix iteration,
// whose sstables need no bloom filter: the tables keyed by tx number,
// address id and height land on the bottom level without overlap, and
// filters do not serve iterators.
const noFilter = "tKbuHi"

// commitRun writes the run, the statistics in stats (address → record) and
// the meta records as sstables in dir and ingests them. It returns after
// Pebble has made them durable.
func (x *Index) commitRun(r *run, stats []statWrite, tip Tip, net btcnet.Network) error {
	tables := r.tables(stats, tip, net)
	if len(r.txs) <= x.smallRun {
		return x.commitBatch(tables)
	}
	dir := filepath.Join(x.dir, tableDir)
	paths := make([]string, len(tables))
	errc := make([]error, len(tables))
	// Two writers: sorting and compressing use the second core.
	var wg sync.WaitGroup
	next := make(chan int, len(tables))
	for i := range tables {
		next <- i
	}
	close(next)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				p := filepath.Join(dir, fmt.Sprintf("%s-%d.sst", tables[i].name, tip.Height))
				var n int
				n, errc[i] = x.writeTable(p, tables[i])
				if n == 0 {
					os.Remove(p)
					continue
				}
				paths[i] = p
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, p := range paths {
			os.Remove(p)
		}
	}()
	var ingest []string
	for i, err := range errc {
		if err != nil {
			return errs.Wrap(errs.Internal, err, "btcindex: write table %s", tables[i].name)
		}
		if paths[i] != "" {
			ingest = append(ingest, paths[i])
		}
	}
	if len(ingest) == 0 {
		return nil
	}
	if err := x.db.Ingest(context.Background(), ingest); err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: ingest tables")
	}
	return nil
}

// smallRun is the most transactions whose commit goes through one Pebble
// batch (write-ahead log and memtable) instead of sstables. A follower
// commits a block at a time: as sstables, the tables keyed by growing
// numbers (transactions, blocks, address keys) would each land on the
// bottom level as a file of a few kilobytes that no compaction ever merges,
// some 400 a day on mainnet; through the memtable they reach the levels in
// flushes of MemTableSize. A batch is as atomic as an ingest.
const smallRun = 20_000

// commitBatch writes the tables in one synced batch.
func (x *Index) commitBatch(tables []table) error {
	b := x.db.NewBatch()
	defer b.Close()
	for _, t := range tables {
		err := t.fill(func(k, v []byte, del bool) error {
			if del {
				return b.Delete(k, nil)
			}
			return b.Set(k, v, nil)
		})
		if err != nil {
			return errs.Wrap(errs.Internal, err, "btcindex: batch table %s", t.name)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return errs.Wrap(errs.Internal, err, "btcindex: commit batch")
	}
	return nil
}

// writeTable writes t to path, synced, and returns its number of entries.
func (x *Index) writeTable(path string, t table) (int, error) {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return 0, err
	}
	o := x.writerOpts
	o.Compression = block.NoCompression
	if strings.Contains(noFilter, t.name) {
		o.FilterPolicy = nil
	}
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), o)
	n := 0
	err = t.fill(func(k, v []byte, del bool) error {
		n++
		if del {
			return w.Delete(k)
		}
		return w.Set(k, v)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// statWrite is the new statistics record of an address.
type statWrite struct {
	addr AddrID
	rec  []byte
}

// tables returns the run's tables, each filling in key order.
func (r *run) tables(stats []statWrite, tip Tip, net btcnet.Network) []table {
	var ts []table
	if len(r.addrs) > 0 {
		ts = append(ts, table{"A", func(add func(k, v []byte, del bool) error) error {
			// Sorted by the keys' first 8 bytes (a class byte and 7 of a
			// hash), read once; keys that share them (rare) in full.
			type pk struct {
				prefix uint64
				a      addrEntry
			}
			sorted := make([]pk, len(r.addrs))
			for i, a := range r.addrs {
				var p [8]byte
				copy(p[:], r.addrKey[a.off:a.end])
				sorted[i] = pk{binary.BigEndian.Uint64(p[:]), a}
			}
			radixSort(sorted, nil, func(e *pk) uint64 { return e.prefix })
			byKey := make([]addrEntry, len(sorted))
			for i := 0; i < len(sorted); {
				j := i + 1
				for j < len(sorted) && sorted[j].prefix == sorted[i].prefix {
					j++
				}
				if j-i > 1 {
					slices.SortFunc(sorted[i:j], func(a, b pk) int {
						return bytes.Compare(r.addrKey[a.a.off:a.a.end], r.addrKey[b.a.off:b.a.end])
					})
				}
				for k := i; k < j; k++ {
					byKey[k] = sorted[k].a
				}
				i = j
			}
			var v [4]byte
			var key []byte
			for _, a := range byKey {
				key = append(append(key[:0], pAddr), r.addrKey[a.off:a.end]...)
				binary.BigEndian.PutUint32(v[:], uint32(a.id))
				if err := add(key, v[:], false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(r.hist) > 0 {
		ts = append(ts, table{"H", func(add func(k, v []byte, del bool) error) error {
			radixSort(r.hist, nil, func(h *histEntry) uint64 { return h.key })
			var key []byte
			for _, h := range r.hist {
				key = appendKey8(key[:0], pHistory, uint32(h.key>>32), uint32(h.key))
				if err := add(key, []byte{h.flags}, false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(r.addrs) > 0 {
		ts = append(ts, table{"K", func(add func(k, v []byte, del bool) error) error {
			k := make([]byte, 0, 5)
			for _, a := range r.addrs {
				k = binary.BigEndian.AppendUint32(append(k[:0], pAddrKey), uint32(a.id))
				if err := add(k, r.addrKey[a.off:a.end], false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(stats) > 0 {
		ts = append(ts, table{"S", func(add func(k, v []byte, del bool) error) error {
			radixSort(stats, nil, func(s *statWrite) uint64 { return uint64(s.addr) })
			for _, s := range stats {
				if err := add(key4(pAddrStat, uint32(s.addr)), s.rec, false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(r.blocks) > 0 {
		ts = append(ts, table{"b", func(add func(k, v []byte, del bool) error) error {
			for _, b := range r.blocks {
				if err := add(key4(pBlock, b.height), b.rec, false); err != nil {
					return err
				}
			}
			return nil
		}})
		byHash := slices.Clone(r.blocks)
		slices.SortFunc(byHash, func(a, b blockEntry) int { return bytes.Compare(a.hash[:], b.hash[:]) })
		ts = append(ts, table{"h", func(add func(k, v []byte, del bool) error) error {
			k := make([]byte, 33)
			k[0] = pBlockHash
			for _, b := range byHash {
				copy(k[1:], b.hash[:])
				if err := add(k, binary.BigEndian.AppendUint32(nil, b.height), false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(r.txids) > 0 {
		ts = append(ts, table{"i", func(add func(k, v []byte, del bool) error) error {
			// Stable, and the run holds them in tx order: equal prefixes
			// stay in tx order, as their keys sort.
			radixSort(r.txids, nil, func(t *txidEntry) uint64 { return t.prefix })
			var key []byte
			for _, t := range r.txids {
				key = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(append(key[:0], pTxid), t.prefix), uint32(t.num))
				if err := add(key, nil, false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	ts = append(ts, table{"m", func(add func(k, v []byte, del bool) error) error {
		if err := add(keyNet, []byte{byte(net)}, false); err != nil {
			return err
		}
		return add(keyTip, encodeTip(tip), false)
	}})
	if len(r.spent) > 0 {
		ts = append(ts, table{"s", func(add func(k, v []byte, del bool) error) error {
			radixSort(r.spent, nil, func(s *spentEntry) uint64 { return s.out })
			var v [8]byte
			var key []byte
			for _, s := range r.spent {
				key = appendKey8(key[:0], pSpent, uint32(s.out>>32), uint32(s.out))
				binary.BigEndian.PutUint64(v[:], s.by)
				if err := add(key, v[:], false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(r.txs) > 0 {
		ts = append(ts, table{"t", func(add func(k, v []byte, del bool) error) error {
			k := make([]byte, 0, 5)
			var rec txRec
			var v []byte
			ins, outs := r.txIns, r.txOuts
			for i := range r.txs {
				t := &r.txs[i]
				rec = txRec{id: t.id, height: t.height, coinbase: t.coinbase, version: t.version, lockTime: t.lockTime,
					ins: ins[:t.nIn], outs: outs[:t.nOut]}
				ins, outs = ins[t.nIn:], outs[t.nOut:]
				k = binary.BigEndian.AppendUint32(append(k[:0], pTx), uint32(r.firstTx)+uint32(i))
				v = rec.encode(v[:0])
				if err := add(k, v, false); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	if len(r.blocks) > 0 || len(r.undoDel) > 0 {
		slices.Sort(r.undoDel)
		ts = append(ts, table{"u", func(add func(k, v []byte, del bool) error) error {
			// The tombstones are of heights below the run's first block.
			for _, h := range r.undoDel {
				if err := add(key4(pUndo, h), nil, true); err != nil {
					return err
				}
			}
			for _, b := range r.blocks {
				if b.undo != nil {
					if err := add(key4(pUndo, b.height), b.undo, false); err != nil {
						return err
					}
				}
			}
			return nil
		}})
	}
	return ts
}
