package trace

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/txgraph"
)

// View is a trace rendered for people and programs: txids and addresses as
// text. It is the JSON of the REST API and of `trawl trace btc`.
type View struct {
	Model     string       `json:"model"`
	Direction string       `json:"direction"`
	MaxHops   int          `json:"max_hops"`
	Sources   []SourceSum  `json:"sources"`
	Results   []ResultView `json:"results"`
	Truncated bool         `json:"truncated"`
	// Clusters sums the results per cluster, largest first (the first
	// MaxClusterSums, counted over every result, not only those listed).
	Clusters []ClusterSum `json:"clusters"`
	Totals   Totals       `json:"totals"`
	Touched  int          `json:"touched_txs"`
	Graph    GraphView    `json:"graph"`
	Capped   bool         `json:"capped"`
}

// ResultView is one result line.
type ResultView struct {
	Address     string `json:"address"`
	Cluster     uint32 `json:"cluster,omitempty"`
	Service     string `json:"service,omitempty"`
	Category    string `json:"category,omitempty"`
	Sats        uint64 `json:"sats"`
	Hops        int    `json:"hops"`
	Txid        string `json:"txid"`
	Vout        uint32 `json:"vout"`
	Kind        string `json:"kind"`
	ViaCoinJoin bool   `json:"via_coinjoin,omitempty"`
}

// GraphView is the flow as nodes (transactions and addresses) and edges.
type GraphView struct {
	Nodes     []NodeView `json:"nodes"`
	Edges     []EdgeView `json:"edges"`
	Truncated bool       `json:"truncated"`
}

// NodeView is a transaction or an address.
type NodeView struct {
	ID       string   `json:"id"`
	Kind     string   `json:"kind"` // tx or address
	Label    string   `json:"label"`
	Txid     string   `json:"txid,omitempty"`
	Height   uint32   `json:"height,omitempty"`
	Address  string   `json:"address,omitempty"`
	Cluster  uint32   `json:"cluster,omitempty"`
	Service  string   `json:"service,omitempty"`
	Flags    []string `json:"flags,omitempty"` // source, coinjoin, peel, cashout, held, capped
	Sats     uint64   `json:"sats,omitempty"`
	ResultOf string   `json:"-"`
}

// EdgeView is value moving between two nodes.
type EdgeView struct {
	From string `json:"from"`
	To   string `json:"to"`
	Sats uint64 `json:"sats"`
}

func short(s string) string {
	if len(s) <= 14 {
		return s
	}
	return s[:8] + "…" + s[len(s)-4:]
}

// PeelStep reports whether tx t is a step of a peel chain: one input, two
// outputs, and its parent or a child is shaped the same.
func PeelStep(g *txgraph.Graph, t uint32) bool {
	shape := func(t uint32) bool {
		ilo, ihi := g.Inputs(t)
		olo, ohi := g.Outputs(t)
		return ihi-ilo == 1 && ohi-olo == 2
	}
	if !shape(t) {
		return false
	}
	lo, _ := g.Inputs(t)
	if p := g.TxOf(g.InOut[lo]); shape(p) {
		return true
	}
	olo, ohi := g.Outputs(t)
	for o := olo; o < ohi; o++ {
		if s := g.Spender[o]; s != txgraph.NoTx && shape(s) {
			return true
		}
	}
	return false
}

// Render turns a trace into its View.
func (tr *Tracer) Render(t *Trace) (*View, error) {
	g := tr.G
	v := &View{Model: t.Model.String(), Direction: "forward", MaxHops: t.MaxHops, Sources: t.Sources, Truncated: t.Truncated, Totals: t.Totals, Touched: t.Touched, Results: []ResultView{}, Clusters: t.ByCluster}
	if v.Clusters == nil {
		v.Clusters = []ClusterSum{}
	}
	txids := map[uint32]string{}
	txid := func(n uint32) (string, error) {
		if s, ok := txids[n]; ok {
			return s, nil
		}
		s, err := g.TxID(n)
		txids[n] = s
		return s, err
	}
	addrs := map[uint32]string{}
	addr := func(a uint32) (string, error) {
		if s, ok := addrs[a]; ok {
			return s, nil
		}
		s, err := g.AddrText(a)
		addrs[a] = s
		return s, err
	}
	for _, r := range t.Results {
		id, err := txid(r.Tx)
		if err != nil {
			return nil, err
		}
		a, err := addr(r.Addr)
		if err != nil {
			return nil, err
		}
		v.Results = append(v.Results, ResultView{Address: a, Cluster: r.Cluster, Service: r.Service, Category: r.Category, Sats: r.Sats, Hops: r.Hops,
			Txid: id, Vout: r.Vout, Kind: r.Kind.String(), ViaCoinJoin: r.ViaCoinJoin})
	}
	// The graph: tx -> address (an output) -> tx (its spender).
	nodes := map[string]*NodeView{}
	var order []string
	node := func(id string, mk func() (NodeView, error)) (*NodeView, error) {
		if n, ok := nodes[id]; ok {
			return n, nil
		}
		n, err := mk()
		if err != nil {
			return nil, err
		}
		nodes[id] = &n
		order = append(order, id)
		return &n, nil
	}
	sourceTx := t.SourceTxs
	kindOf := map[uint64]Kind{}
	for _, r := range t.Results {
		kindOf[r.Output] = r.Kind
	}
	txNode := func(n uint32) (*NodeView, error) {
		id, err := txid(n)
		if err != nil {
			return nil, err
		}
		return node("tx:"+id, func() (NodeView, error) {
			nv := NodeView{ID: "tx:" + id, Kind: "tx", Label: short(id), Txid: id, Height: g.Height[n]}
			if t.CoinJoins[n] {
				nv.Flags = append(nv.Flags, "coinjoin")
			}
			if PeelStep(g, n) {
				nv.Flags = append(nv.Flags, "peel")
			}
			if sourceTx[n] {
				nv.Flags = append(nv.Flags, "source")
			}
			return nv, nil
		})
	}
	addrNode := func(o uint64) (*NodeView, error) {
		a, err := addr(g.Addr[o])
		if err != nil {
			return nil, err
		}
		if a == "" {
			a = "(no address)"
		}
		return node("addr:"+a, func() (NodeView, error) {
			nv := NodeView{ID: "addr:" + a, Kind: "address", Label: short(a), Address: a}
			if tr.C != nil {
				nv.Cluster = tr.C.ID(g.Addr[o])
			}
			if s, _, ok := tr.A.Of(g.Addr[o]); ok {
				nv.Service = s.Name
			}
			return nv, nil
		})
	}
	edges := map[[2]string]uint64{}
	var eorder [][2]string
	addEdge := func(from, to string, sats uint64) {
		k := [2]string{from, to}
		if _, ok := edges[k]; !ok {
			eorder = append(eorder, k)
		}
		edges[k] += sats
	}
	for _, e := range t.Edges {
		ft, err := txNode(e.FromTx)
		if err != nil {
			return nil, err
		}
		an, err := addrNode(e.Output)
		if err != nil {
			return nil, err
		}
		addEdge(ft.ID, an.ID, e.Sats)
		if e.ToTx == txgraph.NoTx {
			switch k := kindOf[e.Output]; k {
			case CashOut, Held, Capped:
				if !hasFlag(an.Flags, k.String()) {
					an.Flags = append(an.Flags, k.String())
				}
			}
			continue
		}
		tt, err := txNode(e.ToTx)
		if err != nil {
			return nil, err
		}
		addEdge(an.ID, tt.ID, e.Sats)
	}
	for _, id := range order {
		v.Graph.Nodes = append(v.Graph.Nodes, *nodes[id])
	}
	for _, k := range eorder {
		v.Graph.Edges = append(v.Graph.Edges, EdgeView{From: k[0], To: k[1], Sats: edges[k]})
	}
	v.Graph.Truncated = t.EdgesTrunc
	if v.Graph.Nodes == nil {
		v.Graph.Nodes, v.Graph.Edges = []NodeView{}, []EdgeView{}
	}
	if v.Graph.Edges == nil {
		v.Graph.Edges = []EdgeView{}
	}
	return v, nil
}

func hasFlag(fs []string, f string) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

// WriteCSV writes the results as CSV with a header line.
func WriteCSV(w io.Writer, v *View) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"address", "cluster", "service", "category", "sats", "hops", "txid", "vout", "kind", "via_coinjoin", "model"})
	for _, r := range v.Results {
		cw.Write([]string{csvSafe(r.Address), strconv.FormatUint(uint64(r.Cluster), 10), csvSafe(r.Service), csvSafe(r.Category),
			strconv.FormatUint(r.Sats, 10), strconv.Itoa(r.Hops), r.Txid, strconv.FormatUint(uint64(r.Vout), 10), r.Kind,
			strconv.FormatBool(r.ViaCoinJoin), v.Model})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula: names come
// from tags that outsiders write.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteDOT writes the flow graph in Graphviz DOT.
func WriteDOT(w io.Writer, v *View) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph trace {\n  rankdir=LR;\n  label=%s;\n  node [fontname=\"monospace\", fontsize=10];\n",
		dotQuote(fmt.Sprintf("trawl %s trace, %s, max %d hops: %d sats traced, %d cashed out, %d held", v.Direction, v.Model, v.MaxHops, v.Totals.Source, v.Totals.CashOut, v.Totals.Held)))
	nodes := append([]NodeView(nil), v.Graph.Nodes...)
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	for _, n := range nodes {
		shape, color := "box", "black"
		label := n.Label
		if n.Kind == "address" {
			shape = "ellipse"
			if n.Service != "" {
				label += "\\n" + n.Service
			}
		}
		switch {
		case hasFlag(n.Flags, "cashout"):
			color = "red"
		case hasFlag(n.Flags, "coinjoin"):
			color = "purple"
		case hasFlag(n.Flags, "peel"):
			color = "orange"
		case hasFlag(n.Flags, "source"):
			color = "blue"
		}
		fmt.Fprintf(&b, "  %s [shape=%s, color=%s, label=%s];\n", dotQuote(n.ID), shape, color, dotQuote(strings.ReplaceAll(label, "\\n", "\n")))
	}
	for _, e := range v.Graph.Edges {
		fmt.Fprintf(&b, "  %s -> %s [label=%s];\n", dotQuote(e.From), dotQuote(e.To), dotQuote(btc(e.Sats)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func btc(sats uint64) string {
	return strconv.FormatFloat(float64(sats)/1e8, 'f', 8, 64) + " BTC"
}
