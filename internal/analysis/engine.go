// Package analysis puts the chain analysis together for the commands and
// the API: the transaction graph, its clustering, the attribution of
// addresses to services and actors, listed addresses for exposure, and the
// tracer; it resolves what users type (txids, outpoints, addresses,
// clusters, labels) into graph numbers and renders answers back.
package analysis

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/trace"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// LabelSpec is an attribution tag as the tags store gives it.
type LabelSpec struct {
	Address    string `json:"address"`
	Name       string `json:"name"` // actor or label
	Category   string `json:"category"`
	Service    bool   `json:"service"`
	Source     string `json:"source"`
	Confidence int    `json:"confidence"`
}

// Options configure an Engine.
type Options struct {
	// Classifier finds CoinJoins and change outputs; nil clusters by the
	// multi-input rule over every transaction.
	Classifier cluster.Classifier
	// Change enables change-output clustering.
	Change bool
	// Veto lists transactions whose clustering merges are undone.
	Veto map[uint32]bool
	// Labels loads the attribution tags; LabelsVersion, if set, changes
	// when they do, so that Refresh reloads them only then.
	Labels        func(ctx context.Context) ([]LabelSpec, error)
	LabelsVersion func(ctx context.Context) (int64, error)
	// Screener gives the listed addresses for exposure and label sources;
	// may be nil.
	Screener *screening.Screener
	// ExposureHops is how far back exposure looks (default 6).
	ExposureHops int
}

// Engine is the chain analysis of one index. Its methods are safe for
// concurrent use; Refresh swaps in a new state when the chain, the tags or
// the lists changed.
type Engine struct {
	src  txgraph.Source
	opts Options

	refresh sync.Mutex // one Refresh at a time
	mu      sync.RWMutex
	g       *txgraph.Graph
	cl      *cluster.Clustering
	at      *trace.Attribution
	tr      *trace.Tracer
	labels  []LabelSpec
	tagged  map[uint32][]LabelSpec // address id -> its tags
	listVer string
	listed  map[uint32][]*screening.Listing
	built   time.Time
	stats   Stats
	// What the state was built from, so that Refresh can skip.
	tagVer int64
	tip    int
}

// Stats describe the state an Engine serves.
type Stats struct {
	TipHeight   int           `json:"tip_height"`
	Txs         int           `json:"txs"`
	Addresses   int           `json:"addresses"`
	Clusters    int           `json:"clusters"`
	Merges      int           `json:"merges"`
	Tagged      int           `json:"tagged_addresses"`
	Conflicts   int           `json:"conflicting_clusters"`
	Listed      int           `json:"listed_addresses_on_chain"`
	BuildTime   time.Duration `json:"-"`
	BuildMillis int64         `json:"build_ms"`
}

// Open builds the engine over src.
func Open(ctx context.Context, src txgraph.Source, o Options) (*Engine, error) {
	if o.ExposureHops <= 0 {
		o.ExposureHops = 6
	}
	e := &Engine{src: src, opts: o}
	if err := e.Refresh(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Stats returns the state's figures.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.stats
}

// Refresh extends the graph with new blocks, clusters them, reloads tags
// and listings, and re-attributes.
func (e *Engine) Refresh(ctx context.Context) error {
	e.refresh.Lock()
	defer e.refresh.Unlock()
	start := time.Now()
	e.mu.RLock()
	g, cl := e.g, e.cl
	e.mu.RUnlock()
	tagVer := int64(-1)
	if e.opts.LabelsVersion != nil {
		v, err := e.opts.LabelsVersion(ctx)
		if err != nil {
			return err
		}
		tagVer = v
	}
	if g != nil && tagVer >= 0 && tagVer == e.tagVer {
		height, _, _, err := e.src.GraphTip()
		if err != nil {
			return err
		}
		listVer := e.listVer
		if e.opts.Screener != nil {
			listVer, _ = e.opts.Screener.Listings()
		}
		if height == e.tip && listVer == e.listVer {
			// The same height may be another branch's block.
			hash, _, err := e.src.BlockAt(height)
			if err != nil && !errs.Is(err, errs.NotFound) {
				return err
			}
			g.RLock()
			same := err == nil && hash == g.TipHash()
			g.RUnlock()
			if same {
				return nil // nothing changed
			}
		}
	}
	if g == nil {
		var err error
		if g, err = txgraph.Build(ctx, e.src); err != nil {
			return err
		}
		cl = cluster.New(cluster.Options{Classifier: e.opts.Classifier, Change: e.opts.Change, Veto: e.opts.Veto})
	} else {
		// Extending the graph takes its write lock; traces in flight hold
		// the read lock through Engine.mu below.
		e.mu.Lock()
		err := g.Extend(ctx)
		e.mu.Unlock()
		if err != nil {
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := cl.Update(ctx, g); err != nil {
		return err
	}
	var labels []LabelSpec
	if e.opts.Labels != nil {
		var err error
		if labels, err = e.opts.Labels(ctx); err != nil {
			return err
		}
	}
	tagged := map[uint32][]LabelSpec{}
	var ls []trace.Label
	for _, l := range labels {
		id, err := e.src.AddrIDOf(l.Address)
		if err != nil {
			continue // not on this chain, or not a Bitcoin address
		}
		tagged[id] = append(tagged[id], l)
		ls = append(ls, trace.Label{Addr: id, Name: l.Name, Category: l.Category, Service: l.Service, Source: l.Source})
	}
	at := trace.Attribute(g, cl, ls)
	listed := e.listed
	if e.opts.Screener != nil {
		ver, all := e.opts.Screener.Listings()
		if ver != e.listVer || listed == nil {
			listed = map[uint32][]*screening.Listing{}
			for i := range all {
				if id, err := e.src.AddrIDOf(all[i].Address); err == nil {
					listed[id] = append(listed[id], &all[i])
				}
			}
			e.listVer = ver
		}
	}
	e.g, e.cl, e.at, e.labels, e.tagged, e.listed = g, cl, at, labels, tagged, listed
	e.tr = &trace.Tracer{G: g, C: cl, A: at, CoinJoin: e.coinJoin}
	e.built = time.Now()
	e.tagVer, e.tip = tagVer, g.TipHeight()
	e.stats = Stats{TipHeight: g.TipHeight(), Txs: g.NTx(), Addresses: g.NAddr() - 1, Clusters: cl.Count(), Merges: len(cl.Merges()),
		Tagged: len(tagged), Conflicts: len(at.Conflicts), Listed: len(listed), BuildTime: time.Since(start)}
	e.stats.BuildMillis = e.stats.BuildTime.Milliseconds()
	return nil
}

func (e *Engine) coinJoin(g *txgraph.Graph, t uint32) bool {
	return e.opts.Classifier != nil && e.opts.Classifier.CoinJoin(g, t)
}

// Graph returns the current graph, clustering and tracer; callers hold
// RLock while they use them.
func (e *Engine) RLock()   { e.mu.RLock() }
func (e *Engine) RUnlock() { e.mu.RUnlock() }

// Tracer returns the current tracer (hold RLock).
func (e *Engine) Tracer() *trace.Tracer { return e.tr }

// Clustering returns the current clustering (hold RLock).
func (e *Engine) Clustering() *cluster.Clustering { return e.cl }

// MaxSourceOutputs bounds the outputs one source may name (an exchange's
// hot wallet has millions).
const MaxSourceOutputs = 200_000

// Resolve turns what a user typed into outputs: "txid:vout" (one output),
// "txid" (all outputs of the transaction), an address (every output that
// paid it), "cluster:N" (every output that paid a member), "label:X"
// (every output paid to an address listed or tagged as X that the reader
// may see). Hold RLock.
func (e *Engine) Resolve(from string, r *screening.Reader) (trace.Source, error) {
	g := e.g
	from = strings.TrimSpace(from)
	src := trace.Source{From: from}
	switch {
	case from == "":
		return src, errs.E(errs.Invalid, "an empty source: give a txid, txid:vout, address, cluster:N or label:NAME")
	case strings.HasPrefix(from, "cluster:"):
		id, err := strconv.ParseUint(strings.TrimPrefix(from, "cluster:"), 10, 32)
		if err != nil || e.cl.Size(uint32(id)) == 0 {
			return src, errs.E(errs.NotFound, "%s: no such cluster (a cluster is named by its smallest address id, as trawl shows it)", from)
		}
		for _, a := range e.cl.Members(uint32(id)) {
			outs, err := e.received(a, MaxSourceOutputs-len(src.Outputs))
			if err != nil {
				return src, err
			}
			src.Outputs = append(src.Outputs, outs...)
			if len(src.Outputs) >= MaxSourceOutputs {
				return src, errs.E(errs.TooLarge, "%s received more than %d outputs: trace a narrower source", from, MaxSourceOutputs)
			}
		}
	case strings.HasPrefix(from, "label:"):
		want := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(from, "label:")))
		if want == "" {
			return src, errs.E(errs.Invalid, "label: needs a name, e.g. label:lazarus")
		}
		seen := map[uint32]bool{}
		add := func(a uint32) error {
			if seen[a] {
				return nil
			}
			seen[a] = true
			outs, err := e.received(a, MaxSourceOutputs-len(src.Outputs))
			src.Outputs = append(src.Outputs, outs...)
			return err
		}
		for a, ls := range e.listed {
			for _, l := range ls {
				if r.Sees(l) && labelMatches(want, l.Name, l.Labels) {
					if err := add(a); err != nil {
						return src, err
					}
				}
			}
		}
		for a, ts := range e.tagged {
			for _, t := range ts {
				if labelMatches(want, t.Name, []string{t.Category}) {
					if err := add(a); err != nil {
						return src, err
					}
				}
			}
		}
		if len(seen) == 0 {
			return src, errs.E(errs.NotFound, "%s: no address on this chain is listed or tagged with that name", from)
		}
	case len(from) == 64 && isHex(from):
		n, err := e.src.TxNumOf(from)
		if err != nil {
			return src, err
		}
		if int(n) >= g.NTx() {
			return src, errs.E(errs.NotFound, "transaction %s is newer than the analysed chain; try again shortly", from)
		}
		lo, hi := g.Outputs(n)
		for o := lo; o < hi; o++ {
			src.Outputs = append(src.Outputs, o)
		}
	case len(from) > 65 && from[64] == ':' && isHex(from[:64]):
		v, err := strconv.ParseUint(from[65:], 10, 32)
		if err != nil {
			return src, errs.E(errs.Invalid, "%s: the output number after ':' must be a number", from)
		}
		n, err := e.src.TxNumOf(from[:64])
		if err != nil {
			return src, err
		}
		if int(n) >= g.NTx() {
			return src, errs.E(errs.NotFound, "transaction %s is newer than the analysed chain; try again shortly", from[:64])
		}
		lo, hi := g.Outputs(n)
		if lo+v >= hi {
			return src, errs.E(errs.NotFound, "transaction %s has no output %d", from[:64], v)
		}
		src.Outputs = append(src.Outputs, lo+v)
	default:
		a, err := e.src.AddrIDOf(from)
		if err != nil {
			return src, err
		}
		if src.Outputs, err = e.received(a, MaxSourceOutputs); err != nil {
			return src, errs.Wrap(errs.CodeOf(err), err, "%s", from)
		}
	}
	if len(src.Outputs) == 0 {
		return src, errs.E(errs.NotFound, "%s: no outputs to trace", from)
	}
	return src, nil
}

func labelMatches(want, name string, labels []string) bool {
	if strings.EqualFold(name, want) {
		return true
	}
	for _, l := range labels {
		if strings.EqualFold(l, want) {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// received returns the outputs that paid address a, at most limit.
func (e *Engine) received(a uint32, limit int) ([]uint64, error) {
	txs, err := e.src.AddrTxs(a, 0)
	if err != nil {
		return nil, err
	}
	outs := trace.Received(e.g, txs, a)
	if len(outs) > limit {
		return nil, errs.E(errs.TooLarge, "the address received more than %d outputs: trace a narrower source (txid or txid:vout)", MaxSourceOutputs)
	}
	return outs, nil
}

// TraceRequest is a trace as users ask for it.
type TraceRequest struct {
	From      []string
	Model     string
	Direction string // forward (default) or backward
	MaxHops   int
	MinSats   uint64
	MaxEdges  int // for drawing; default 400
	// MaxResults bounds the result lines, largest first (default 10,000);
	// the totals always count everything.
	MaxResults int
}

// Trace runs a forward trace and renders it. Sources named by label only
// reach what reader may see.
func (e *Engine) Trace(ctx context.Context, req TraceRequest, reader *screening.Reader) (*trace.View, error) {
	if len(req.From) == 0 {
		return nil, errs.E(errs.Invalid, "from: name at least one source (txid, txid:vout, address, cluster:N or label:NAME)")
	}
	if len(req.From) > 100 {
		return nil, errs.E(errs.Invalid, "from: at most 100 sources, got %d", len(req.From))
	}
	if req.Model == "" {
		req.Model = "haircut"
	}
	m, err := trace.ParseModel(req.Model)
	if err != nil {
		return nil, err
	}
	switch req.Direction {
	case "", "forward", "backward":
	default:
		return nil, errs.E(errs.Invalid, "direction %q: use forward or backward", req.Direction)
	}
	if req.MaxHops < 0 || req.MaxHops > 1000 {
		return nil, errs.E(errs.Invalid, "max_hops %d: use 1 to 1000", req.MaxHops)
	}
	if req.MaxEdges == 0 {
		req.MaxEdges = 400
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var srcs []trace.Source
	for _, f := range req.From {
		s, err := e.Resolve(f, reader)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s)
	}
	if req.Direction == "backward" {
		return e.backward(ctx, srcs, req, reader)
	}
	if req.MaxResults < 0 || req.MaxResults > 100_000 {
		return nil, errs.E(errs.Invalid, "max_results %d: use 1 to 100000", req.MaxResults)
	}
	t, err := e.tr.Forward(ctx, trace.Request{Sources: srcs, Model: m, MaxHops: req.MaxHops, MinSats: req.MinSats, MaxEdges: req.MaxEdges, MaxResults: req.MaxResults})
	if err != nil {
		return nil, err
	}
	return e.tr.Render(t)
}

// backward answers a backward trace: where the value of the sources'
// outputs came from, by haircut, from the listed addresses the reader may
// see, within max_hops (default 6, at most 100). Results are the listed
// addresses that spent most into the trail (kind "source", sats spent);
// Totals.Source is the traced outputs' value and Totals.Held the part of it
// that came from listed addresses. Hold RLock.
func (e *Engine) backward(ctx context.Context, srcs []trace.Source, req TraceRequest, reader *screening.Reader) (*trace.View, error) {
	var targets []uint64
	for _, s := range srcs {
		targets = append(targets, s.Outputs...)
	}
	ex, err := e.tr.Backward(ctx, trace.BackwardRequest{Targets: targets, Listed: e.listedFor(reader), MaxHops: req.MaxHops})
	if err != nil {
		return nil, err
	}
	v := &trace.View{Model: "haircut", Direction: "backward", MaxHops: ex.MaxHops, Touched: ex.Txs, Capped: ex.Capped,
		Results: []trace.ResultView{}, Graph: trace.GraphView{Nodes: []trace.NodeView{}, Edges: []trace.EdgeView{}}}
	for _, s := range srcs {
		var sats uint64
		for _, o := range s.Outputs {
			sats += e.g.Value[o]
		}
		v.Sources = append(v.Sources, trace.SourceSum{From: s.From, Outputs: len(s.Outputs), Sats: sats})
	}
	v.Totals.Source = ex.Value
	for _, c := range ex.Sources {
		v.Totals.Held += c.Sats
		for i, a := range c.Top {
			txt, err := e.src.AddrText(a)
			if err != nil {
				return nil, err
			}
			r := trace.ResultView{Address: txt, Cluster: e.cl.ID(a), Category: c.Category, Sats: c.TopSats[i], Kind: "source"}
			if s, _, ok := e.at.Of(a); ok {
				r.Service = s.Name
			}
			v.Results = append(v.Results, r)
		}
	}
	return v, nil
}

// listedFor is the Listed function of a reader: only what it may see.
func (e *Engine) listedFor(reader *screening.Reader) trace.Listed {
	return func(x uint32) (string, bool) {
		for _, l := range e.listed[x] {
			if reader.Sees(l) {
				return l.Category, true
			}
		}
		return "", false
	}
}

// Exposure is the backward view of an address for screening.
type Exposure struct {
	Address       string           `json:"address"`
	Cluster       uint32           `json:"cluster,omitempty"`
	ReceivedSats  uint64           `json:"received_sats"`
	Outputs       int              `json:"outputs"`
	MaxHops       int              `json:"max_hops"`
	Sources       []ExposureSource `json:"sources"`
	CoinJoinShare float64          `json:"coinjoin_share"`
	Service       *trace.Service   `json:"service,omitempty"`
	Risk          trace.Risk       `json:"risk"`
	Capped        bool             `json:"capped"`
	Txs           int              `json:"txs_examined"`
}

// ExposureSource is one category of listed sources.
type ExposureSource struct {
	Category string      `json:"category"`
	Sats     uint64      `json:"sats"`
	Share    float64     `json:"share"`
	Top      []TopSource `json:"top"`
}

// TopSource is a listed address that spent much into the transactions
// that lead to the address (SpentSats is all it spent there; the part that
// reached the address is in the category's sats).
type TopSource struct {
	Address   string `json:"address"`
	SpentSats uint64 `json:"spent_sats"`
}

// MaxExposureOutputs bounds the received outputs an exposure looks at (the
// newest).
const MaxExposureOutputs = 1000

// Exposure computes where address's coins came from, as far as reader may
// see the listings. It returns errs.NotFound for addresses not on the chain.
func (e *Engine) Exposure(ctx context.Context, address string, reader *screening.Reader) (*Exposure, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, err := e.src.AddrIDOf(address)
	if err != nil {
		return nil, err
	}
	if int(a) >= e.g.NAddr() {
		return nil, errs.E(errs.NotFound, "%s is newer than the analysed chain; try again shortly", address)
	}
	txs, err := e.src.AddrTxs(a, MaxExposureOutputs)
	if err != nil {
		return nil, err
	}
	outs := trace.Received(e.g, txs, a)
	listedFor := e.listedFor(reader)
	ex, err := e.tr.Backward(ctx, trace.BackwardRequest{Targets: outs, Listed: listedFor, MaxHops: e.opts.ExposureHops})
	if err != nil {
		return nil, err
	}
	out := &Exposure{Address: address, Cluster: e.cl.ID(a), ReceivedSats: ex.Value, Outputs: len(outs), MaxHops: ex.MaxHops,
		CoinJoinShare: ex.CoinJoin, Capped: ex.Capped || len(txs) >= MaxExposureOutputs, Txs: ex.Txs, Sources: []ExposureSource{}}
	for _, s := range ex.Sources {
		es := ExposureSource{Category: s.Category, Sats: s.Sats, Share: s.Share, Top: []TopSource{}}
		for i, ta := range s.Top {
			txt, err := e.src.AddrText(ta)
			if err != nil {
				return nil, err
			}
			es.Top = append(es.Top, TopSource{Address: txt, SpentSats: s.TopSats[i]})
		}
		out.Sources = append(out.Sources, es)
	}
	in := trace.RiskInput{Exposure: ex, Conflict: e.at.Conflicted(e.cl.ID(a))}
	if cat, ok := listedFor(a); ok {
		in.Listings = append(in.Listings, cat)
	}
	if s, _, ok := e.at.Of(a); ok {
		out.Service = &s
		in.Actor = &s
	}
	out.Risk = trace.Score(in)
	return out, nil
}

// ClusterView describes a cluster.
type ClusterView struct {
	Cluster   uint32         `json:"cluster"`
	Size      int            `json:"size"`
	Addresses []string       `json:"addresses"` // the first 100
	Tags      []LabelSpec    `json:"tags"`
	Actor     *trace.Service `json:"actor,omitempty"`
	Conflicts []string       `json:"conflicts,omitempty"`
	Risk      trace.Risk     `json:"risk"`
}

// Cluster describes cluster id, as far as reader may see its listings.
func (e *Engine) Cluster(id uint32, reader *screening.Reader) (*ClusterView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ms := e.cl.Members(id)
	if len(ms) == 0 {
		return nil, errs.E(errs.NotFound, "no cluster %d (a cluster is named by its smallest address id)", id)
	}
	v := &ClusterView{Cluster: id, Size: len(ms), Tags: []LabelSpec{}}
	in := trace.RiskInput{Conflict: e.at.Conflicted(id)}
	seenCat := map[string]bool{}
	for i, a := range ms {
		if i < 100 {
			t, err := e.src.AddrText(a)
			if err != nil {
				return nil, err
			}
			v.Addresses = append(v.Addresses, t)
		}
		v.Tags = append(v.Tags, e.tagged[a]...)
		for _, l := range e.listed[a] {
			if reader.Sees(l) && !seenCat[l.Category] {
				seenCat[l.Category] = true
				in.Listings = append(in.Listings, l.Category)
			}
		}
	}
	if s, _, ok := e.at.Of(id); ok {
		v.Actor = &s
		in.Actor = &s
	}
	for _, c := range e.at.Conflicts {
		if c.Cluster == id {
			v.Conflicts = c.Names
		}
	}
	v.Risk = trace.Score(in)
	return v, nil
}

// ClusterOf returns the cluster id of an address.
func (e *Engine) ClusterOf(address string) (uint32, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a, err := e.src.AddrIDOf(address)
	if err != nil {
		return 0, err
	}
	return e.cl.ID(a), nil
}

// MergeView is one clustering merge, rendered.
type MergeView struct {
	A         string `json:"a"`
	B         string `json:"b"`
	Txid      string `json:"txid"`
	Heuristic string `json:"heuristic"`
}

// Why explains why two addresses are in one cluster.
func (e *Engine) Why(a, b string, reason func(cluster.Reason) string) ([]MergeView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ia, err := e.src.AddrIDOf(a)
	if err != nil {
		return nil, err
	}
	ib, err := e.src.AddrIDOf(b)
	if err != nil {
		return nil, err
	}
	ms, err := e.cl.Why(ia, ib)
	if err != nil {
		return nil, err
	}
	out := []MergeView{}
	for _, m := range ms {
		ta, err := e.src.AddrText(m.A)
		if err != nil {
			return nil, err
		}
		tb, err := e.src.AddrText(m.B)
		if err != nil {
			return nil, err
		}
		id, err := e.src.TxID(m.Tx)
		if err != nil {
			return nil, err
		}
		h := "multi-input"
		if m.By != cluster.MultiInput && reason != nil {
			h = reason(m.By)
		}
		out = append(out, MergeView{A: ta, B: tb, Txid: id, Heuristic: h})
	}
	return out, nil
}

// PathsView is the answer of Paths.
type PathsView struct {
	From     string     `json:"from"`
	To       string     `json:"to"`
	MaxDepth int        `json:"max_depth"`
	Paths    []PathView `json:"paths"`
	Capped   bool       `json:"capped"`
}

// PathView is one flow.
type PathView struct {
	Sats   uint64   `json:"sats"`
	Txids  []string `json:"txids"`
	Target string   `json:"target"`
}

// Paths finds the flows from one source (address, cluster:N, txid,
// txid:vout) to a target address or cluster.
func (e *Engine) Paths(ctx context.Context, from, to string, depth int, reader *screening.Reader) (*PathsView, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	src, err := e.Resolve(from, reader)
	if err != nil {
		return nil, err
	}
	var targets []uint32
	if strings.HasPrefix(to, "cluster:") {
		id, err := strconv.ParseUint(strings.TrimPrefix(to, "cluster:"), 10, 32)
		if err != nil || e.cl.Size(uint32(id)) == 0 {
			return nil, errs.E(errs.NotFound, "%s: no such cluster", to)
		}
		targets = e.cl.Members(uint32(id))
	} else {
		a, err := e.src.AddrIDOf(to)
		if err != nil {
			return nil, err
		}
		targets = []uint32{a}
	}
	var ttxs []uint32
	capped := false
	for _, a := range targets {
		txs, err := e.src.AddrTxs(a, 0)
		if err != nil {
			return nil, err
		}
		ttxs = append(ttxs, txs...)
		if len(ttxs) > 100_000 {
			capped = true
			break
		}
	}
	res, err := e.tr.Paths(ctx, trace.PathRequest{From: src.Outputs, To: targets, TargetTxs: ttxs, MaxDepth: depth})
	if err != nil {
		return nil, err
	}
	v := &PathsView{From: from, To: to, MaxDepth: depth, Capped: capped || res.Capped, Paths: []PathView{}}
	if v.MaxDepth <= 0 {
		v.MaxDepth = 7
	}
	for _, p := range res.Paths {
		pv := PathView{Sats: p.Sats}
		for _, t := range p.Txs {
			id, err := e.src.TxID(t)
			if err != nil {
				return nil, err
			}
			pv.Txids = append(pv.Txids, id)
		}
		if pv.Target, err = e.src.AddrText(p.Target); err != nil {
			return nil, err
		}
		v.Paths = append(v.Paths, pv)
	}
	return v, nil
}

// ExportClusters writes a line per clustered address: fn(address, cluster).
func (e *Engine) ExportClusters(ctx context.Context, fn func(address string, cluster uint32) error) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ids := e.cl.IDs()
	for a := 1; a < len(ids); a++ {
		if a&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		t, err := e.src.AddrText(uint32(a))
		if err != nil {
			return err
		}
		if err := fn(t, ids[a]); err != nil {
			return err
		}
	}
	return nil
}

// String describes the engine's state in one line.
func (s Stats) String() string {
	return fmt.Sprintf("%d transactions to height %d, %d addresses in %d clusters (%d merges), %d tagged, %d listed on chain, %d conflicting clusters; built in %s",
		s.Txs, s.TipHeight, s.Addresses, s.Clusters, s.Merges, s.Tagged, s.Listed, s.Conflicts, s.BuildTime.Round(time.Millisecond))
}
