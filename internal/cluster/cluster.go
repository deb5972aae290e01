// Package cluster groups addresses into clusters, each the addresses that
// one owner is believed to control, over the transaction graph of
// internal/txgraph.
//
// Heuristics:
//   - Multi-input: the inputs of a transaction are spent by one owner,
//     since one owner signs for them all; CoinJoins, where several owners
//     sign one transaction, are excluded (Classifier.CoinJoin).
//   - Change: optional rules that pick the output going back to the sender
//     (Classifier.Change); its address joins the inputs' cluster.
//
// Every union that joins two clusters is recorded as a Merge with the
// transaction and heuristic that caused it, so that Why can answer "why are
// these two addresses together?" with the chain of merges that links them,
// and a veto of a transaction undoes its merges (Run again without it).
//
// A cluster's id is the smallest address id in it: stable while blocks
// arrive, and changing only when the cluster merges with one holding a
// smaller id.
package cluster

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// Reason is the heuristic behind a merge: MultiInput, or a change rule's
// name as the Classifier gives it.
type Reason uint16

// MultiInput is the reason of a merge by the multi-input heuristic; change
// heuristics use the other values, as the Classifier numbers them.
const MultiInput Reason = 0

// Classifier tells the clustering which transactions are CoinJoins and
// which output of a transaction is its change.
type Classifier interface {
	// CoinJoin reports whether tx t joins several owners' inputs.
	CoinJoin(g *txgraph.Graph, t uint32) bool
	// Change returns the vout of tx t's change output and the heuristic that
	// chose it, or -1 when the enabled heuristics name none.
	Change(g *txgraph.Graph, t uint32) (vout int, by Reason)
}

// Merge is one union of two clusters: A and B are the addresses linked.
type Merge struct {
	A, B uint32
	Tx   uint32
	By   Reason
}

// Options select the heuristics.
type Options struct {
	Classifier Classifier
	// Change enables change-output merges (through Classifier.Change).
	Change bool
	// Veto lists transactions whose merges are undone: they merge nothing.
	Veto map[uint32]bool
}

// Clustering is the result of clustering a graph, extended as it grows.
type Clustering struct {
	opts   Options
	parent []uint32
	rank   []uint8
	done   uint32 // transactions processed
	rewind int    // the graph's Rewinds when they were
	merges []Merge
	refs   uint64 // input references examined

	// Derived by index() on the first read after an Update: cluster id per
	// address, and members per cluster. Reads may run concurrently with
	// each other (not with Update).
	indexMu sync.Mutex
	indexed atomic.Bool
	id      []uint32
	start   []uint32 // members of cluster c are members[start[c]:start[c+1]] when c is a cluster id
	members []uint32
	adjMu   sync.Mutex
	adj     *adjacency
}

// New returns an empty clustering with the given options.
func New(o Options) *Clustering {
	return &Clustering{opts: o}
}

// Run clusters the whole graph from scratch.
func Run(ctx context.Context, g *txgraph.Graph, o Options) (*Clustering, error) {
	c := New(o)
	if err := c.Update(ctx, g); err != nil {
		return nil, err
	}
	return c, nil
}

// Refs is the number of input references examined so far.
func (c *Clustering) Refs() uint64 { return c.refs }

// Merges returns every merge, in the order they happened.
func (c *Clustering) Merges() []Merge { return c.merges }

// Update processes the transactions the graph gained since the last call.
// The caller holds g's read lock or owns g. A graph that a reorg rewound
// since (whether it shrank or regrew past the processed tip) is clustered
// again from scratch: merges of disconnected transactions must go.
func (c *Clustering) Update(ctx context.Context, g *txgraph.Graph) error {
	n := uint32(g.NTx())
	if n < c.done || (c.done > 0 && g.Rewinds() != c.rewind) {
		*c = *New(c.opts)
	}
	c.rewind = g.Rewinds()
	if n := g.NAddr(); len(c.parent) < n {
		c.parent = slices.Grow(c.parent, n-len(c.parent))
		c.rank = slices.Grow(c.rank, n-len(c.rank))
		for len(c.parent) < n {
			c.parent = append(c.parent, uint32(len(c.parent)))
			c.rank = append(c.rank, 0)
		}
	}
	if c.merges == nil {
		// Merges number about a third of the inputs on real and simulated
		// chains; growing the slice step by step costs more than the unions.
		c.merges = make([]Merge, 0, g.NIn()/3)
	}
	if n == c.done && len(c.parent) >= g.NAddr() && c.indexed.Load() {
		return nil
	}
	cl := c.opts.Classifier
	for t := c.done; t < n; t++ {
		if t&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		lo, hi := g.InStart[t], g.InStart[t+1]
		c.refs += hi - lo
		if c.opts.Veto[t] {
			continue
		}
		multi := hi-lo >= 2
		if !multi && !c.opts.Change {
			continue
		}
		if cl != nil && cl.CoinJoin(g, t) {
			continue
		}
		if multi {
			a0 := g.InAddr[lo]
			for j := lo + 1; j < hi; j++ {
				if a := g.InAddr[j]; a != a0 && a != 0 && a0 != 0 {
					c.union(a0, a, t, MultiInput)
				}
			}
		}
		if c.opts.Change && cl != nil && hi > lo {
			if v, by := cl.Change(g, t); v >= 0 {
				o := g.OutStart[t] + uint64(v)
				if o < g.OutStart[t+1] {
					if a, a0 := g.Addr[o], g.InAddr[lo]; a != 0 && a0 != 0 && a != a0 {
						c.union(a0, a, t, by)
					}
				}
			}
		}
	}
	c.done = n
	c.indexed.Store(false) // ids and members are derived again when next asked
	return nil
}

// ensureIndex derives the ids and member lists once per Update; readers
// may call it concurrently (not concurrently with Update).
func (c *Clustering) ensureIndex() {
	if c.indexed.Load() {
		return
	}
	c.indexMu.Lock()
	defer c.indexMu.Unlock()
	if !c.indexed.Load() {
		c.index()
		c.indexed.Store(true)
	}
}

func (c *Clustering) find(a uint32) uint32 {
	p := c.parent
	for p[a] != a {
		p[a] = p[p[a]] // path halving
		a = p[a]
	}
	return a
}

func (c *Clustering) union(a, b, tx uint32, by Reason) {
	ra, rb := c.find(a), c.find(b)
	if ra == rb {
		return
	}
	switch {
	case c.rank[ra] < c.rank[rb]:
		c.parent[ra] = rb
	case c.rank[ra] > c.rank[rb]:
		c.parent[rb] = ra
	default:
		c.parent[rb] = ra
		c.rank[ra]++
	}
	c.merges = append(c.merges, Merge{A: a, B: b, Tx: tx, By: by})
}

// index derives cluster ids and member lists after updates.
func (c *Clustering) index() {
	n := len(c.parent)
	c.id = slices.Grow(c.id[:0], n)[:n]
	minOf := make([]uint32, n)
	for a := range minOf {
		minOf[a] = txgraph.NoTx
	}
	count := make([]uint32, n+1)
	for a := 1; a < n; a++ {
		r := c.find(uint32(a))
		if minOf[r] == txgraph.NoTx {
			minOf[r] = uint32(a) // addresses ascend: the first seen is the smallest
		}
		id := minOf[r]
		c.id[a] = id
		count[id+1]++
	}
	for i := 1; i <= n; i++ {
		count[i] += count[i-1]
	}
	c.start = count
	c.members = slices.Grow(c.members[:0], n)[:max(n-1, 0)]
	fill := slices.Clone(count[:n])
	for a := 1; a < n; a++ {
		id := c.id[a]
		c.members[fill[id]] = uint32(a)
		fill[id]++
	}
	c.adjMu.Lock()
	c.adj = nil
	c.adjMu.Unlock()
}

// ID returns the cluster id of address a (a itself when it was never
// merged). Address ids beyond the clustered graph are their own cluster.
func (c *Clustering) ID(a uint32) uint32 {
	c.ensureIndex()
	if int(a) >= len(c.id) || a == 0 {
		return a
	}
	return c.id[a]
}

// IDs returns the cluster id of every address (index = address id). The
// slice is the clustering's own: do not modify it.
func (c *Clustering) IDs() []uint32 {
	c.ensureIndex()
	return c.id
}

// Members returns the addresses of cluster id, in ascending order; nil if
// id is not a cluster id.
func (c *Clustering) Members(id uint32) []uint32 {
	c.ensureIndex()
	if id == 0 || int(id) >= len(c.id) || c.id[id] != id {
		return nil
	}
	return c.members[c.start[id]:c.start[id+1]]
}

// Size returns the number of addresses in cluster id (0 if none).
func (c *Clustering) Size(id uint32) int { return len(c.Members(id)) }

// Count returns the number of clusters (with at least one address).
func (c *Clustering) Count() int {
	c.ensureIndex()
	k := 0
	for a := 1; a < len(c.id); a++ {
		if c.id[a] == uint32(a) {
			k++
		}
	}
	return k
}

// Why returns the merges that link addresses a and b, in order along the
// path from a to b, or an errs.NotFound error when they are not in one
// cluster.
func (c *Clustering) Why(a, b uint32) ([]Merge, error) {
	if a == b {
		return nil, nil
	}
	if c.ID(a) != c.ID(b) || a == 0 || b == 0 {
		return nil, errs.E(errs.NotFound, "cluster: the two addresses are not in one cluster")
	}
	c.adjMu.Lock()
	if c.adj == nil {
		c.adj = newAdjacency(len(c.id), c.merges)
	}
	adj := c.adj
	c.adjMu.Unlock()
	// Breadth-first over merges, from a, within its cluster.
	prev := map[uint32]int{a: -1} // address -> merge index that reached it
	queue := []uint32{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, mi := range adj.of(x) {
			m := c.merges[mi]
			y := m.A
			if y == x {
				y = m.B
			}
			if _, seen := prev[y]; seen {
				continue
			}
			prev[y] = int(mi)
			if y == b {
				var path []Merge
				for z := b; prev[z] >= 0; {
					m := c.merges[prev[z]]
					path = append(path, m)
					if m.A == z {
						z = m.B
					} else {
						z = m.A
					}
				}
				slices.Reverse(path)
				return path, nil
			}
			queue = append(queue, y)
		}
	}
	return nil, errs.E(errs.Internal, "cluster: no merge path between two addresses of one cluster")
}

// adjacency lists, per address, the merges that touch it.
type adjacency struct {
	start []uint32
	list  []uint32
}

func newAdjacency(n int, ms []Merge) *adjacency {
	start := make([]uint32, n+1)
	for _, m := range ms {
		start[m.A+1]++
		start[m.B+1]++
	}
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	list := make([]uint32, 2*len(ms))
	fill := slices.Clone(start[:n])
	for i, m := range ms {
		list[fill[m.A]] = uint32(i)
		fill[m.A]++
		list[fill[m.B]] = uint32(i)
		fill[m.B]++
	}
	return &adjacency{start: start, list: list}
}

func (j *adjacency) of(a uint32) []uint32 { return j.list[j.start[a]:j.start[a+1]] }
