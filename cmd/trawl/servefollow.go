package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/httpapi"
	"github.com/trawlhq/trawl/internal/screening"
)

// btcFollowFlags are serve's flags for keeping the Bitcoin index at a
// chain's tip while serving it.
type btcFollowFlags struct {
	rpc    rpcFlags
	blocks string
	follow bool
	every  time.Duration
}

func (f *btcFollowFlags) register(fs *flag.FlagSet) {
	f.rpc.register(fs, "btc-")
	fs.StringVar(&f.blocks, "btc-blocks", "", "with --btc-follow, Bitcoin Core's blocks directory to follow")
	fs.BoolVar(&f.follow, "btc-follow", false, "index new blocks of --btc-blocks as they are written (--btc-rpc always follows)")
	fs.DurationVar(&f.every, "btc-poll", 5*time.Second, "how often to look for new blocks")
}

func (f *btcFollowFlags) validate() error {
	switch {
	case f.rpc.url != "" && f.blocks != "":
		return errs.E(errs.Invalid, "give one of --btc-rpc URL and --btc-blocks DIR to follow, not both")
	case f.blocks != "" && !f.follow:
		return errs.E(errs.Invalid, "--btc-blocks needs --btc-follow (to index block files once, run `trawl ingest btc --blocks DIR`)")
	case f.follow && f.blocks == "" && f.rpc.url == "":
		return errs.E(errs.Invalid, "--btc-follow needs --btc-blocks DIR or --btc-rpc URL")
	case f.every < 100*time.Millisecond || f.every > 24*time.Hour:
		return errs.E(errs.Invalid, "--btc-poll must be between 100ms and 24h, got %v", f.every)
	}
	return nil
}

func (f *btcFollowFlags) enabled() bool { return f.rpc.url != "" || f.blocks != "" || f.follow }

// refreshDebounce is how long the analysis waits after a new tip before it
// refreshes, so that blocks arriving together cost one refresh.
const refreshDebounce = time.Second

// btcServe is the Bitcoin index as serve holds it: queries over it, the
// chain analysis built on it and, with a chain to follow, the follower that
// keeps it at that chain's tip. A nil *btcServe serves no Bitcoin routes.
type btcServe struct {
	e      *env
	x      *btcindex.Index
	engine atomic.Pointer[analysis.Engine]
	kick   chan struct{} // the tip moved: refresh the analysis soon
	wg     sync.WaitGroup

	following bool
	mu        sync.Mutex
	tip       int // the index's tip height, -1 when empty
	srcTip    int // the followed chain's, -1 before the first look
	lastErr   string
	lastSync  time.Time

	connected, disconnected, failures atomic.Int64
}

// serveBTC opens the index for serve, when one was built in the data dir or
// a chain is to be followed, and starts the analysis and the follower on
// ctx. Only one process may hold the index: `trawl ingest btc` cannot run
// beside serve, so serve follows the chain itself.
func (e *env) serveBTC(ctx context.Context, sc *screening.Screener, f *btcFollowFlags) (*btcServe, error) {
	following := f != nil && f.enabled()
	if following {
		if err := f.validate(); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(filepath.Join(e.cfg.DataDir, "btc")); err != nil {
		return nil, nil
	}
	x, err := e.openBTC()
	if err != nil {
		if following {
			return nil, err
		}
		e.log.Warn("the Bitcoin index is not served", "err", err)
		return nil, nil
	}
	b := &btcServe{e: e, x: x, kick: make(chan struct{}, 1), following: following, tip: -1, srcTip: -1}
	b.noteTip()
	var pass syncPass
	if following {
		if pass, err = b.syncer(f); err != nil {
			return nil, err
		}
	}
	b.wg.Go(func() { e.runAnalysis(ctx, x, sc, &b.engine, b.kick) })
	if following {
		b.wg.Go(func() { b.follow(ctx, pass, f.every) })
	}
	return b, nil
}

// syncPass brings the index to the followed chain's tip once. It returns
// the height of that tip as the source told it, -1 when it did not.
type syncPass func(ctx context.Context, rep *progressReporter) (srcTip int, err error)

// syncer returns the follower's pass for the flags' source.
func (b *btcServe) syncer(f *btcFollowFlags) (syncPass, error) {
	if f.rpc.url == "" {
		return func(ctx context.Context, rep *progressReporter) (int, error) {
			return -1, syncFiles(ctx, b.e, b.x, f.blocks, rep)
		}, nil
	}
	c, err := f.rpc.client(b.e)
	if err != nil {
		return nil, err
	}
	b.e.log.Info("btc follow: following a node", "node", c.String(), "poll", f.every.String())
	return func(ctx context.Context, rep *progressReporter) (int, error) {
		h, err := c.TipHeight(ctx)
		if err != nil {
			return -1, err
		}
		return h, syncRPC(ctx, b.e, b.x, c, f.rpc.check, rep)
	}, nil
}

// follow syncs the index every poll until ctx ends. A pass that fails is
// logged and shown on /readyz and the metrics; the next poll tries again
// (a node that restarts, a block file being written).
func (b *btcServe) follow(ctx context.Context, pass syncPass, every time.Duration) {
	defer b.e.log.Info("btc follow: stopped")
	for {
		before, _, _ := b.x.Tip()
		// Log lines, never a terminal's progress bar: serve logs. A pass
		// that takes more than a few seconds (the first) shows progress.
		rep := &progressReporter{e: b.e, quiet: true, last: time.Now()}
		srcTip, err := pass(ctx, rep)
		if ctx.Err() != nil {
			return
		}
		b.connected.Add(int64(rep.final.Blocks))
		b.disconnected.Add(int64(rep.final.Disconnected))
		after, ok, terr := b.x.Tip()
		if err == nil {
			err = terr
		}
		b.mu.Lock()
		switch {
		case err == nil && ok:
			// In sync: the source's tip, or ours if it grew meanwhile.
			b.srcTip = max(srcTip, after.Height)
		case srcTip >= 0:
			b.srcTip = srcTip
		}
		b.lastSync = time.Now()
		b.lastErr = ""
		if err != nil {
			b.lastErr = errs.MessageOf(err)
		}
		b.mu.Unlock()
		b.noteTip()
		if err != nil {
			b.failures.Add(1)
			lvl := b.e.log.Error
			if errs.CodeOf(err) == errs.Unavailable {
				lvl = b.e.log.Warn
			}
			lvl("btc follow: sync failed; trying again at the next poll", "err", err, "retry_in", every.String())
		}
		if ok && after.Hash != before.Hash {
			b.e.log.Info("btc follow: new tip", "height", after.Height, "hash", after.Hash.String(),
				"blocks_added", rep.final.Blocks, "blocks_disconnected", rep.final.Disconnected)
			select {
			case b.kick <- struct{}{}:
			default:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// noteTip reads the index's committed tip height.
func (b *btcServe) noteTip() {
	t, ok, err := b.x.Tip()
	if err != nil {
		return
	}
	h := -1
	if ok {
		h = t.Height
	}
	b.mu.Lock()
	b.tip = h
	b.mu.Unlock()
}

// wait waits for the analysis and the follower to stop (after their ctx
// ended): the index closes after serve returns, and they read and write it.
func (b *btcServe) wait() {
	if b != nil {
		b.wg.Wait()
	}
}

func (b *btcServe) query() httpapi.ChainQuery {
	if b == nil {
		return nil
	}
	return btcQuery(b.x)
}

func (b *btcServe) analysis() httpapi.AnalysisFunc {
	if b == nil {
		return nil
	}
	return b.engine.Load
}

// lag is the blocks the index is behind the followed chain, -1 unknown.
func (b *btcServe) lag() int {
	if b.srcTip < 0 {
		return -1
	}
	return max(0, b.srcTip-b.tip)
}

// status is what /readyz adds: the index's tip and, when following, the
// chain's and how far behind the index is.
func (b *btcServe) status() map[string]any {
	m := map[string]any{}
	if b == nil {
		return m
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	btc := map[string]any{"tip_height": b.tip, "following": b.following}
	if en := b.engine.Load(); en != nil {
		btc["analysis_height"] = en.Stats().TipHeight
	}
	if b.following {
		btc["source_height"] = b.srcTip
		btc["lag_blocks"] = b.lag()
		if !b.lastSync.IsZero() {
			btc["last_sync"] = b.lastSync.UTC().Format(time.RFC3339)
		}
		if b.lastErr != "" {
			btc["last_error"] = b.lastErr
		}
	}
	m["btc"] = btc
	return m
}

// register adds the index's metrics to reg.
func (b *btcServe) register(reg *prometheus.Registry) {
	if b == nil {
		return
	}
	read := func(f func() int) func() float64 {
		return func() float64 {
			b.mu.Lock()
			defer b.mu.Unlock()
			return float64(f())
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_btc_index_tip_height", Help: "Height of the Bitcoin index's last committed block (-1 empty)."},
			read(func() int { return b.tip })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_btc_analysis_tip_height", Help: "Height of the last block in the chain analysis (-1 not built)."},
			func() float64 {
				if en := b.engine.Load(); en != nil {
					return float64(en.Stats().TipHeight)
				}
				return -1
			}),
	)
	if !b.following {
		return
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_btc_source_tip_height", Help: "Height of the followed chain's tip at the last look (-1 unknown)."},
			read(func() int { return b.srcTip })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "trawl_btc_index_lag_blocks", Help: "Blocks the Bitcoin index is behind the followed chain (-1 unknown)."},
			read(b.lag)),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trawl_btc_follow_blocks_connected_total", Help: "Blocks the follower connected."},
			func() float64 { return float64(b.connected.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trawl_btc_follow_blocks_disconnected_total", Help: "Blocks the follower disconnected in reorgs."},
			func() float64 { return float64(b.disconnected.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "trawl_btc_follow_failures_total", Help: "Follower passes that failed (node unreachable, invalid answer)."},
			func() float64 { return float64(b.failures.Load()) }),
	)
}

// runAnalysis builds the chain analysis, publishes it, and refreshes it
// every analysisRefresh while ctx lives (new blocks, tags, lists), and
// refreshDebounce after a kick (a new tip from the follower). An empty
// index is waited on while a follower may fill it.
func (e *env) runAnalysis(ctx context.Context, x *btcindex.Index, sc *screening.Screener, dst *atomic.Pointer[analysis.Engine], kick <-chan struct{}) {
	o, err := e.analysisOptions(ctx, x, sc)
	if err != nil {
		e.log.Error("chain analysis not available", "err", err)
		return
	}
	t := time.NewTicker(analysisRefresh)
	defer t.Stop()
	var en *analysis.Engine
	warned := false
	for {
		if en == nil {
			if _, ok, err := x.Tip(); err == nil && ok {
				if en, err = analysis.Open(ctx, x, o); err != nil {
					if ctx.Err() == nil {
						e.log.Error("chain analysis not available", "err", err)
					}
					return
				}
				dst.Store(en)
				e.log.Info("chain analysis ready", "state", en.Stats().String())
			} else if err == nil && !warned {
				e.log.Warn("chain analysis not available: the Bitcoin index is empty")
				warned = true
			}
		}
		kicked := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
			kicked = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(refreshDebounce):
			}
			select { // what arrived meanwhile is covered
			case <-kick:
			default:
			}
		}
		if en == nil {
			continue
		}
		if !kicked {
			if err := sc.Refresh(ctx, false); err != nil && ctx.Err() == nil {
				e.log.Warn("screening refresh failed", "err", err)
			}
		}
		if err := en.Refresh(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("chain analysis refresh failed", "err", err)
		} else if kicked {
			e.log.Debug("chain analysis refreshed", "state", en.Stats().String())
		}
	}
}

// analysisRefresh is how often serve brings the analysis up to date
// without a new tip (tags, lists).
const analysisRefresh = 30 * time.Second
