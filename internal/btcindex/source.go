package btcindex

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/blkfile"
	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
)

// Source is a chain to ingest: the best chain in block files, or a node's.
// Heights count from the chain's first block, 0. The methods are called
// from one goroutine at a time. The chain may change between calls (a node
// follows its network); Ingest notices by previous-block hashes.
type Source interface {
	// Network returns the chain's network.
	Network(ctx context.Context) (btcnet.Network, error)
	// TipHeight returns the height of the chain's last block.
	TipHeight(ctx context.Context) (int, error)
	// BlockHash returns the hash of the block at height; a height above
	// the tip is an error with code NotFound.
	BlockHash(ctx context.Context, height int) (chainhash.Hash, error)
	// Blocks calls fn for the blocks at heights from to to, in order, on
	// the calling goroutine; each block hashes to BlockHash(height) as it
	// was when it was read. fn owns the block. Blocks stops at fn's first
	// error and returns it.
	Blocks(ctx context.Context, from, to int, fn func(height int, b *wire.MsgBlock) error) error
}

// blockSizer is a Source that knows its blocks' sizes before reading them
// (block files do); Ingest estimates the time left from bytes.
type blockSizer interface {
	BlockSize(height int) int
}

// chainTxCounter is a Source that knows how many transactions its chain
// holds (Core's getchaintxstats); Ingest estimates the time left from them.
type chainTxCounter interface {
	ChainTxs(ctx context.Context) (n int64, ok bool, err error)
}

// preparer is a Source that prepares its blocks itself while it reads
// them, from their bytes (block files do, on their reading goroutines).
type preparer interface {
	prepared(ctx context.Context, from, to int, fn func(height int, p *prepBlock) error) error
}

// prepareWhileReading reads src's blocks and prepares them on a goroutine
// of its own while fn connects them on this one.
func prepareWhileReading(ctx context.Context, src Source, from, to int, fn func(int, *prepBlock) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type item struct {
		h int
		p *prepBlock
	}
	ready := make(chan item, 64)
	var srcErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ready)
		srcErr = src.Blocks(ctx, from, to, func(h int, b *wire.MsgBlock) error {
			select {
			case ready <- item{h, prepare(b)}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var err error
	for it := range ready {
		if err = fn(it.h, it.p); err != nil {
			break
		}
	}
	// The reader stops when fn stops early; when all went to fn, the
	// reader's error (the caller's ctx included) is the result.
	cancel()
	<-done
	if err == nil {
		err = srcErr
	}
	return err
}

// FileSource is the chain Scan found in block files, as a Source.
func FileSource(c *blkfile.Chain) Source { return fileSource{c} }

type fileSource struct{ c *blkfile.Chain }

func (s fileSource) Network(context.Context) (btcnet.Network, error) {
	return s.c.Reader().Network(), nil
}

func (s fileSource) TipHeight(context.Context) (int, error) { return s.c.Height(), nil }

func (s fileSource) BlockHash(_ context.Context, h int) (chainhash.Hash, error) {
	if h < 0 || h > s.c.Height() {
		return chainhash.Hash{}, errs.E(errs.NotFound, "btcindex: the block files have no block at height %d", h)
	}
	return s.c.Hash(h), nil
}

func (s fileSource) BlockSize(h int) int { return s.c.Location(h).Size }

var errStop = errors.New("stop")

// until wraps fn to end a walk of the block files after height to.
func until[T any](to int, fn func(int, T) error) func(int, T) error {
	return func(h int, v T) error {
		if h > to {
			return errStop
		}
		return fn(h, v)
	}
}

func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// prepared parses the blocks on the block files' reading goroutines.
func (s fileSource) prepared(ctx context.Context, from, to int, fn func(int, *prepBlock) error) error {
	parse := func(_ int, raw []byte) (*prepBlock, error) { return parseBlock(raw) }
	return stopped(blkfile.Map(ctx, s.c, from, parse, until(to, fn)))
}

func (s fileSource) Blocks(ctx context.Context, from, to int, fn func(int, *wire.MsgBlock) error) error {
	return stopped(s.c.Blocks(ctx, from, until(to, fn)))
}

// Progress reports ingest.
type Progress struct {
	Height       int // last connected block
	TipHeight    int // the chain's tip
	Blocks       int // blocks connected in this run
	Txs          int // transactions connected in this run
	Disconnected int // blocks disconnected in this run (reorgs)
	Elapsed      time.Duration
	// TxsLeft estimates the transactions still to connect, from the
	// source's count of the chain's transactions; -1 when unknown.
	TxsLeft int64
	// Bytes are the serialized bytes of the blocks connected in this run
	// and BytesLeft those still to connect, when the source knows block
	// sizes up front (block files); BytesLeft is -1 otherwise.
	Bytes, BytesLeft int64
}

// ETA estimates the time left from the work done so far: by transactions
// when the chain's count is known, else by block bytes; 0 and false when
// neither is. Early blocks are small, so a rate in blocks/s would promise
// an end far too soon.
func (p Progress) ETA() (time.Duration, bool) {
	sec := p.Elapsed.Seconds()
	switch {
	case p.TxsLeft >= 0 && p.Txs > 0 && sec > 0:
		return time.Duration(float64(p.TxsLeft) / (float64(p.Txs) / sec) * float64(time.Second)), true
	case p.BytesLeft >= 0 && p.Bytes > 0 && sec > 0:
		return time.Duration(float64(p.BytesLeft) / (float64(p.Bytes) / sec) * float64(time.Second)), true
	}
	return 0, false
}

// errBranchChanged stops a pass of Ingest whose source switched branch
// under it.
var errBranchChanged = errors.New("btcindex: the source switched branch")

// maxBranchChanges bounds how often one Ingest starts over because the
// source switched branch while it read.
const maxBranchChanges = 20

// Ingest connects the blocks of chain above the index's tip; see
// IngestFrom.
func (x *Index) Ingest(ctx context.Context, chain *blkfile.Chain, progress func(Progress)) error {
	return x.IngestFrom(ctx, FileSource(chain), progress)
}

// IngestFrom connects the blocks of src above the index's tip, committing
// every Options.BatchTxs transactions and at the end. If src's chain no
// longer holds the index's tip (a reorg), the index first disconnects
// blocks back to the fork point, then connects the new branch; if src
// switches branch while its blocks are read, the pass ends at the last
// block that extends the tip and starts over. progress, if not nil, is
// called after every block. When ctx ends, the blocks connected so far are
// committed and ctx's error is returned.
func (x *Index) IngestFrom(ctx context.Context, src Source, progress func(Progress)) error {
	net, err := src.Network(ctx)
	if err != nil {
		return err
	}
	if x.view {
		return errs.E(errs.Internal, "btcindex: ingest into a read-only view")
	}
	x.mu.Lock()
	switch have := x.Network(); {
	case have == btcnet.Unknown:
		x.net.Store(uint32(net))
	case have != net:
		x.mu.Unlock()
		return errs.E(errs.Invalid, "btcindex: the index holds %s, the source is %s", have, net)
	}
	x.mu.Unlock()
	start := time.Now()
	p := Progress{TxsLeft: -1, BytesLeft: -1}
	for pass := 0; ; pass++ {
		err := x.ingestPass(ctx, src, &p, start, progress)
		if errors.Is(err, errBranchChanged) && pass < maxBranchChanges {
			continue
		}
		if ferr := x.Flush(); err == nil {
			err = ferr
		}
		if errors.Is(err, errBranchChanged) {
			err = errs.E(errs.Unavailable, "btcindex: the source switched branch %d times during one ingest; try again", pass+1)
		}
		return err
	}
}

// ingestPass finds the fork point, disconnects to it and connects src's
// blocks above it.
func (x *Index) ingestPass(ctx context.Context, src Source, p *Progress, start time.Time, progress func(Progress)) error {
	tipH, err := src.TipHeight(ctx)
	if err != nil {
		return err
	}
	p.TipHeight = tipH
	for x.has {
		if x.tip.Height <= tipH {
			h, err := src.BlockHash(ctx, x.tip.Height)
			if err != nil && errs.CodeOf(err) != errs.NotFound {
				return err
			}
			if err == nil && h == x.tip.Hash {
				break
			}
		}
		if err := x.DisconnectTip(); err != nil {
			return err
		}
		p.Disconnected++
		if progress != nil {
			// Reported at once: a pass that only disconnects (the source
			// is behind a block it had) connects nothing to report with.
			p.Height, p.Elapsed = x.tip.Height, time.Since(start)
			progress(*p)
		}
	}
	from := x.tip.Height + 1
	if from > tipH {
		return nil
	}
	p.TipHeight = tipH
	sizer, _ := src.(blockSizer)
	if sizer != nil {
		p.BytesLeft = 0
		for h := from; h <= tipH; h++ {
			p.BytesLeft += int64(sizer.BlockSize(h))
		}
	}
	var chainTxs int64 = -1
	if c, ok := src.(chainTxCounter); ok {
		if n, ok, err := c.ChainTxs(ctx); err == nil && ok {
			chainTxs = n
		}
	}
	connect := func(h int, pb *prepBlock) error {
		if (x.has && pb.prev != x.tip.Hash) || (!x.has && h != 0) {
			return errBranchChanged
		}
		if err := x.connectPrepared(pb); err != nil {
			return err
		}
		if progress == nil {
			return nil
		}
		p.Height, p.Blocks, p.Txs, p.Elapsed = h, p.Blocks+1, p.Txs+len(pb.txs), time.Since(start)
		if sizer != nil {
			n := int64(sizer.BlockSize(h))
			p.Bytes += n
			p.BytesLeft -= n
		}
		if chainTxs >= 0 {
			p.TxsLeft = max(0, chainTxs-int64(x.tip.NextTx))
		}
		progress(*p)
		return nil
	}
	if pr, ok := src.(preparer); ok {
		err = pr.prepared(ctx, from, tipH, connect)
	} else {
		err = prepareWhileReading(ctx, src, from, tipH, connect)
	}
	if errs.CodeOf(err) == errs.NotFound {
		// A block the source named a moment ago is gone: it switched to a
		// shorter branch.
		return errBranchChanged
	}
	return err
}

// NodeOut is an output as a node reports it: value and script.
type NodeOut struct {
	Value  int64
	Script []byte
}

// NodeTx is a transaction of a block as a node reports it: its txid, its
// outputs and, per input, the output it spends (nil where the node did not
// say; no inputs for a coinbase).
type NodeTx struct {
	ID       chainhash.Hash
	Prevouts []*NodeOut
	Outs     []NodeOut
}

// CheckBlock compares the committed block at height with a node's report
// of it: the block hash, the transactions in order, their outputs' values
// and addresses and, where given, the value and address of each output an
// input spends, which the index resolved by itself. A difference is a
// Conflict error that names it.
func (x *Index) CheckBlock(height int, hash chainhash.Hash, txs []NodeTx) error {
	b, err := x.Block(height)
	if err != nil {
		return err
	}
	differ := func(format string, args ...any) error {
		return errs.E(errs.Conflict, "btcindex: block %d (%s): "+format, append([]any{height, hash}, args...)...)
	}
	if b.Hash != hash {
		return differ("the index holds block %s at this height", b.Hash)
	}
	if b.TxCount != len(txs) {
		return differ("%d transactions in the index, %d from the node", b.TxCount, len(txs))
	}
	var rec txRec
	for i, nt := range txs {
		n := b.FirstTx + TxNum(i)
		if err := x.txRec(n, &rec); err != nil {
			return err
		}
		if rec.id != nt.ID {
			return differ("transaction %d is %s in the index, %s from the node", i, rec.id, nt.ID)
		}
		if len(nt.Outs) != len(rec.outs) {
			return differ("transaction %s has %d outputs in the index, %d from the node", rec.id, len(rec.outs), len(nt.Outs))
		}
		for j, o := range nt.Outs {
			want, err := x.committedAddrID(o.Script)
			if err != nil {
				return err
			}
			if int64(rec.outs[j].value) != o.Value || rec.outs[j].addr != want {
				return differ("transaction %s output %d is %d sat to address id %d in the index; the node says %d sat to address id %d",
					rec.id, j, rec.outs[j].value, rec.outs[j].addr, o.Value, want)
			}
		}
		if rec.coinbase {
			if len(nt.Prevouts) != 0 {
				return differ("transaction %s is a coinbase in the index, not from the node", rec.id)
			}
			continue
		}
		if len(nt.Prevouts) != len(rec.ins) {
			return differ("transaction %s has %d inputs in the index, %d from the node", rec.id, len(rec.ins), len(nt.Prevouts))
		}
		for j, po := range nt.Prevouts {
			if po == nil {
				continue
			}
			in := rec.ins[j]
			want, err := x.committedAddrID(po.Script)
			if err != nil {
				return err
			}
			if int64(in.value) != po.Value || in.addr != want {
				return differ("transaction %s input %d spends %d sat of address id %d in the index; the node says %d sat of address id %d",
					rec.id, j, in.value, in.addr, po.Value, want)
			}
		}
	}
	return nil
}

// committedAddrID returns the committed address id of an output script, 0
// for a script that pays no address, and ^0 for an address the index has
// not seen (which no resolved input can have).
func (x *Index) committedAddrID(script []byte) (AddrID, error) {
	s := btcscript.Classify(script)
	k, ok := addrKeyOf([]byte{pAddr}, &s, script)
	if !ok {
		return 0, nil
	}
	v, err := x.get(k)
	if err != nil {
		return 0, err
	}
	if len(v) != 4 {
		return ^AddrID(0), nil
	}
	return AddrID(binary.BigEndian.Uint32(v)), nil
}
