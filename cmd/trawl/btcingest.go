package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/btcrpcclient"
	"github.com/trawlhq/trawl/internal/errs"
)

// ingestGC collects garbage at a quarter of the live heap instead of all
// of it, unless the process's GOGC (which the runtime reads, not Main's
// environment) says otherwise: the index's ingest caches are large and
// hold no pointers, so collections are cheap and the peak memory of an
// ingest drops by a third.
func ingestGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(25)
	}
}

// rpcFlags are the flags of `trawl ingest btc --rpc` (and, named with
// the prefix btc-, of `trawl serve --btc-rpc`).
type rpcFlags struct {
	prefix                            string
	url, user, pass, passFile, cookie string
	workers, check                    int
}

func (r *rpcFlags) register(fs *flag.FlagSet, prefix string) {
	r.prefix = prefix
	fs.StringVar(&r.url, prefix+"rpc", "", "index from a node over JSON-RPC: Bitcoin Core or btcd, e.g. http://127.0.0.1:8332/")
	fs.StringVar(&r.user, prefix+"rpc-user", "", "RPC user (else TRAWL_RPC_USER)")
	fs.StringVar(&r.pass, prefix+"rpc-pass", "", "RPC password; other users of this machine can see it: prefer --"+prefix+"rpc-pass-file or TRAWL_RPC_PASS")
	fs.StringVar(&r.passFile, prefix+"rpc-pass-file", "", "file holding the RPC password (else TRAWL_RPC_PASS_FILE, TRAWL_RPC_PASS)")
	fs.StringVar(&r.cookie, prefix+"rpc-cookie", "", "Bitcoin Core's .cookie file (user and password in one)")
	fs.IntVar(&r.workers, prefix+"rpc-workers", 4, "blocks requested from the node at once")
	fs.IntVar(&r.check, prefix+"rpc-check", 1000, "cross-check every Nth block against the node's verbose getblock (prevouts on Core); 0 never")
}

// client builds the RPC client. Settings come from the environment, then
// the flags; the password is never printed.
func (r *rpcFlags) client(e *env) (*btcrpcclient.Client, error) {
	user, _ := e.m.LookupEnv("TRAWL_RPC_USER")
	pass, _ := e.m.LookupEnv("TRAWL_RPC_PASS")
	passFile, _ := e.m.LookupEnv("TRAWL_RPC_PASS_FILE")
	if r.user != "" {
		user = r.user
	}
	if r.pass != "" {
		pass, passFile = r.pass, ""
	}
	if r.passFile != "" {
		passFile = r.passFile
	}
	if passFile != "" {
		b, err := os.ReadFile(passFile)
		if err != nil {
			return nil, errs.E(errs.Invalid, "RPC password file: %v", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	if r.cookie != "" {
		b, err := os.ReadFile(r.cookie)
		if err != nil {
			return nil, errs.E(errs.Invalid, "--%srpc-cookie: %v", r.prefix, err)
		}
		u, p, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
		if !ok {
			return nil, errs.E(errs.Invalid, "--%srpc-cookie %s does not hold USER:PASSWORD", r.prefix, r.cookie)
		}
		user, pass = u, p
	}
	if r.check < 0 || r.workers < 1 || r.workers > 64 {
		return nil, errs.E(errs.Invalid, "--%[1]srpc-check must be ≥ 0 and --%[1]srpc-workers 1 to 64", r.prefix)
	}
	return btcrpcclient.New(btcrpcclient.Config{URL: r.url, User: user, Pass: pass, Workers: r.workers})
}

// ingestRPC indexes the node's chain; with follow it keeps polling for new
// blocks, disconnecting blocks the node no longer has on its best chain.
// A node that cannot be reached while following is retried at the next
// poll; an answer that fails validation ends the command.
func ingestRPC(ctx context.Context, e *env, x *btcindex.Index, rf *rpcFlags, follow bool, every time.Duration) error {
	c, err := rf.client(e)
	if err != nil {
		return err
	}
	var total btcindex.Progress
	for {
		rep := newProgressReporter(e)
		err := syncRPC(ctx, e, x, c, rf.check, rep)
		total.Blocks += rep.final.Blocks
		total.Txs += rep.final.Txs
		total.Disconnected += rep.final.Disconnected
		total.Elapsed += rep.final.Elapsed
		switch {
		case ctx.Err() != nil:
			return printIngest(e, x, total)
		case err != nil && (!follow || errs.CodeOf(err) != errs.Unavailable):
			return err
		case err != nil:
			e.log.Warn("ingest btc: node unavailable; retrying", "node", c.String(), "err", err, "retry_in", every.String())
		}
		if !follow {
			return printIngest(e, x, total)
		}
		select {
		case <-ctx.Done():
			return printIngest(e, x, total)
		case <-time.After(every):
		}
	}
}

// syncRPC brings x to the node's tip once and cross-checks every check-th
// of the blocks it connected (none when check is 0).
func syncRPC(ctx context.Context, e *env, x *btcindex.Index, c *btcrpcclient.Client, check int, rep *progressReporter) error {
	before, had, err := x.Tip()
	if err != nil {
		return err
	}
	err = x.IngestFrom(ctx, c, rep.report)
	rep.finish()
	if err != nil || check <= 0 {
		return err
	}
	// The blocks above the fork point (the old tip, less the blocks a
	// reorg disconnected) are new.
	from := 0
	if had {
		from = max(0, before.Height+1-rep.final.Disconnected)
	}
	return crossCheck(ctx, e, x, c, from, check)
}

// crossCheck compares the committed blocks from height from on whose
// height is a multiple of every with the node's verbose description.
func crossCheck(ctx context.Context, e *env, x *btcindex.Index, c *btcrpcclient.Client, from, every int) error {
	tip, ok, err := x.Tip()
	if err != nil || !ok {
		return err
	}
	for h := from + (every-from%every)%every; h <= tip.Height; h += every {
		b, err := x.Block(h)
		if err != nil {
			return err
		}
		vb, err := c.VerboseBlock(ctx, b.Hash, h)
		if err != nil {
			return err
		}
		txs, prevouts := nodeTxs(vb)
		if err := x.CheckBlock(h, b.Hash, txs); err != nil {
			return err
		}
		e.log.Debug("ingest btc: block agrees with the node", "height", h, "txs", len(txs), "prevouts_checked", prevouts)
	}
	return nil
}

// nodeTxs turns the node's description of a block into what the index
// checks, and counts the prevouts it gives.
func nodeTxs(vb *btcrpcclient.VerboseBlock) ([]btcindex.NodeTx, int) {
	txs := make([]btcindex.NodeTx, len(vb.Txs))
	prevouts := 0
	for i, vt := range vb.Txs {
		txs[i].ID = vt.ID
		for _, o := range vt.Outs {
			txs[i].Outs = append(txs[i].Outs, btcindex.NodeOut(o))
		}
		for _, in := range vt.Ins {
			if in.Coinbase {
				continue
			}
			if in.Prevout != nil {
				prevouts++
			}
			txs[i].Prevouts = append(txs[i].Prevouts, (*btcindex.NodeOut)(in.Prevout))
		}
	}
	return txs, prevouts
}

// progressReporter shows ingest progress: a bar on a terminal, a log line
// every few seconds otherwise.
type progressReporter struct {
	e     *env
	tty   bool
	quiet bool // no final line (serve's follower logs the new tip instead)
	last  time.Time
	final btcindex.Progress
}

func newProgressReporter(e *env) *progressReporter {
	return &progressReporter{e: e, tty: isTerminal(os.Stderr) && !e.json}
}

func (r *progressReporter) report(p btcindex.Progress) { r.show(p, false) }

// finish shows the last state, if anything was connected.
func (r *progressReporter) finish() {
	if r.final.Blocks > 0 && !r.quiet {
		r.show(r.final, true)
	}
}

func (r *progressReporter) show(p btcindex.Progress, done bool) {
	r.final = p
	now := time.Now()
	every := 5 * time.Second
	if r.tty {
		every = 200 * time.Millisecond
	}
	if !done && now.Sub(r.last) < every {
		return
	}
	r.last = now
	sec := max(p.Elapsed.Seconds(), 1e-9)
	bps, tps := float64(p.Blocks)/sec, float64(p.Txs)/sec
	eta, known := p.ETA()
	etaText := "?"
	if known {
		etaText = eta.Round(time.Second).String()
	}
	if r.tty {
		frac := min(1, float64(p.Height+1)/float64(p.TipHeight+1))
		if known && eta+p.Elapsed > 0 {
			frac = float64(p.Elapsed) / float64(eta+p.Elapsed)
		}
		bar := strings.Repeat("=", int(frac*30)) + strings.Repeat(" ", 30-int(frac*30))
		fmt.Fprintf(os.Stderr, "\r[%s] %d/%d  %.0f blocks/s  %.0f tx/s  ETA %s   ", bar, p.Height, p.TipHeight, bps, tps, etaText)
		if done {
			fmt.Fprintln(os.Stderr)
		}
		return
	}
	r.e.log.Info("ingest btc", "height", p.Height, "tip", p.TipHeight, "blocks_per_s", int(bps), "tx_per_s", int(tps), "eta", etaText)
}

// printIngest prints where the index stands after an ingest.
func printIngest(e *env, x *btcindex.Index, p btcindex.Progress) error {
	tip, ok, err := x.Tip()
	if err != nil {
		return err
	}
	if !ok {
		return e.print(map[string]any{"height": -1}, func(w io.Writer) { fmt.Fprintln(w, "index is empty") })
	}
	res := map[string]any{"height": tip.Height, "hash": tip.Hash, "txs": tip.NextTx, "addresses": tip.NextID - 1,
		"blocks_added": p.Blocks, "txs_added": p.Txs, "blocks_disconnected": p.Disconnected, "seconds": p.Elapsed.Seconds()}
	return e.print(res, func(w io.Writer) {
		fmt.Fprintf(w, "indexed to height %d (%s): %d txs, %d addresses; added %d blocks, %d txs in %v",
			tip.Height, tip.Hash, tip.NextTx, tip.NextID-1, p.Blocks, p.Txs, p.Elapsed.Round(time.Millisecond))
		if p.Disconnected > 0 {
			fmt.Fprintf(w, "; disconnected %d blocks", p.Disconnected)
		}
		fmt.Fprintln(w)
	})
}
