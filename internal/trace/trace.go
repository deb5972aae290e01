// Package trace follows coins through the transaction graph of
// internal/txgraph: forward from a theft to where the coins are now or
// where they were cashed out, and backward from a deposit to the share of
// it that came from listed sources.
//
// Models (how a transaction passes taint from its inputs to its outputs):
//   - Haircut: each output, and the fee, gets the tainted share of the
//     inputs in proportion to its value, in whole satoshis: the rounded-down
//     proportion, and the satoshis lost to rounding one each to the parts
//     with the largest remainders (the first part on a tie). Taint is
//     conserved exactly: what reaches services, what is held, what went to
//     fees, what was cut off, sum to the source.
//   - Poison: every output of a transaction with a tainted input is tainted
//     in full. It never dilutes; its sums are of tainted outputs' values and
//     overstate the stolen amount.
//   - FIFO: the inputs' satoshis, in input order, fill the outputs in
//     output order, then the fee; tainted satoshis keep their positions.
//
// CoinJoins: under haircut a CoinJoin dilutes taint over all its outputs in
// proportion to value; under poison it taints every output; under FIFO its
// order decides. Whatever the model, outputs reached through a CoinJoin are
// flagged ViaCoinJoin, since the attribution to an owner after a CoinJoin
// is weak.
//
// Tracing stops at services (Attribution.IsService): coins paid to a
// service's address are cashed out there, and the service's own later
// transactions are its business, not the thief's (following them would
// smear the taint over its customers).
package trace

import (
	"cmp"
	"context"
	"math/bits"
	"slices"
	"sync"

	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// Model is a taint model.
type Model uint8

const (
	Haircut Model = iota
	Poison
	FIFO
)

var modelNames = [...]string{"haircut", "poison", "fifo"}

func (m Model) String() string { return modelNames[m] }

// ParseModel reads a model name.
func ParseModel(s string) (Model, error) {
	for i, n := range modelNames {
		if s == n {
			return Model(i), nil
		}
	}
	return 0, errs.E(errs.Invalid, "unknown taint model %q: use haircut, poison or fifo", s)
}

// Kind says where a traced output stands.
type Kind uint8

const (
	Held    Kind = iota // unspent, not at a service: where the coins are now
	CashOut             // paid to a service's address
	Capped              // spent beyond the hop limit: the trail was cut there
)

var kindNames = [...]string{"held", "cashout", "capped"}

func (k Kind) String() string { return kindNames[k] }

// Tracer traces over one graph. Its parts are read-only during a trace.
type Tracer struct {
	G *txgraph.Graph
	C *cluster.Clustering // may be nil
	A *Attribution        // may be nil: no services, nothing stops tracing
	// CoinJoin classifies transactions for the ViaCoinJoin flag; may be nil.
	CoinJoin func(g *txgraph.Graph, t uint32) bool
}

// Source is a set of outputs traced from, named as the user gave it.
type Source struct {
	From    string
	Outputs []uint64
}

// Request is one trace.
type Request struct {
	Sources    []Source
	Model      Model
	MaxHops    int    // transactions followed from a source; default 20
	MinSats    uint64 // taint below this is dropped (haircut, FIFO)
	MaxHeight  uint32 // if set, outputs spent in a later block are where the trail is cut
	MaxResults int    // results kept, largest first; default 10,000
	MaxEdges   int    // flow edges kept for drawing, largest first; 0 keeps none
}

// Result is one output where traced coins stand.
type Result struct {
	Output      uint64
	Tx          uint32
	Vout        uint32
	Addr        uint32
	Cluster     uint32
	Service     string
	Category    string
	Sats        uint64 // tainted satoshis (poison: the output's value)
	Hops        int
	Kind        Kind
	ViaCoinJoin bool
}

// Edge is taint flowing from an output into the transaction spending it
// (To) or, for results, from a transaction into an output.
type Edge struct {
	FromTx uint32 // the transaction that created Output
	Output uint64
	ToTx   uint32 // the spending transaction; txgraph.NoTx for results
	Sats   uint64
}

// Totals account for the traced value. Under haircut and FIFO,
// Source == CashOut + Held + Capped + Fees + Dropped exactly.
type Totals struct {
	Source  uint64 `json:"source_sats"`
	CashOut uint64 `json:"cashout_sats"`
	Held    uint64 `json:"held_sats"`
	Capped  uint64 `json:"capped_sats"`
	Fees    uint64 `json:"fee_sats"`
	Dropped uint64 `json:"dropped_sats"`
}

// Trace is the answer to a Request.
type Trace struct {
	Model      Model
	MaxHops    int
	Sources    []SourceSum
	Results    []Result // largest first
	Truncated  bool     // more results than MaxResults
	Totals     Totals
	Touched    int // transactions that received taint
	Edges      []Edge
	CoinJoins  map[uint32]bool // touched transactions classified as CoinJoins
	SourceTxs  map[uint32]bool // transactions that created the source outputs
	EdgesTrunc bool
	// ByCluster sums the listed results per cluster (per address where
	// there is no clustering), largest first, at most MaxClusterSums.
	ByCluster []ClusterSum
}

// SourceSum is a source with what it contributed.
type SourceSum struct {
	From    string `json:"from"`
	Outputs int    `json:"outputs"`
	Sats    uint64 `json:"sats"`
}

type span struct{ lo, hi uint64 } // tainted satoshis [lo, hi) of an output (FIFO)

type taint struct {
	sats  uint64
	hops  uint16
	viaCJ bool
	spans []span // FIFO only
}

// Forward traces the request's sources forward.
func (tr *Tracer) Forward(ctx context.Context, req Request) (*Trace, error) {
	g := tr.G
	if req.MaxHops <= 0 {
		req.MaxHops = 20
	}
	if req.MaxHops > 10_000 {
		return nil, errs.E(errs.Invalid, "max_hops %d is too large (at most 10000)", req.MaxHops)
	}
	if req.MaxResults <= 0 {
		req.MaxResults = 10_000
	}
	res := &Trace{Model: req.Model, MaxHops: req.MaxHops, CoinJoins: map[uint32]bool{}, SourceTxs: map[uint32]bool{}}
	live := getLive(g.NOut())
	defer putLive(live)
	pending := make([]uint64, (g.NTx()+63)/64)
	first := len(pending)
	results := topK[Result]{max: req.MaxResults, worse: func(a, b Result) bool {
		return a.Sats < b.Sats || (a.Sats == b.Sats && a.Output > b.Output)
	}}
	edges := edgeHeap{max: req.MaxEdges}

	// emit places a tainted output: at a service, unspent, beyond the hop
	// limit, or live (waiting for its spender).
	emit := func(o uint64, tx uint32, tt taint) {
		if tt.sats == 0 {
			return
		}
		if req.Model != Poison && tt.sats < req.MinSats {
			res.Totals.Dropped += tt.sats
			return
		}
		a := g.Addr[o]
		r := Result{Output: o, Tx: tx, Vout: uint32(o - g.OutStart[tx]), Addr: a, Sats: tt.sats, Hops: int(tt.hops), ViaCoinJoin: tt.viaCJ}
		sp := g.Spender[o]
		switch {
		case tr.A.IsService(a):
			r.Kind = CashOut
			res.Totals.CashOut += tt.sats
		case sp == txgraph.NoTx:
			r.Kind = Held
			res.Totals.Held += tt.sats
		case int(tt.hops) >= req.MaxHops || (req.MaxHeight > 0 && g.Height[sp] > req.MaxHeight):
			r.Kind = Capped
			res.Totals.Capped += tt.sats
		default:
			if prev, ok := live.get(o); ok { // two sources name one output
				prev.hops = min(prev.hops, tt.hops)
				live.put(o, prev)
				return
			}
			live.put(o, tt)
			pending[sp/64] |= 1 << (sp % 64)
			first = min(first, int(sp/64))
			return
		}
		results.offer(r)
		if req.MaxEdges > 0 {
			edges.offer(Edge{FromTx: tx, Output: o, ToTx: txgraph.NoTx, Sats: tt.sats})
		}
	}

	seen := map[uint64]bool{}
	for _, s := range req.Sources {
		sum := SourceSum{From: s.From}
		for _, o := range s.Outputs {
			if o >= uint64(g.NOut()) {
				return nil, errs.E(errs.Invalid, "source %s names an output beyond the chain", s.From)
			}
			if seen[o] {
				continue
			}
			seen[o] = true
			sum.Outputs++
			sum.Sats += g.Value[o]
			tt := taint{sats: g.Value[o]}
			if req.Model == FIFO {
				tt.spans = []span{{0, g.Value[o]}}
			}
			res.Totals.Source += g.Value[o]
			st := g.TxOf(o)
			res.SourceTxs[st] = true
			emit(o, st, tt)
		}
		res.Sources = append(res.Sources, sum)
	}

	var ins []taint
	var parts []uint64
	var shares []uint64
	for w := first; w < len(pending); w++ {
		if w&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		for pending[w] != 0 {
			b := bits.TrailingZeros64(pending[w])
			pending[w] &^= 1 << b
			t := uint32(w*64 + b)
			res.Touched++
			ilo, ihi := g.Inputs(t)
			olo, ohi := g.Outputs(t)
			ins = ins[:0]
			var tainted, vin uint64
			hops := uint16(0xffff)
			viaCJ := false
			for j := ilo; j < ihi; j++ {
				o := g.InOut[j]
				v := g.Value[o]
				vin += v
				tt, ok := live.get(o)
				ins = append(ins, tt)
				if !ok {
					continue
				}
				live.del(o)
				tainted += tt.sats
				hops = min(hops, tt.hops)
				viaCJ = viaCJ || tt.viaCJ
				if req.MaxEdges > 0 {
					edges.offer(Edge{FromTx: g.TxOf(o), Output: o, ToTx: t, Sats: tt.sats})
				}
			}
			if tainted == 0 {
				continue
			}
			if tr.CoinJoin != nil && ihi-ilo >= 2 && ohi-olo >= 2 && tr.CoinJoin(g, t) {
				viaCJ = true
				res.CoinJoins[t] = true
			}
			hops++
			var vout uint64
			for o := olo; o < ohi; o++ {
				vout += g.Value[o]
			}
			fee := uint64(0)
			if vin > vout {
				fee = vin - vout
			}
			switch req.Model {
			case Poison:
				for o := olo; o < ohi; o++ {
					if g.Value[o] > 0 {
						emit(o, t, taint{sats: g.Value[o], hops: hops, viaCJ: viaCJ})
					}
				}
			case Haircut:
				parts = parts[:0]
				for o := olo; o < ohi; o++ {
					parts = append(parts, g.Value[o])
				}
				parts = append(parts, fee)
				shares = split(shares, min(tainted, vin), vin, parts)
				for i, o := 0, olo; o < ohi; i, o = i+1, o+1 {
					emit(o, t, taint{sats: shares[i], hops: hops, viaCJ: viaCJ})
				}
				res.Totals.Fees += shares[len(shares)-1]
				if tainted > vin { // inconsistent input; keep the books balanced
					res.Totals.Dropped += tainted - vin
				}
			case FIFO:
				fifo(g, t, ins, hops, viaCJ, emit, &res.Totals)
			}
		}
	}
	// Whatever is still live was spent by a transaction outside the graph
	// (cannot happen on a consistent graph); account for it as held.
	for _, o := range live.inserted {
		if tt, ok := live.get(o); ok {
			res.Totals.Held += tt.sats
			results.offer(Result{Output: o, Tx: g.TxOf(o), Addr: g.Addr[o], Sats: tt.sats, Hops: int(tt.hops), Kind: Held})
		}
	}
	// Only the results kept are described (service, cluster): there may be
	// millions of held outputs.
	kept := results.sorted()
	for i := range kept {
		r := &kept[i]
		if sv, _, ok := tr.A.Of(r.Addr); ok {
			r.Service, r.Category = sv.Name, sv.Category
		}
		if tr.C != nil {
			r.Cluster = tr.C.ID(r.Addr)
		}
	}
	res.Results, res.Truncated = kept, results.dropped
	res.ByCluster = sumByCluster(kept)
	if req.MaxEdges > 0 {
		res.Edges, res.EdgesTrunc = edges.sorted(), edges.dropped
	}
	return res, nil
}

// split divides taint satoshis of a transaction whose inputs are worth vin
// over parts (the outputs' values, then the fee) by the haircut rule.
func split(dst []uint64, taint, vin uint64, parts []uint64) []uint64 {
	dst = dst[:0]
	if taint == 0 || vin == 0 {
		for range parts {
			dst = append(dst, 0)
		}
		return dst
	}
	var buf [64]uint64
	rem := buf[:0]
	var given uint64
	for _, p := range parts {
		hi, lo := bits.Mul64(taint, p)
		if hi >= vin { // only if a part exceeds the inputs, which a valid chain never has
			hi %= vin
		}
		q, r := bits.Div64(hi, lo, vin)
		given += q
		dst = append(dst, q)
		rem = append(rem, r)
	}
	for left := taint - min(given, taint); left > 0; left-- {
		best := 0
		for i, r := range rem {
			if r > rem[best] {
				best = i
			}
		}
		dst[best]++
		rem[best] = 0
	}
	return dst
}

// fifo maps tainted input spans onto outputs in order.
func fifo(g *txgraph.Graph, t uint32, ins []taint, hops uint16, viaCJ bool, emit func(uint64, uint32, taint), tot *Totals) {
	// Tainted spans on the transaction's line of satoshis.
	var line []span
	pos := uint64(0)
	ilo, _ := g.Inputs(t)
	for i, tt := range ins {
		v := g.Value[g.InOut[ilo+uint64(i)]]
		if tt.sats > 0 {
			for _, s := range tt.spans {
				line = append(line, span{pos + s.lo, pos + s.hi})
			}
		}
		pos += v
	}
	olo, ohi := g.Outputs(t)
	start := uint64(0)
	k := 0
	for o := olo; o < ohi; o++ {
		end := start + g.Value[o]
		var out []span
		var sats uint64
		for k < len(line) && line[k].hi <= start {
			k++
		}
		for i := k; i < len(line) && line[i].lo < end; i++ {
			lo, hi := max(line[i].lo, start), min(line[i].hi, end)
			if lo < hi {
				out = append(out, span{lo - start, hi - start})
				sats += hi - lo
			}
		}
		if sats > 0 {
			emit(o, t, taint{sats: sats, hops: hops, viaCJ: viaCJ, spans: out})
		}
		start = end
	}
	// The rest of the line is the fee.
	for _, s := range line {
		if s.hi > start {
			tot.Fees += s.hi - max(s.lo, start)
		}
	}
}

// liveSet holds the taint of outputs waiting for their spender, in arrays
// as long as the chain's outputs: a trace touches outputs all over the
// chain, and indexing beats hashing by several times. An output is live
// when its sats are not 0 (no live output carries none). Sets are pooled;
// putLive clears what the trace left.
type liveSet struct {
	sats     []uint64
	hops     []uint16
	viaCJ    []bool
	spans    map[uint64][]span // FIFO only
	inserted []uint64          // every output put, for clearing
}

var livePool sync.Pool

func getLive(n int) *liveSet {
	if v, _ := livePool.Get().(*liveSet); v != nil && len(v.sats) >= n {
		return v
	}
	return &liveSet{sats: make([]uint64, n), hops: make([]uint16, n), viaCJ: make([]bool, n), spans: map[uint64][]span{}}
}

func putLive(l *liveSet) {
	for _, o := range l.inserted {
		l.sats[o], l.hops[o], l.viaCJ[o] = 0, 0, false
	}
	l.inserted = l.inserted[:0]
	clear(l.spans)
	livePool.Put(l)
}

func (l *liveSet) get(o uint64) (taint, bool) {
	if l.sats[o] == 0 {
		return taint{}, false
	}
	return taint{sats: l.sats[o], hops: l.hops[o], viaCJ: l.viaCJ[o], spans: l.spans[o]}, true
}

func (l *liveSet) put(o uint64, t taint) {
	l.sats[o], l.hops[o], l.viaCJ[o] = t.sats, t.hops, t.viaCJ
	if t.spans != nil {
		l.spans[o] = t.spans
	}
	l.inserted = append(l.inserted, o)
}

func (l *liveSet) del(o uint64) {
	l.sats[o] = 0
	if len(l.spans) > 0 {
		delete(l.spans, o)
	}
}

// edgeHeap keeps the max largest edges offered: a min-heap on Sats, ties
// broken by offer order so that the result does not depend on the heap.
type edgeHeap struct {
	max     int
	e       []Edge
	seq     []uint64
	n       uint64
	dropped bool
}

func (h *edgeHeap) less(i, j int) bool {
	if h.e[i].Sats != h.e[j].Sats {
		return h.e[i].Sats < h.e[j].Sats
	}
	return h.seq[i] > h.seq[j] // the later offered goes first
}

func (h *edgeHeap) swap(i, j int) {
	h.e[i], h.e[j] = h.e[j], h.e[i]
	h.seq[i], h.seq[j] = h.seq[j], h.seq[i]
}

func (h *edgeHeap) offer(e Edge) {
	if h.max <= 0 {
		return
	}
	h.n++
	if len(h.e) < h.max {
		h.e, h.seq = append(h.e, e), append(h.seq, h.n)
		for i := len(h.e) - 1; i > 0; {
			p := (i - 1) / 2
			if !h.less(i, p) {
				break
			}
			h.swap(i, p)
			i = p
		}
		return
	}
	h.dropped = true
	if e.Sats <= h.e[0].Sats {
		return
	}
	h.e[0], h.seq[0] = e, h.n
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h.e) && h.less(l, m) {
			m = l
		}
		if r := l + 1; r < len(h.e) && h.less(r, m) {
			m = r
		}
		if m == i {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// sorted returns the kept edges, largest first, in offer order on ties.
func (h *edgeHeap) sorted() []Edge {
	idx := make([]int, len(h.e))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		if h.e[a].Sats != h.e[b].Sats {
			return cmp.Compare(h.e[b].Sats, h.e[a].Sats)
		}
		return cmp.Compare(h.seq[a], h.seq[b])
	})
	out := make([]Edge, len(idx))
	for i, k := range idx {
		out[i] = h.e[k]
	}
	return out
}

// ClusterSum is the traced value that stands in one cluster.
type ClusterSum struct {
	Cluster  uint32 `json:"cluster"`
	Service  string `json:"service,omitempty"`
	Category string `json:"category,omitempty"`
	Sats     uint64 `json:"sats"`
	Outputs  int    `json:"outputs"`
	CashOut  uint64 `json:"cashout_sats"`
}

// MaxClusterSums bounds Trace.ByCluster.
const MaxClusterSums = 200

func sumByCluster(results []Result) []ClusterSum {
	idx := map[uint32]int{}
	var out []ClusterSum
	for _, r := range results {
		c := r.Cluster
		if c == 0 {
			c = r.Addr
		}
		i, ok := idx[c]
		if !ok {
			i = len(out)
			idx[c] = i
			out = append(out, ClusterSum{Cluster: c, Service: r.Service, Category: r.Category})
		}
		out[i].Sats += r.Sats
		out[i].Outputs++
		if r.Kind == CashOut {
			out[i].CashOut += r.Sats
		}
	}
	slices.SortFunc(out, func(a, b ClusterSum) int {
		if a.Sats != b.Sats {
			return cmp.Compare(b.Sats, a.Sats)
		}
		return cmp.Compare(a.Cluster, b.Cluster)
	})
	return out[:min(len(out), MaxClusterSums)]
}

// topK keeps the max best items offered: a heap whose root is the worst
// kept; worse(a, b) ranks a below b and must be a strict total order so
// that the result does not depend on the offer order.
type topK[T any] struct {
	max     int
	items   []T
	worse   func(a, b T) bool
	dropped bool
}

func (h *topK[T]) offer(x T) {
	if h.max <= 0 {
		h.dropped = true
		return
	}
	if len(h.items) < h.max {
		h.items = append(h.items, x)
		for i := len(h.items) - 1; i > 0; {
			p := (i - 1) / 2
			if !h.worse(h.items[i], h.items[p]) {
				break
			}
			h.items[i], h.items[p] = h.items[p], h.items[i]
			i = p
		}
		return
	}
	h.dropped = true
	if !h.worse(h.items[0], x) {
		return
	}
	h.items[0] = x
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h.items) && h.worse(h.items[l], h.items[m]) {
			m = l
		}
		if r := l + 1; r < len(h.items) && h.worse(h.items[r], h.items[m]) {
			m = r
		}
		if m == i {
			return
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}

// sorted returns the kept items, best first.
func (h *topK[T]) sorted() []T {
	out := slices.Clone(h.items)
	slices.SortFunc(out, func(a, b T) int {
		switch {
		case h.worse(b, a):
			return -1
		case h.worse(a, b):
			return 1
		}
		return 0
	})
	return out
}
