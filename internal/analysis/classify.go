package analysis

import (
	"sync"

	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/txclass"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// Classifier applies the transaction-shape heuristics of internal/txclass
// to transactions of the graph: CoinJoins, and change outputs by the
// selected heuristics. It is safe for concurrent use.
type Classifier struct {
	Heuristics txclass.Heuristic
}

var txPool = sync.Pool{New: func() any { return new(txclass.Tx) }}

// CoinJoin reports whether tx t joins several owners (a Whirlpool Tx0 is
// one wallet's and is not one).
func (c *Classifier) CoinJoin(g *txgraph.Graph, t uint32) bool {
	lo, hi := g.Inputs(t)
	olo, ohi := g.Outputs(t)
	// Several owners need several inputs, and every multi-party kind (its
	// equal outputs) at least three outputs: most transactions stop here.
	return hi-lo >= 2 && ohi-olo >= 3 && c.Kind(g, t).MultiParty()
}

// Kind returns the CoinJoin kind of tx t.
func (c *Classifier) Kind(g *txgraph.Graph, t uint32) txclass.Kind {
	lo, hi := g.Inputs(t)
	olo, ohi := g.Outputs(t)
	if hi == lo || ohi-olo < 2 {
		return txclass.None // every kind spends coins into several outputs
	}
	tx := txPool.Get().(*txclass.Tx)
	defer txPool.Put(tx)
	fill(g, t, tx, false)
	return txclass.CoinJoin(tx)
}

// Change returns tx t's change output by the selected heuristics.
func (c *Classifier) Change(g *txgraph.Graph, t uint32) (int, cluster.Reason) {
	if c.Heuristics == 0 || g.Coinbase(t) {
		return -1, 0
	}
	tx := txPool.Get().(*txclass.Tx)
	defer txPool.Put(tx)
	fill(g, t, tx, true)
	v, by := txclass.Change(tx, c.Heuristics)
	return v, cluster.Reason(by)
}

// ReasonName names a change heuristic of a merge.
func ReasonName(r cluster.Reason) string {
	if r == cluster.MultiInput {
		return "multi-input"
	}
	return txclass.Heuristic(r).String() + " change"
}

// fill describes tx t for the heuristics; full adds what only the change
// heuristics read (first-seen, reuse, spenders).
func fill(g *txgraph.Graph, t uint32, tx *txclass.Tx, full bool) {
	lo, hi := g.Inputs(t)
	olo, ohi := g.Outputs(t)
	tx.Version, tx.LockTime, tx.Height, tx.Coinbase = g.Version[t], g.LockTime[t], g.Height[t], lo == hi
	tx.Ins, tx.Outs = tx.Ins[:0], tx.Outs[:0]
	for j := lo; j < hi; j++ {
		o := g.InOut[j]
		in := txclass.In{Value: g.Value[o], Class: g.Class[o], Addr: g.InAddr[j]}
		if full {
			in.FromPeelStep = peelShape(g, g.TxOf(o))
		}
		tx.Ins = append(tx.Ins, in)
	}
	for o := olo; o < ohi; o++ {
		a := g.Addr[o]
		out := txclass.Out{Value: g.Value[o], Class: g.Class[o], Addr: a}
		if full && a != 0 {
			out.FirstSeen = g.FirstTx[a] == t
			for j := lo; j < hi; j++ {
				if g.InAddr[j] == a {
					out.Reused = true
					break
				}
			}
			if s := g.Spender[o]; s != txgraph.NoTx {
				out.SpentByPeelStep = peelShape(g, s)
				out.Spender = txclass.FingerprintOf(&txclass.Tx{Version: g.Version[s], LockTime: g.LockTime[s], Coinbase: g.Coinbase(s)})
			}
		}
		tx.Outs = append(tx.Outs, out)
	}
}

func peelShape(g *txgraph.Graph, t uint32) bool {
	lo, hi := g.Inputs(t)
	olo, ohi := g.Outputs(t)
	return hi-lo == 1 && ohi-olo == 2
}
