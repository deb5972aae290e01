// Package txgraph is the tracer's in-memory view of the Bitcoin chain: the
// transaction graph as flat integer arrays, built from the chain index
// (internal/btcindex) and extended as blocks arrive.
//
// Words:
//   - Tx number: as in btcindex, the position of a transaction in the chain.
//     Tx numbers are a topological order: a transaction only spends outputs
//     of transactions with smaller numbers, so one forward sweep visits
//     every descendant after its ancestors.
//   - Output index: the dense position of an output among all outputs, in
//     tx-number then vout order. Output o of tx t is OutStart[t]+vout.
//   - Input index: likewise for inputs.
//
// The arrays cost about 29 bytes per output and 12 per input, so a chain of
// 10 million transactions needs about 1 GB and mainnet's 1.4 billion about
// 150 GB: a machine that traces the whole chain maps these arrays from disk
// (they are append-only, so a file of each maps as it is); on the simulated
// and regional chains trawl serves today they are built in memory in
// seconds.
package txgraph

import (
	"context"
	"sync"

	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
)

// NoTx marks an unspent output in Spender.
const NoTx = ^uint32(0)

// Graph is the transaction graph. Its exported arrays may be read by any
// number of goroutines holding RLock; Extend takes the write lock.
type Graph struct {
	mu sync.RWMutex

	// Per transaction (len NTx, or NTx+1 for the Start arrays).
	InStart  []uint64 // inputs of tx t are [InStart[t], InStart[t+1])
	OutStart []uint64 // outputs of tx t are [OutStart[t], OutStart[t+1])
	Height   []uint32 // block height
	LockTime []uint32
	Version  []int32

	// Per input.
	InOut  []uint64 // the output index the input spends
	InAddr []uint32 // that output's address id (copied for sequential reads)

	// Per output.
	Value   []uint64
	Addr    []uint32 // address id; 0 pays no address
	Class   []btcscript.Class
	Spender []uint32 // tx number of the spending transaction, or NoTx
	OutTx   []uint32 // tx number of the transaction that made the output

	// Per address id (len NAddr): the first tx that paid it.
	FirstTx []uint32

	blocks    []blockMark // per height
	tipHeight int
	rewinds   int // times a reorg dropped transactions
	x         Source
}

type blockMark struct {
	hash    [32]byte
	firstTx uint32
}

// NTx is the number of transactions.
func (g *Graph) NTx() int { return len(g.Height) }

// NOut is the number of outputs.
func (g *Graph) NOut() int { return len(g.Value) }

// NIn is the number of inputs.
func (g *Graph) NIn() int { return len(g.InOut) }

// NAddr is one more than the largest address id.
func (g *Graph) NAddr() int { return len(g.FirstTx) }

// RLock and RUnlock bracket reads of the arrays while the graph may be
// extended.
func (g *Graph) RLock()   { g.mu.RLock() }
func (g *Graph) RUnlock() { g.mu.RUnlock() }

// Source is the chain index the graph was built from (for txids and
// address text).
func (g *Graph) Source() Source { return g.x }

// TipHeight is the height of the last block in the graph, -1 if none.
func (g *Graph) TipHeight() int { return g.tipHeight }

// TipHash is the hash of the last block in the graph; zero if none.
func (g *Graph) TipHash() [32]byte {
	if len(g.blocks) == 0 {
		return [32]byte{}
	}
	return g.blocks[len(g.blocks)-1].hash
}

// Rewinds counts the reorgs that made the graph drop transactions; what
// was derived from the graph (a clustering) is stale when it changed,
// even if the graph has as many transactions as before.
func (g *Graph) Rewinds() int { return g.rewinds }

// Build reads the whole index into a new graph.
func Build(ctx context.Context, x Source) (*Graph, error) {
	g := &Graph{x: x, tipHeight: -1}
	g.InStart = []uint64{0}
	g.OutStart = []uint64{0}
	g.FirstTx = []uint32{NoTx}
	if err := g.Extend(ctx); err != nil {
		return nil, err
	}
	return g, nil
}

// Extend appends the blocks the index connected since the graph was built
// or last extended. When the index switched branch below the graph's tip,
// the graph drops the disconnected transactions first.
func (g *Graph) Extend(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	x := g.x
	if p, ok := x.(Pinner); ok {
		pinned, release := p.Pin()
		defer release()
		x = pinned
	}
	height, next, ok, err := x.GraphTip()
	if err != nil {
		return err
	}
	if !ok {
		// The index lost all its blocks (a reorg from the first block).
		if len(g.blocks) > 0 {
			g.truncate(0)
			g.blocks, g.tipHeight = g.blocks[:0], -1
			g.rewinds++
		}
		return nil
	}
	if err := g.rewind(x, height); err != nil {
		return err
	}
	from := uint32(g.NTx())
	if from < next {
		g.grow(int(next - from))
		if err := x.ScanTxs(ctx, from, next, g.add); err != nil {
			// Leave the graph as it was: drop what this call appended.
			g.truncate(int(from))
			return err
		}
	}
	return g.markBlocks(x, height)
}

// rewind drops the graph's blocks that are no longer on the index's chain:
// it keeps the longest prefix of blocks whose hashes the index still has at
// their heights.
func (g *Graph) rewind(x Source, indexTip int) error {
	keep := min(len(g.blocks), indexTip+1)
	for keep > 0 {
		hash, _, err := x.BlockAt(keep - 1)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil && hash == g.blocks[keep-1].hash {
			break
		}
		keep--
	}
	if keep == len(g.blocks) {
		return nil
	}
	n := g.NTx()
	if keep < len(g.blocks) {
		n = int(g.blocks[keep].firstTx)
	}
	g.truncate(n)
	g.blocks = g.blocks[:keep]
	g.tipHeight = keep - 1
	g.rewinds++
	return nil
}

// markBlocks records the hashes of the blocks from the graph's tip to the
// index's.
func (g *Graph) markBlocks(x Source, to int) error {
	for h := len(g.blocks); h <= to; h++ {
		hash, first, err := x.BlockAt(h)
		if err != nil {
			return err
		}
		g.blocks = append(g.blocks, blockMark{hash: hash, firstTx: first})
	}
	g.tipHeight = to
	return nil
}

func (g *Graph) grow(n int) {
	g.InStart = growCap(g.InStart, n)
	g.OutStart = growCap(g.OutStart, n)
	g.Height = growCap(g.Height, n)
	g.LockTime = growCap(g.LockTime, n)
	g.Version = growCap(g.Version, n)
	// About 2.2 inputs and 2.5 outputs per transaction on mainnet.
	g.InOut = growCap(g.InOut, n*2)
	g.InAddr = growCap(g.InAddr, n*2)
	g.Value = growCap(g.Value, n*5/2)
	g.Addr = growCap(g.Addr, n*5/2)
	g.Class = growCap(g.Class, n*5/2)
	g.Spender = growCap(g.Spender, n*5/2)
	g.OutTx = growCap(g.OutTx, n*5/2)
}

func growCap[T any](s []T, n int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	t := make([]T, len(s), len(s)+n)
	copy(t, s)
	return t
}

func (g *Graph) add(t *RawTx) error {
	n := t.Num
	if int(n) != g.NTx() {
		return errs.E(errs.Internal, "txgraph: got tx %d, want %d", n, g.NTx())
	}
	for _, in := range t.Ins {
		tx, vout := in.Tx, in.Vout
		if int(tx) >= g.NTx() || uint64(vout) >= g.OutStart[tx+1]-g.OutStart[tx] {
			return errs.E(errs.Internal, "txgraph: tx %d spends an output %d:%d the graph does not have", n, tx, vout)
		}
		o := g.OutStart[tx] + uint64(vout)
		g.InOut = append(g.InOut, o)
		g.InAddr = append(g.InAddr, g.Addr[o])
		g.Spender[o] = n
	}
	for _, o := range t.Outs {
		g.Value = append(g.Value, o.Value)
		g.Addr = append(g.Addr, uint32(o.Addr))
		g.Class = append(g.Class, o.Class)
		g.Spender = append(g.Spender, NoTx)
		g.OutTx = append(g.OutTx, n)
		if a := int(o.Addr); a != 0 {
			for a >= len(g.FirstTx) {
				g.FirstTx = append(g.FirstTx, NoTx)
			}
			if g.FirstTx[a] == NoTx {
				g.FirstTx[a] = n
			}
		}
	}
	g.Height = append(g.Height, t.Height)
	g.LockTime = append(g.LockTime, t.LockTime)
	g.Version = append(g.Version, t.Version)
	g.InStart = append(g.InStart, uint64(len(g.InOut)))
	g.OutStart = append(g.OutStart, uint64(len(g.Value)))
	return nil
}

// truncate drops transactions from tx number n on, and the spends they made.
func (g *Graph) truncate(n int) {
	if n >= g.NTx() {
		return
	}
	for j := g.InStart[n]; j < uint64(len(g.InOut)); j++ {
		if o := g.InOut[j]; o < g.OutStart[n] {
			g.Spender[o] = NoTx
		}
	}
	ni, no := g.InStart[n], g.OutStart[n]
	g.InStart, g.OutStart = g.InStart[:n+1], g.OutStart[:n+1]
	g.Height, g.LockTime, g.Version = g.Height[:n], g.LockTime[:n], g.Version[:n]
	g.InOut, g.InAddr = g.InOut[:ni], g.InAddr[:ni]
	g.Value, g.Addr, g.Class, g.Spender, g.OutTx = g.Value[:no], g.Addr[:no], g.Class[:no], g.Spender[:no], g.OutTx[:no]
	for a := range g.FirstTx {
		if g.FirstTx[a] != NoTx && int(g.FirstTx[a]) >= n {
			g.FirstTx[a] = NoTx
		}
	}
	// Address ids are dense: those first seen in dropped transactions are the
	// highest, and the index gives them out again.
	last := len(g.FirstTx)
	for last > 1 && g.FirstTx[last-1] == NoTx {
		last--
	}
	g.FirstTx = g.FirstTx[:last]
}

// TxOf returns the tx number that output o belongs to.
func (g *Graph) TxOf(o uint64) uint32 { return g.OutTx[o] }

// Fee returns the fee of tx t (0 for a coinbase).
func (g *Graph) Fee(t uint32) uint64 {
	if g.InStart[t] == g.InStart[t+1] {
		return 0
	}
	var in, out uint64
	for j := g.InStart[t]; j < g.InStart[t+1]; j++ {
		in += g.Value[g.InOut[j]]
	}
	for o := g.OutStart[t]; o < g.OutStart[t+1]; o++ {
		out += g.Value[o]
	}
	if out > in {
		return 0
	}
	return in - out
}

// Coinbase reports whether tx t has no inputs.
func (g *Graph) Coinbase(t uint32) bool { return g.InStart[t] == g.InStart[t+1] }

// Outputs returns the output index range of tx t.
func (g *Graph) Outputs(t uint32) (lo, hi uint64) { return g.OutStart[t], g.OutStart[t+1] }

// Inputs returns the input index range of tx t.
func (g *Graph) Inputs(t uint32) (lo, hi uint64) { return g.InStart[t], g.InStart[t+1] }

// TxID and AddrText render numbers for people (they read the index).
func (g *Graph) TxID(t uint32) (string, error) { return g.x.TxID(t) }

// AddrText returns the text of address id a.
func (g *Graph) AddrText(a uint32) (string, error) { return g.x.AddrText(a) }
