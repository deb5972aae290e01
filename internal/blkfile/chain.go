package blkfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/pipeline"
)

// Chain is the best chain found by Scan: where each block of it is stored,
// by height. It reads blocks through its Reader and is safe for concurrent
// use.
type Chain struct {
	r        *Reader
	hashes   []chainhash.Hash
	locs     []loc
	work     uint256
	orphans  []Orphan
	warnings []Warning
}

type loc struct{ file, off, size uint32 }

// Location says where a block is stored.
type Location struct {
	File   string // path of the block file
	Offset int64  // offset of the block in the file, after magic and size
	Size   int    // bytes of the serialized block
}

// Len returns the number of blocks on the chain.
func (c *Chain) Len() int { return len(c.hashes) }

// Height returns the tip's height (Len()-1).
func (c *Chain) Height() int { return len(c.hashes) - 1 }

// Tip returns the hash of the last block.
func (c *Chain) Tip() chainhash.Hash { return c.hashes[len(c.hashes)-1] }

// Hash returns the hash of the block at height h. It panics if h is out of
// range, as a slice index does.
func (c *Chain) Hash(h int) chainhash.Hash { return c.hashes[h] }

// Location returns where the block at height h is stored.
func (c *Chain) Location(h int) Location {
	l := c.locs[h]
	return Location{File: c.r.fileName(int(l.file)), Offset: int64(l.off), Size: int(l.size)}
}

// Work returns the chain's cumulative work (Core's "chainwork").
func (c *Chain) Work() *big.Int { return c.work.big() }

// Orphans returns the blocks in the files that are not on the chain, in
// file order.
func (c *Chain) Orphans() []Orphan { return c.orphans }

// Warnings returns the damage Scan skipped.
func (c *Chain) Warnings() []Warning { return c.warnings }

// Reader returns the Reader the chain was read with.
func (c *Chain) Reader() *Reader { return c.r }

func (c *Chain) check(h int) error {
	if h < 0 || h >= len(c.hashes) {
		return errs.E(errs.NotFound, "blkfile: no block at height %d (chain has %d)", h, len(c.hashes))
	}
	return nil
}

// Raw returns the serialized block at height h, deobfuscated.
func (c *Chain) Raw(h int) ([]byte, error) {
	if err := c.check(h); err != nil {
		return nil, err
	}
	return c.readRaw(h, nil, nil)
}

// window is a worker's read-ahead over one file. Early blocks are a few
// hundred bytes and mostly stored in height order, so one read serves many
// of them instead of one system call each.
type window struct {
	file int
	off  int64
	data []byte
}

const smallBlock = windowSize / 8

// readRaw reads block h into buf (grown as needed) and checks that the
// header still hashes to the block Scan found there: Core keeps appending
// to its files, and a file replaced since Scan must not yield wrong blocks.
// win may be nil.
func (c *Chain) readRaw(h int, buf []byte, win *window) ([]byte, error) {
	l := c.locs[h]
	if cap(buf) < int(l.size) {
		buf = make([]byte, l.size)
	}
	buf = buf[:l.size]
	off, end := int64(l.off), int64(l.off)+int64(l.size)
	switch {
	case win != nil && win.data != nil && win.file == int(l.file) && off >= win.off && end <= win.off+int64(len(win.data)):
		copy(buf, win.data[off-win.off:])
	case win != nil && l.size <= smallBlock:
		n := min(int64(windowSize), c.r.files[l.file].size-off)
		if cap(win.data) < windowSize {
			win.data = make([]byte, windowSize)
		}
		win.data = win.data[:n]
		if err := c.r.readAt(int(l.file), win.data, off); err != nil {
			win.data = nil
			return nil, err
		}
		win.file, win.off = int(l.file), off
		copy(buf, win.data)
	default:
		if err := c.r.readAt(int(l.file), buf, off); err != nil {
			return nil, err
		}
	}
	first := sha256.Sum256(buf[:headerSize])
	if chainhash.Hash(sha256.Sum256(first[:])) != c.hashes[h] {
		return nil, errs.E(errs.Conflict, "blkfile: %s offset %d no longer holds block %d (%s); the files changed since Scan",
			c.r.fileName(int(l.file)), int64(l.off)-8, h, c.hashes[h])
	}
	return buf, nil
}

// Block returns the decoded block at height h.
func (c *Chain) Block(h int) (*wire.MsgBlock, error) {
	if err := c.check(h); err != nil {
		return nil, err
	}
	raw, err := c.readRaw(h, nil, nil)
	if err != nil {
		return nil, err
	}
	return c.decode(h, raw)
}

func (c *Chain) decode(h int, raw []byte) (*wire.MsgBlock, error) {
	var b wire.MsgBlock
	r := bytes.NewReader(raw)
	err := b.Deserialize(r)
	if err == nil && r.Len() != 0 {
		err = fmt.Errorf("%d bytes after the block's last transaction", r.Len())
	}
	if err != nil {
		return nil, c.decodeError(h, err)
	}
	return &b, nil
}

// decodeError says that block h does not decode, and where it is stored.
func (c *Chain) decodeError(h int, err error) error {
	l := c.locs[h]
	return errs.Wrap(errs.Invalid, &FormatError{File: c.r.fileName(int(l.file)), Offset: int64(l.off) - 8,
		Reason: fmt.Sprintf("block %d (%s) does not decode: %v", h, c.hashes[h], err)}, "blkfile")
}

// Map is Blocks with a decoder of the caller's: decode runs on the
// Reader's worker goroutines with the serialized block (whose header is
// checked to hash to the chain's block at that height), which it may keep;
// fn gets the results in height order on the calling goroutine. An error
// of decode is reported as a block that does not decode.
func Map[T any](ctx context.Context, c *Chain, from int, decode func(height int, raw []byte) (T, error), fn func(height int, v T) error) error {
	if from < 0 || from > len(c.hashes) {
		return errs.E(errs.Invalid, "blkfile: start height %d outside the chain (0..%d)", from, len(c.hashes))
	}
	workers := max(1, c.r.Workers)
	return pipeline.Ordered(ctx, from, len(c.hashes)-1, workers, 4*workers, func() func(context.Context, int) (T, error) {
		var win window
		return func(_ context.Context, h int) (T, error) {
			raw, err := c.readRaw(h, nil, &win)
			if err != nil {
				var zero T
				return zero, err
			}
			v, err := decode(h, raw)
			if err != nil {
				return v, c.decodeError(h, err)
			}
			return v, nil
		}
	}, fn)
}

// Blocks calls fn for every block from height from to the tip, in height
// order, on the calling goroutine. Up to Reader.Workers goroutines read and
// decode the next blocks meanwhile. fn owns the block it is given. Blocks
// stops at the first error of fn, of reading, or of ctx.
func (c *Chain) Blocks(ctx context.Context, from int, fn func(height int, b *wire.MsgBlock) error) error {
	if from < 0 || from > len(c.hashes) {
		return errs.E(errs.Invalid, "blkfile: start height %d outside the chain (0..%d)", from, len(c.hashes))
	}
	workers := max(1, c.r.Workers)
	return pipeline.Ordered(ctx, from, len(c.hashes)-1, workers, 4*workers, func() func(context.Context, int) (*wire.MsgBlock, error) {
		var buf []byte
		var win window
		return func(_ context.Context, h int) (*wire.MsgBlock, error) {
			raw, err := c.readRaw(h, buf, &win)
			if err != nil {
				return nil, err
			}
			buf = raw // wire copies what it keeps, so the buffer is reused
			return c.decode(h, raw)
		}
	}, fn)
}
