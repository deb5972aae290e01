package blkfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"
	"sync"

	"github.com/btcsuite/btcd/chainhash/v2"

	"github.com/trawlhq/trawl/internal/errs"
)

// rec is one block found by the header pass. Eighty bytes each, so that the
// whole mainnet index stays well under 100 MB while the chain is chosen.
type rec struct {
	hash chainhash.Hash
	prev chainhash.Hash
	bits uint32
	file uint32 // index into Reader.files
	off  uint32 // offset of the block (after magic and size), as Core's FlatFilePos
	size uint32
}

// windowSize is how much of a file the header pass reads at once: early
// mainnet blocks are a few hundred bytes, so one read covers hundreds of
// records, while a 1 MB block costs one small read instead of being read.
const windowSize = 256 << 10

type fileScan struct {
	recs  []rec
	warns []Warning
	err   error
}

// scanFile indexes the records of file i by reading their headers only.
func (r *Reader) scanFile(ctx context.Context, i int) fileScan {
	var out fileScan
	f := &r.files[i]
	last := i == len(r.files)-1
	name := r.fileName(i)
	bad := func(off int64, format string, args ...any) fileScan {
		out.err = errs.Wrap(errs.Invalid, &FormatError{File: name, Offset: off, Reason: fmt.Sprintf(format, args...)}, "blkfile")
		return out
	}
	cut := func(off int64, format string, args ...any) fileScan {
		reason := fmt.Sprintf(format, args...)
		if !last {
			return bad(off, "%s", reason)
		}
		out.warns = append(out.warns, Warning{File: name, Offset: off, Reason: reason + "; skipped as a partial write at the end of the last file"})
		return out
	}

	buf := make([]byte, windowSize)
	var winOff int64 = -1
	var win []byte
	// get returns n bytes at off; n ≤ 8+headerSize and off+n ≤ size.
	get := func(off int64, n int) ([]byte, error) {
		if winOff < 0 || off < winOff || off+int64(n) > winOff+int64(len(win)) {
			l := min(int64(len(buf)), f.size-off)
			if err := r.readAt(i, buf[:l], off); err != nil {
				return nil, err
			}
			winOff, win = off, buf[:l]
		}
		return win[off-winOff : off-winOff+int64(n)], nil
	}

	for off, count := int64(0), 0; off < f.size; count++ {
		if count%4096 == 0 && ctx.Err() != nil {
			out.err = ctx.Err()
			return out
		}
		if f.size-off < 8 {
			tail, err := get(off, int(f.size-off))
			if err != nil {
				out.err = err
				return out
			}
			if allZero(tail) {
				break
			}
			return cut(off, "%d bytes left, too few for a record header", f.size-off)
		}
		h, err := get(off, 8)
		if err != nil {
			out.err = err
			return out
		}
		var m [4]byte
		copy(m[:], h)
		if m == [4]byte{} {
			break // preallocated space: the file's data ends here
		}
		if m != r.magic {
			return bad(off, "found %x where a record starting with magic %x should be", m, r.magic)
		}
		size := int64(binary.LittleEndian.Uint32(h[4:]))
		switch {
		case size < headerSize:
			return bad(off, "record size %d is smaller than a block header", size)
		case size > MaxBlockSize:
			return bad(off, "record size %d exceeds the maximum block size %d", size, MaxBlockSize)
		case off+8+size > f.size:
			// A crash cuts the last record short; a damaged size field in the
			// middle looks the same, except that records follow it.
			at, err := r.findMagic(i, off+8)
			if err != nil {
				out.err = err
				return out
			}
			if at >= 0 {
				return bad(off, "record size %d runs past the end of the file, over another record at offset %d", size, at)
			}
			return cut(off, "record of %d bytes runs past the end of the file (%d bytes)", size, f.size)
		}
		hdr, err := get(off+8, headerSize)
		if err != nil {
			out.err = err
			return out
		}
		var b rec
		first := sha256.Sum256(hdr)
		b.hash = sha256.Sum256(first[:])
		copy(b.prev[:], hdr[4:36])
		b.bits = binary.LittleEndian.Uint32(hdr[72:76])
		b.file, b.off, b.size = uint32(i), uint32(off+8), uint32(size)
		out.recs = append(out.recs, b)
		off += 8 + size
	}
	return out
}

// findMagic returns the offset of the first magic at or after from in file
// i, or -1.
func (r *Reader) findMagic(i int, from int64) (int64, error) {
	buf := make([]byte, 1<<20)
	size := r.files[i].size
	for off := from; off < size; off += int64(len(buf)) - 3 {
		n := min(int64(len(buf)), size-off)
		if err := r.readAt(i, buf[:n], off); err != nil {
			return 0, err
		}
		if j := bytes.Index(buf[:n], r.magic[:]); j >= 0 {
			return off + int64(j), nil
		}
		if off+n == size {
			break
		}
	}
	return -1, nil
}

// Orphan is a block in the files that is not on the chain.
type Orphan struct {
	Hash     chainhash.Hash
	Prev     chainhash.Hash
	File     string // path of its block file
	Offset   int64  // offset of the block in the file
	Size     int
	Detached bool // no path to the root (an ancestor is missing), else stale
	// Height is its height if it is stale; for a detached block it is the
	// distance from the first block of its detached branch.
	Height int
}

// Scan runs the header pass over all files and chooses the chain.
func (r *Reader) Scan(ctx context.Context) (*Chain, error) {
	if r.magic == [4]byte{} {
		return nil, errs.E(errs.NotFound, "blkfile: no blocks in %s (all files empty)", r.display("."))
	}
	scans := make([]fileScan, len(r.files))
	workers := max(1, r.Workers)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, len(r.files)) {
		wg.Go(func() {
			for i := range next {
				scans[i] = r.scanFile(ctx, i)
			}
		})
	}
	for i := range r.files {
		next <- i
	}
	close(next)
	wg.Wait()

	total := 0
	var warns []Warning
	for _, s := range scans {
		if s.err != nil {
			return nil, s.err
		}
		total += len(s.recs)
		warns = append(warns, s.warns...)
	}
	if total == 0 {
		return nil, errs.E(errs.NotFound, "blkfile: no blocks in %s", r.display("."))
	}
	if total > 1<<31-2 {
		return nil, errs.E(errs.TooLarge, "blkfile: %d blocks exceed the index", total)
	}
	recs := make([]rec, 0, total)
	for i := range scans {
		recs = append(recs, scans[i].recs...)
		scans[i].recs = nil
	}
	return r.choose(ctx, recs, warns)
}

// hashIndex maps block hashes to their index in recs. It keys a map by the
// first 8 bytes of the hash (random bytes: a block hash's zeros are at the
// other end) to use a third of the memory of a full-hash map, and keeps the
// rare prefix collisions in a second map.
type hashIndex struct {
	recs  []rec
	short map[uint64]int32
	full  map[chainhash.Hash]int32
}

func (x *hashIndex) get(h *chainhash.Hash) (int32, bool) {
	if i, ok := x.short[binary.LittleEndian.Uint64(h[:8])]; ok && x.recs[i].hash == *h {
		return i, true
	}
	i, ok := x.full[*h]
	return i, ok
}

// put adds recs[i] and returns the index of an earlier copy of the same
// block, or -1.
func (x *hashIndex) put(i int32) int32 {
	h := &x.recs[i].hash
	k := binary.LittleEndian.Uint64(h[:8])
	j, ok := x.short[k]
	if !ok {
		x.short[k] = i
		return -1
	}
	if x.recs[j].hash == *h {
		return j
	}
	if x.full == nil {
		x.full = map[chainhash.Hash]int32{}
	}
	if j, ok := x.full[*h]; ok {
		return j
	}
	x.full[*h] = i
	return -1
}

type uint256 [4]uint64 // little-endian words

func (a uint256) add(b uint256) uint256 {
	var c uint64
	a[0], c = bits.Add64(a[0], b[0], 0)
	a[1], c = bits.Add64(a[1], b[1], c)
	a[2], c = bits.Add64(a[2], b[2], c)
	a[3], _ = bits.Add64(a[3], b[3], c)
	return a
}

func (a uint256) cmp(b uint256) int {
	for i := 3; i >= 0; i-- {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (a uint256) big() *big.Int {
	var b [32]byte
	for i := range 4 {
		binary.BigEndian.PutUint64(b[24-8*i:], a[i])
	}
	return new(big.Int).SetBytes(b[:])
}

// blockWork is Core's GetBlockProof: 2^256/(target+1), zero for a negative,
// overflowing or zero target.
func blockWork(nbits uint32) uint256 {
	exp := nbits >> 24
	mant := nbits & 0x007fffff
	if mant != 0 && (nbits&0x00800000 != 0 || exp > 34 || mant > 0xff && exp > 33 || mant > 0xffff && exp > 32) {
		return uint256{}
	}
	target := new(big.Int).SetUint64(uint64(mant))
	if exp <= 3 {
		target.Rsh(target, uint(8*(3-exp)))
	} else {
		target.Lsh(target, uint(8*(exp-3)))
	}
	if target.Sign() == 0 {
		return uint256{}
	}
	w := new(big.Int).Lsh(big.NewInt(1), 256)
	w.Div(w, target.Add(target, big.NewInt(1)))
	var out uint256
	b := w.FillBytes(make([]byte, 32))
	for i := range 4 {
		out[i] = binary.BigEndian.Uint64(b[24-8*i:])
	}
	return out
}

// choose links the blocks by prev-hash and picks the most-work chain.
func (r *Reader) choose(ctx context.Context, recs []rec, warns []Warning) (*Chain, error) {
	n := int32(len(recs))
	idx := hashIndex{recs: recs, short: make(map[uint64]int32, n)}
	const dup = -2
	parent := make([]int32, n)
	for i := range n {
		if j := idx.put(i); j >= 0 {
			parent[i] = dup
			b := &recs[i]
			warns = append(warns, Warning{File: r.fileName(int(b.file)), Offset: int64(b.off) - 8,
				Reason: fmt.Sprintf("block %s is stored again (first at %s offset %d); the copy is ignored", b.hash, r.fileName(int(recs[j].file)), int64(recs[j].off)-8)})
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// Children lists in one array (CSR), so that the walk from the roots
	// can visit parents before children without a map per block.
	nkids := make([]int32, n+1)
	var roots []int32
	genesis := int32(-1)
	for i := range n {
		if parent[i] == dup {
			continue
		}
		p, ok := idx.get(&recs[i].prev)
		if !ok {
			parent[i] = -1
			roots = append(roots, i)
			if recs[i].prev == (chainhash.Hash{}) {
				if genesis >= 0 {
					return nil, errs.E(errs.Invalid, "blkfile: two genesis blocks, %s and %s: the files mix two chains", recs[genesis].hash, recs[i].hash)
				}
				genesis = i
			}
			continue
		}
		parent[i] = p
		nkids[p+1]++
	}
	idx = hashIndex{}
	for i := range n {
		nkids[i+1] += nkids[i]
	}
	kids := make([]int32, nkids[n])
	fill := make([]int32, n)
	copy(fill, nkids[:n])
	for i := range n {
		if p := parent[i]; p >= 0 {
			kids[fill[p]] = i
			fill[p]++
		}
	}
	fill = nil

	// Walk each root's tree breadth-first: cumulative work and height of
	// every block, and the best tip per root.
	work := make([]uint256, n)
	height := make([]int32, n)
	rootOf := make([]int32, n)
	for i := range rootOf {
		rootOf[i] = -1
	}
	cache := map[uint32]uint256{}
	bw := func(b uint32) uint256 {
		w, ok := cache[b]
		if !ok {
			w = blockWork(b)
			cache[b] = w
		}
		return w
	}
	bestOf := make(map[int32]int32, len(roots))
	queue := make([]int32, 0, 1024)
	for _, root := range roots {
		work[root], height[root], rootOf[root] = bw(recs[root].bits), 0, root
		tip := root
		queue = append(queue[:0], root)
		for len(queue) > 0 {
			i := queue[0]
			queue = queue[1:]
			if c := work[i].cmp(work[tip]); c > 0 || c == 0 && i < tip {
				tip = i
			}
			for _, k := range kids[nkids[i]:nkids[i+1]] {
				work[k], height[k], rootOf[k] = work[i].add(bw(recs[k].bits)), height[i]+1, root
				queue = append(queue, k)
			}
		}
		bestOf[root] = tip
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	root := genesis
	if root < 0 {
		for _, rt := range roots {
			if root < 0 {
				root = rt
				continue
			}
			a, b := bestOf[rt], bestOf[root]
			if c := work[a].cmp(work[b]); c > 0 || c == 0 && a < b {
				root = rt
			}
		}
	}
	tip := bestOf[root]

	c := &Chain{r: r, work: work[tip], warnings: warns}
	c.hashes = make([]chainhash.Hash, height[tip]+1)
	c.locs = make([]loc, height[tip]+1)
	onChain := make([]bool, n)
	for i := tip; i >= 0; i = parent[i] {
		h := height[i]
		c.hashes[h] = recs[i].hash
		c.locs[h] = loc{file: recs[i].file, off: recs[i].off, size: recs[i].size}
		onChain[i] = true
	}
	detached, firstDetached := 0, int32(-1)
	for i := range n {
		if onChain[i] || parent[i] == dup {
			continue
		}
		b := &recs[i]
		o := Orphan{Hash: b.hash, Prev: b.prev, File: r.fileName(int(b.file)), Offset: int64(b.off), Size: int(b.size),
			Detached: rootOf[i] != root, Height: int(height[i])}
		if o.Detached {
			detached++
			if firstDetached < 0 || parent[i] == -1 && parent[firstDetached] != -1 {
				firstDetached = i
			}
		}
		c.orphans = append(c.orphans, o)
	}
	if detached > r.MaxDetached {
		b := &recs[firstDetached]
		return nil, errs.E(errs.Invalid, "blkfile: %d blocks have no path to the chain's root %s: the parent %s of block %s (%s offset %d) is missing from the files",
			detached, recs[root].hash, b.prev, b.hash, r.fileName(int(b.file)), int64(b.off)-8)
	}
	return c, nil
}
