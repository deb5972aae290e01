package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/trace"
)

// vetoFile lists the transactions whose clustering merges an analyst
// undid, one txid per line, in the data dir.
const vetoFile = "cluster-vetoes.txt"

func (e *env) readVetoes() ([]string, error) {
	raw, err := os.ReadFile(filepath.Join(e.cfg.DataDir, vetoFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var txids []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			txids = append(txids, l)
		}
	}
	return txids, nil
}

// analysisOptions are the engine's options from the data dir: vetoes,
// tags, the classifier.
func (e *env) analysisOptions(ctx context.Context, x *btcindex.Index, sc *screening.Screener) (analysis.Options, error) {
	o := analysis.Options{Screener: sc}
	cl, err := e.classifier()
	if err != nil {
		return o, err
	}
	o.Classifier, o.Change = cl, cl.Heuristics != 0
	if o.Labels, o.LabelsVersion, err = e.tagLabels(ctx); err != nil {
		return o, err
	}
	txids, err := e.readVetoes()
	if err != nil {
		return o, err
	}
	o.Veto = map[uint32]bool{}
	for _, id := range txids {
		n, err := x.TxNumOf(id)
		if err != nil {
			e.log.Warn("cluster veto names a transaction not on the chain", "txid", id, "err", err)
			continue
		}
		o.Veto[n] = true
	}
	return o, nil
}

// operatorScreener is the screener of a command run on the hub's own
// machine, with a reader that sees every listing.
func (e *env) operatorScreener(ctx context.Context) (*screening.Screener, *screening.Reader, error) {
	store, err := e.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	hub, err := e.taxiiService(ctx)
	if err != nil {
		return nil, nil, err
	}
	sc := screening.New(store, hub)
	if err := sc.Refresh(ctx, true); err != nil {
		return nil, nil, err
	}
	rd := &screening.Reader{Readable: map[string]bool{}}
	cols, err := hub.Store().ListCollections(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range cols {
		rd.Readable[c.ID] = true
	}
	rd.Sharing.OrgID = "operator"
	return sc, rd, nil
}

// openAnalysis opens the index and builds the analysis over it.
func (e *env) openAnalysis(ctx context.Context) (*analysis.Engine, *screening.Reader, error) {
	x, err := e.openBTC()
	if err != nil {
		return nil, nil, err
	}
	if _, ok, err := x.Tip(); err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, errs.E(errs.Invalid, "the Bitcoin index in %s is empty: run `trawl ingest btc --blocks DIR` first", filepath.Join(e.cfg.DataDir, "btc"))
	}
	sc, rd, err := e.operatorScreener(ctx)
	if err != nil {
		return nil, nil, err
	}
	o, err := e.analysisOptions(ctx, x, sc)
	if err != nil {
		return nil, nil, err
	}
	en, err := analysis.Open(ctx, x, o)
	if err != nil {
		return nil, nil, err
	}
	e.log.Debug("analysis ready", "state", en.Stats().String())
	return en, rd, nil
}

func traceCommand() *command {
	var from multiFlag
	var model, format, direction string
	var maxHops int
	var minSats uint64
	btc := &command{name: "btc", summary: "follow coins forward from sources to where they are now or were cashed out",
		flags: func(fs *flag.FlagSet) {
			fs.Var(&from, "from", "a source: txid, txid:vout, address, cluster:N or label:NAME (repeatable)")
			fs.StringVar(&model, "model", "haircut", "taint model: haircut, poison or fifo")
			fs.StringVar(&direction, "direction", "forward", "forward (where did it go) or backward (where did it come from: the listed addresses that paid into it, haircut)")
			fs.IntVar(&maxHops, "max-hops", 20, "transactions to follow from a source")
			fs.Uint64Var(&minSats, "min-sats", 0, "drop taint below this many satoshis (haircut, fifo)")
			fs.StringVar(&format, "format", "", "evidence export instead of result lines: json (the whole trace), csv or dot")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return errs.E(errs.Invalid, "unexpected argument %q: sources go in --from", args[0])
			}
			if len(from) == 0 {
				return errs.E(errs.Invalid, "--from is required: a txid, txid:vout, address, cluster:N or label:NAME")
			}
			switch format {
			case "", "json", "csv", "dot":
			default:
				return errs.E(errs.Invalid, "--format %q: use json, csv or dot", format)
			}
			en, rd, err := e.openAnalysis(ctx)
			if err != nil {
				return err
			}
			v, err := en.Trace(ctx, analysis.TraceRequest{From: from, Model: model, Direction: direction, MaxHops: maxHops, MinSats: minSats, MaxEdges: 2000}, rd)
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(e.out)
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			case "csv":
				return trace.WriteCSV(e.out, v)
			case "dot":
				return trace.WriteDOT(e.out, v)
			}
			if e.json {
				for _, r := range v.Results {
					if err := writeJSONLine(e.out, r); err != nil {
						return err
					}
				}
				return nil
			}
			printTraceText(e.out, v)
			return nil
		}}
	return &command{name: "trace", summary: "trace stolen coins", subs: []*command{btc}}
}

func printTraceText(w io.Writer, v *trace.View) {
	t := v.Totals
	if v.Direction == "backward" {
		fmt.Fprintf(w, "backward haircut trace of %s within %d hops (%d transactions examined): %s came from listed addresses\n", btcText(t.Source), v.MaxHops, v.Touched, btcText(t.Held))
		for _, r := range v.Results {
			fmt.Fprintf(w, "  %-20s %s spent %s into the trail\n", r.Category, r.Address, btcText(r.Sats))
		}
		return
	}
	fmt.Fprintf(w, "%s trace of %s from %d source(s), up to %d hops, %d transactions touched\n", v.Model, btcText(t.Source), len(v.Sources), v.MaxHops, v.Touched)
	fmt.Fprintf(w, "  cashed out %s   held %s   cut at the hop limit %s   fees %s   dropped %s\n\n", btcText(t.CashOut), btcText(t.Held), btcText(t.Capped), btcText(t.Fees), btcText(t.Dropped))
	for _, r := range v.Results {
		svc := ""
		if r.Service != "" {
			svc = "  → " + r.Service
		}
		cj := ""
		if r.ViaCoinJoin {
			cj = "  (via CoinJoin)"
		}
		fmt.Fprintf(w, "%-8s %16s  %2d hops  %s  %s:%d%s%s\n", r.Kind, btcText(r.Sats), r.Hops, r.Address, r.Txid, r.Vout, svc, cj)
	}
	if v.Truncated {
		fmt.Fprintln(w, "(more results than shown: narrow the sources or raise --min-sats)")
	}
}

func btcText(sats uint64) string {
	return strconv.FormatFloat(float64(sats)/1e8, 'f', 8, 64) + " BTC"
}

func clusterCommand() *command {
	export := &command{name: "export", summary: "write every address with its cluster as JSON lines {\"address\",\"cluster\"}",
		run: func(ctx context.Context, e *env, args []string) error {
			en, _, err := e.openAnalysis(ctx)
			if err != nil {
				return err
			}
			return en.ExportClusters(ctx, func(a string, c uint32) error {
				if e.json {
					return writeJSONLine(e.out, map[string]any{"address": a, "cluster": c})
				}
				_, err := fmt.Fprintf(e.out, "%s\t%d\n", a, c)
				return err
			})
		}}
	show := &command{name: "show", summary: "a cluster: size, addresses, tags, risk", usage: "ADDRESS|cluster:N",
		run: func(ctx context.Context, e *env, args []string) error {
			arg, err := oneArg(args, "an address or cluster:N")
			if err != nil {
				return err
			}
			en, rd, err := e.openAnalysis(ctx)
			if err != nil {
				return err
			}
			id, err := clusterArg(en, arg)
			if err != nil {
				return err
			}
			v, err := en.Cluster(id, rd)
			if err != nil {
				return err
			}
			return e.print(v, func(w io.Writer) {
				fmt.Fprintf(w, "cluster:%d  %d addresses  risk %d (%s)\n", v.Cluster, v.Size, v.Risk.Score, v.Risk.Level)
				if v.Actor != nil {
					fmt.Fprintf(w, "  actor: %s (%s)\n", v.Actor.Name, v.Actor.Category)
				}
				for _, c := range v.Conflicts {
					fmt.Fprintf(w, "  CONFLICTING TAG: %s\n", c)
				}
				for _, r := range v.Risk.Reasons {
					fmt.Fprintf(w, "  reason: %s\n", r.Text)
				}
				for _, a := range v.Addresses {
					fmt.Fprintf(w, "  %s\n", a)
				}
				if v.Size > len(v.Addresses) {
					fmt.Fprintf(w, "  ... and %d more (trawl cluster export)\n", v.Size-len(v.Addresses))
				}
			})
		}}
	why := &command{name: "why", summary: "the merges that put two addresses in one cluster", usage: "ADDRESS ADDRESS",
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return errs.E(errs.Invalid, "give two addresses")
			}
			en, _, err := e.openAnalysis(ctx)
			if err != nil {
				return err
			}
			ms, err := en.Why(args[0], args[1], reasonName)
			if err != nil {
				return err
			}
			if e.json {
				for _, m := range ms {
					if err := writeJSONLine(e.out, m); err != nil {
						return err
					}
				}
				return nil
			}
			for _, m := range ms {
				fmt.Fprintf(e.out, "%s + %s  by %s in %s\n", m.A, m.B, m.Heuristic, m.Txid)
			}
			return nil
		}}
	veto := &command{name: "veto", summary: "undo the clustering merges of a transaction", usage: "TXID",
		run: func(ctx context.Context, e *env, args []string) error {
			return e.editVetoes(ctx, args, true)
		}}
	unveto := &command{name: "unveto", summary: "restore the clustering merges of a vetoed transaction", usage: "TXID",
		run: func(ctx context.Context, e *env, args []string) error {
			return e.editVetoes(ctx, args, false)
		}}
	return &command{name: "cluster", summary: "address clusters (who controls what)", subs: []*command{export, show, why, veto, unveto}}
}

func clusterArg(en *analysis.Engine, arg string) (uint32, error) {
	if s, ok := strings.CutPrefix(arg, "cluster:"); ok {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return 0, errs.E(errs.Invalid, "%q: a cluster is cluster:N with N a number", arg)
		}
		return uint32(n), nil
	}
	return en.ClusterOf(arg)
}

func (e *env) editVetoes(ctx context.Context, args []string, add bool) error {
	txid, err := oneArg(args, "a txid")
	if err != nil {
		return err
	}
	if _, err := parseHash(txid); err != nil || len(txid) != 64 {
		return errs.E(errs.Invalid, "%q is not a txid (64 hex digits)", txid)
	}
	x, err := e.openBTC()
	if err != nil {
		return err
	}
	if _, err := x.TxNumOf(txid); err != nil {
		return err
	}
	cur, err := e.readVetoes()
	if err != nil {
		return err
	}
	has := slices.Contains(cur, txid)
	switch {
	case add && !has:
		cur = append(cur, txid)
	case !add && has:
		cur = slices.DeleteFunc(cur, func(s string) bool { return s == txid })
	}
	body := "# transactions whose clustering merges were undone (trawl cluster veto)\n" + strings.Join(cur, "\n") + "\n"
	if err := writeFileAtomic(filepath.Join(e.cfg.DataDir, vetoFile), []byte(body)); err != nil {
		return err
	}
	return e.print(map[string]any{"txid": txid, "vetoed": add, "vetoes": len(cur)}, func(w io.Writer) {
		if add {
			fmt.Fprintf(w, "merges of %s undone (%d vetoes); clusters are rebuilt on the next command or server start\n", txid, len(cur))
		} else {
			fmt.Fprintf(w, "merges of %s restored (%d vetoes)\n", txid, len(cur))
		}
	})
}

func btcExposureCommand() *command {
	return &command{name: "exposure", summary: "where an address's coins came from: shares from listed sources, risk", usage: "ADDRESS",
		run: func(ctx context.Context, e *env, args []string) error {
			arg, err := oneArg(args, "an address")
			if err != nil {
				return err
			}
			en, rd, err := e.openAnalysis(ctx)
			if err != nil {
				return err
			}
			ex, err := en.Exposure(ctx, arg, rd)
			if err != nil {
				return err
			}
			return e.print(ex, func(w io.Writer) { printExposure(w, ex) })
		}}
}

func printExposure(w io.Writer, ex *analysis.Exposure) {
	fmt.Fprintf(w, "%s  cluster:%d  received %s in %d outputs  risk %d (%s)\n", ex.Address, ex.Cluster, btcText(ex.ReceivedSats), ex.Outputs, ex.Risk.Score, ex.Risk.Level)
	if ex.Service != nil {
		fmt.Fprintf(w, "  belongs to %s (%s)\n", ex.Service.Name, ex.Service.Category)
	}
	for _, s := range ex.Sources {
		fmt.Fprintf(w, "  %5.1f%%  %s from %s sources within %d hops\n", s.Share*100, btcText(s.Sats), s.Category, ex.MaxHops)
		for _, t := range s.Top {
			fmt.Fprintf(w, "          %s spent %s on the way\n", t.Address, btcText(t.SpentSats))
		}
	}
	if ex.CoinJoinShare > 0 {
		fmt.Fprintf(w, "  %5.1f%%  passed through a CoinJoin\n", ex.CoinJoinShare*100)
	}
	for _, r := range ex.Risk.Reasons {
		fmt.Fprintf(w, "  reason: %s\n", r.Text)
	}
	if ex.Capped {
		fmt.Fprintln(w, "  (capped: only the newest outputs or part of the history were examined)")
	}
}

func btcPathCommand() *command {
	var from, to string
	var depth int
	return &command{name: "path", summary: "the highest-value flows from a source to a target address or cluster",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&from, "from", "", "source: txid, txid:vout, address or cluster:N")
			fs.StringVar(&to, "to", "", "target: address or cluster:N")
			fs.IntVar(&depth, "max-depth", 7, "transactions on a path (at most 12)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if from == "" || to == "" {
				return errs.E(errs.Invalid, "--from and --to are required")
			}
			en, rd, err := e.openAnalysis(ctx)
			if err != nil {
				return err
			}
			v, err := en.Paths(ctx, from, to, depth, rd)
			if err != nil {
				return err
			}
			return e.print(v, func(w io.Writer) {
				fmt.Fprintf(w, "%d paths from %s to %s within %d transactions%s\n", len(v.Paths), from, to, v.MaxDepth, map[bool]string{true: " (search capped)"}[v.Capped])
				for _, p := range v.Paths {
					fmt.Fprintf(w, "  %s  %s → %s\n", btcText(p.Sats), strings.Join(p.Txids, " → "), p.Target)
				}
			})
		}}
}

// withAnalysis adds the analysis questions to `trawl btc`.
func withAnalysis(btc *command) *command {
	btc.subs = append(btc.subs, btcExposureCommand(), btcPathCommand())
	return btc
}
