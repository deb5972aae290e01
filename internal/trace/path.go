package trace

import (
	"container/heap"
	"context"
	"slices"

	"github.com/trawlhq/trawl/internal/errs"
)

// PathRequest asks for the flows from source outputs to target addresses.
type PathRequest struct {
	// From are outputs that paid the source (its received coins).
	From []uint64
	// To are the target addresses; TargetTxs the transactions that paid
	// them (from the index's history).
	To        []uint32
	TargetTxs []uint32
	MaxDepth  int // transactions on a path; default 7, at most 12
	Limit     int // paths returned, best first; default 20
	// MaxVisits bounds the work (default 2,000,000 transaction visits); a
	// search that reaches it answers with what it found and says Capped.
	MaxVisits int
}

// Path is one flow: transactions in order, the first spending a source
// output, the last paying a target. Sats is its bottleneck: the least value
// passed along any of its links.
type Path struct {
	Txs    []uint32
	Target uint32 // the target address paid
	Sats   uint64
}

// PathResult is the answer of Paths.
type PathResult struct {
	Paths  []Path
	Capped bool
	Visits int
}

// Paths finds the highest-value flows from the source to the targets
// within MaxDepth transactions.
func (tr *Tracer) Paths(ctx context.Context, req PathRequest) (*PathResult, error) {
	g := tr.G
	if req.MaxDepth <= 0 {
		req.MaxDepth = 7
	}
	if req.MaxDepth > 12 {
		return nil, errs.E(errs.Invalid, "max_depth %d is too deep (at most 12)", req.MaxDepth)
	}
	if req.Limit <= 0 {
		req.Limit = 20
	}
	if req.MaxVisits <= 0 {
		req.MaxVisits = 2_000_000
	}
	res := &PathResult{}
	target := map[uint32]bool{}
	for _, a := range req.To {
		target[a] = true
	}
	isTargetTx := map[uint32]bool{}
	for _, t := range req.TargetTxs {
		isTargetTx[t] = true
	}
	// Forward from the source outputs' spenders: fdist[t] is the fewest
	// transactions from a source to t (1 for a spender of a source output).
	// The forward cone of a source is what a path can use, and far smaller
	// than the backward cone of most targets (fan-in through consolidations).
	fdist := map[uint32]uint8{}
	var frontier []uint32
	for _, o := range req.From {
		if o >= uint64(g.NOut()) {
			return nil, errs.E(errs.Invalid, "source output beyond the chain")
		}
		if s := g.Spender[o]; s != noTx {
			if _, ok := fdist[s]; !ok {
				fdist[s] = 1
				frontier = append(frontier, s)
			}
		}
	}
	var reached []uint32 // transactions in the cone that pay a target
	for d := 1; len(frontier) > 0 && !res.Capped; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var next []uint32
		for _, t := range frontier {
			if isTargetTx[t] {
				reached = append(reached, t)
			}
			if d >= req.MaxDepth {
				continue
			}
			lo, hi := g.Outputs(t)
			for o := lo; o < hi; o++ {
				s := g.Spender[o]
				if s == noTx || target[g.Addr[o]] || tr.A.IsService(g.Addr[o]) {
					continue
				}
				if _, ok := fdist[s]; ok {
					continue
				}
				if res.Visits++; res.Visits >= req.MaxVisits {
					res.Capped = true
					break
				}
				fdist[s] = uint8(d + 1)
				next = append(next, s)
			}
		}
		frontier = next
	}
	// Backward from the target-paying transactions of the cone, within the
	// cone: dist[t] is the fewest transactions from t to one that pays a
	// target (0: t pays one).
	dist := map[uint32]uint8{}
	frontier = frontier[:0]
	for _, t := range reached {
		dist[t] = 0
		frontier = append(frontier, t)
	}
	for d := 1; d < req.MaxDepth && len(frontier) > 0; d++ {
		var next []uint32
		for _, t := range frontier {
			lo, hi := g.Inputs(t)
			for j := lo; j < hi; j++ {
				s := g.TxOf(g.InOut[j])
				if _, in := fdist[s]; !in {
					continue
				}
				if _, ok := dist[s]; ok {
					continue
				}
				dist[s] = uint8(d)
				next = append(next, s)
			}
		}
		frontier = next
	}
	// Forward from the source outputs' spenders, only through transactions
	// that can still reach a target in the depth left.
	best := &pathHeap{}
	var stack []uint32
	var walk func(t uint32, left int, sats uint64) error
	walk = func(t uint32, left int, sats uint64) error {
		if res.Visits++; res.Visits >= req.MaxVisits {
			res.Capped = true
			return nil
		}
		if res.Visits&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		stack = append(stack, t)
		defer func() { stack = stack[:len(stack)-1] }()
		lo, hi := g.Outputs(t)
		// A path may end here, at each target this transaction pays.
		paid := map[uint32]uint64{}
		for o := lo; o < hi; o++ {
			if a := g.Addr[o]; target[a] {
				paid[a] += g.Value[o]
			}
		}
		for a, v := range paid {
			best.offer(Path{Txs: slices.Clone(stack), Target: a, Sats: min(sats, v)}, req.Limit)
		}
		if left <= 1 {
			return nil
		}
		// Links to the spenders of this transaction's outputs.
		links := map[uint32]uint64{}
		for o := lo; o < hi; o++ {
			s := g.Spender[o]
			if s == noTx || target[g.Addr[o]] || tr.A.IsService(g.Addr[o]) {
				continue
			}
			if d, ok := dist[s]; ok && int(d) < left-1 {
				links[s] += g.Value[o]
			}
		}
		for s, v := range links {
			b := min(sats, v)
			if best.Len() >= req.Limit && b <= (*best)[0].Sats {
				continue // cannot beat the paths found
			}
			if err := walk(s, left-1, b); err != nil || res.Capped {
				return err
			}
		}
		return nil
	}
	starts := map[uint32]uint64{}
	for _, o := range req.From {
		if o >= uint64(g.NOut()) {
			return nil, errs.E(errs.Invalid, "source output beyond the chain")
		}
		if s := g.Spender[o]; s != noTx {
			if d, ok := dist[s]; ok && int(d) < req.MaxDepth {
				starts[s] += g.Value[o]
			}
		}
	}
	order := make([]uint32, 0, len(starts))
	for t := range starts {
		order = append(order, t)
	}
	slices.SortFunc(order, func(a, b uint32) int {
		if starts[a] != starts[b] {
			if starts[a] > starts[b] {
				return -1
			}
			return 1
		}
		return int(a) - int(b)
	})
	for _, t := range order {
		if err := walk(t, req.MaxDepth, starts[t]); err != nil {
			return nil, err
		}
		if res.Capped {
			break
		}
	}
	res.Paths = make([]Path, best.Len())
	for i := len(res.Paths) - 1; i >= 0; i-- {
		res.Paths[i] = heap.Pop(best).(Path)
	}
	return res, nil
}

const noTx = ^uint32(0)

// pathHeap keeps the best paths: a min-heap on Sats.
type pathHeap []Path

func (h pathHeap) Len() int { return len(h) }
func (h pathHeap) Less(i, j int) bool {
	if h[i].Sats != h[j].Sats {
		return h[i].Sats < h[j].Sats
	}
	return len(h[i].Txs) > len(h[j].Txs) // shorter paths are better
}
func (h pathHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pathHeap) Push(x any)   { *h = append(*h, x.(Path)) }
func (h *pathHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *pathHeap) offer(p Path, limit int) {
	if h.Len() < limit {
		heap.Push(h, p)
		return
	}
	if p.Sats > (*h)[0].Sats {
		(*h)[0] = p
		heap.Fix(h, 0)
	}
}
