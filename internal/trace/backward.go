package trace

import (
	"context"
	"slices"
	"sort"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// Listed says whether address a is a listed source and under which
// category ("sanctioned", "stolen_funds", ...). Callers filter by what the
// reader may see before answering.
type Listed func(a uint32) (category string, ok bool)

// BackwardRequest asks where the value of target outputs came from.
type BackwardRequest struct {
	Targets []uint64
	Listed  Listed
	MaxHops int // default 6
	// MaxTxs bounds the transactions examined (default 10,000, nearest
	// first); beyond it
	// the answer is marked Capped and counts only what was examined.
	MaxTxs int
}

// SourceShare is the part of the targets' value that came from one
// category of listed sources.
type SourceShare struct {
	Category string   `json:"category"`
	Sats     uint64   `json:"sats"`
	Share    float64  `json:"share"`
	Top      []uint32 `json:"-"` // the listed addresses that gave most, largest first (up to 5)
	TopSats  []uint64 `json:"-"`
}

// Exposure is the answer of Backward.
type Exposure struct {
	Value   uint64        // the targets' value
	Sources []SourceShare // by category, largest first
	// CoinJoin is the share of the targets' value that passed through a
	// CoinJoin within the hop limit.
	CoinJoin float64
	MaxHops  int
	Txs      int
	Capped   bool
}

// Backward computes, for the target outputs, the haircut share of their
// value that came from listed addresses within MaxHops transactions back.
// It walks back only through transactions that do not spend a service's
// coins: a service's payout is its own money, not the payee's history.
func (tr *Tracer) Backward(ctx context.Context, req BackwardRequest) (*Exposure, error) {
	g := tr.G
	if req.MaxHops <= 0 {
		req.MaxHops = 6
	}
	if req.MaxHops > 100 {
		return nil, errs.E(errs.Invalid, "max_hops %d is too large for a backward trace (at most 100)", req.MaxHops)
	}
	if req.MaxTxs <= 0 {
		req.MaxTxs = 10_000
	}
	ex := &Exposure{MaxHops: req.MaxHops}
	// The cone: transactions within MaxHops of the targets' own.
	depth := map[uint32]int{}
	var frontier []uint32
	for _, o := range req.Targets {
		if o >= uint64(g.NOut()) {
			return nil, errs.E(errs.Invalid, "target output beyond the chain")
		}
		ex.Value += g.Value[o]
		t := g.TxOf(o)
		if _, ok := depth[t]; !ok {
			depth[t] = 0
			frontier = append(frontier, t)
		}
	}
	for d := 1; d <= req.MaxHops && len(frontier) > 0; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var next []uint32
		for _, t := range frontier {
			lo, hi := g.Inputs(t)
			for j := lo; j < hi; j++ {
				a := g.InAddr[j]
				if _, ok := req.Listed(a); ok || tr.A.IsService(a) {
					continue // a source, or a service's coins: do not walk past
				}
				s := g.TxOf(g.InOut[j])
				if _, ok := depth[s]; ok {
					continue
				}
				if len(depth) >= req.MaxTxs {
					ex.Capped = true
					break
				}
				depth[s] = d
				next = append(next, s)
			}
		}
		frontier = next
	}
	txs := make([]uint32, 0, len(depth))
	for t := range depth {
		txs = append(txs, t)
	}
	slices.Sort(txs)
	ex.Txs = len(txs)

	// Forward over the cone in chain order: per output, tainted satoshis per
	// category, and the part that passed a CoinJoin. Outputs that carry
	// nothing are not stored.
	cats := map[string]int{}
	var catNames []string
	type share struct {
		sats [maxCategories]uint64
		cj   uint64
	}
	outTaint := map[uint64]share{}
	from := map[uint32]map[string]uint64{} // listed address -> category -> sats it spent into the cone
	var parts, shares []uint64
	for _, t := range txs {
		lo, hi := g.Inputs(t)
		olo, ohi := g.Outputs(t)
		var vin, cjIn uint64
		var in [maxCategories]uint64
		any := false
		for j := lo; j < hi; j++ {
			o := g.InOut[j]
			v := g.Value[o]
			vin += v
			a := g.InAddr[j]
			if cat, ok := req.Listed(a); ok {
				i, seen := cats[cat]
				if !seen {
					i = min(len(catNames), maxCategories-1) // more categories than kept share the last
					if len(catNames) < maxCategories {
						catNames = append(catNames, cat)
					}
					cats[cat] = i
				}
				in[i] += v
				any = true
				if from[a] == nil {
					from[a] = map[string]uint64{}
				}
				from[a][catNames[i]] += v
				continue
			}
			if s, ok := outTaint[o]; ok {
				for i, x := range s.sats {
					in[i] += x
				}
				cjIn += s.cj
				any = true
			}
		}
		isCJ := tr.CoinJoin != nil && hi-lo >= 2 && ohi-olo >= 3 && tr.CoinJoin(g, t)
		if vin == 0 || (!any && !isCJ) {
			continue
		}
		var vout uint64
		parts = parts[:0]
		for o := olo; o < ohi; o++ {
			parts = append(parts, g.Value[o])
			vout += g.Value[o]
		}
		parts = append(parts, vin-min(vin, vout))
		var outs [64]share
		out := outs[:0]
		if n := int(ohi - olo); n > len(outs) {
			out = make([]share, 0, n)
		}
		out = out[:ohi-olo]
		clear(out)
		for c, x := range in {
			if x == 0 {
				continue
			}
			shares = split(shares, min(x, vin), vin, parts)
			for i := range out {
				out[i].sats[c] = shares[i]
			}
		}
		cj := cjIn
		if isCJ {
			cj = vin
		}
		if cj > 0 {
			shares = split(shares, min(cj, vin), vin, parts)
			for i := range out {
				out[i].cj = shares[i]
			}
		}
		for i, o := 0, olo; o < ohi; i, o = i+1, o+1 {
			if out[i] != (share{}) {
				outTaint[o] = out[i]
			}
		}
	}
	// Sum over the targets.
	total := make([]uint64, len(catNames))
	var cj uint64
	for _, o := range req.Targets {
		s, ok := outTaint[o]
		if !ok {
			continue
		}
		for i := range total {
			total[i] += s.sats[i]
		}
		cj += s.cj
	}
	for i, name := range catNames {
		if total[i] == 0 {
			continue
		}
		ss := SourceShare{Category: name, Sats: total[i], Share: ratio(total[i], ex.Value)}
		type gave struct {
			a uint32
			v uint64
		}
		var top []gave
		for a, m := range from {
			if v := m[name]; v > 0 {
				top = append(top, gave{a, v})
			}
		}
		sort.Slice(top, func(i, j int) bool { return top[i].v > top[j].v || (top[i].v == top[j].v && top[i].a < top[j].a) })
		for _, x := range top[:min(5, len(top))] {
			ss.Top = append(ss.Top, x.a)
			ss.TopSats = append(ss.TopSats, x.v)
		}
		ex.Sources = append(ex.Sources, ss)
	}
	sort.Slice(ex.Sources, func(i, j int) bool { return ex.Sources[i].Sats > ex.Sources[j].Sats })
	ex.CoinJoin = ratio(cj, ex.Value)
	return ex, nil
}

// maxCategories is how many listing categories exposure tells apart
// (screening has three).
const maxCategories = 4

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return min(float64(a)/float64(b), 1)
}

// Received returns the outputs that paid address a, newest last, at most
// limit of the newest (0: all), read from the graph by scanning the
// transactions the index lists for it.
func Received(g *txgraph.Graph, txs []uint32, a uint32) []uint64 {
	var outs []uint64
	for _, t := range txs {
		if int(t) >= g.NTx() {
			continue
		}
		lo, hi := g.Outputs(t)
		for o := lo; o < hi; o++ {
			if g.Addr[o] == a {
				outs = append(outs, o)
			}
		}
	}
	return outs
}
