package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/httpapi"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
)

func serveCommand() *command {
	var hooks hookFlags
	return &command{name: "serve", summary: "run the hub's HTTP server",
		flags: hooks.register,
		run: func(ctx context.Context, e *env, args []string) error {
			e.hooks = hooks
			if len(args) > 0 {
				return errs.E(errs.Invalid, "serve takes no arguments, got %q", args[0])
			}
			return e.serve(ctx, nil)
		}}
}

// serve runs the server until ctx is cancelled (SIGINT, SIGTERM), then lets
// in-flight requests finish within the shutdown timeout. ready, if set, is
// called with the base URL once the listener is open.
func (e *env) serve(ctx context.Context, ready func(url string)) error {
	cfg := e.cfg.Config
	store, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	ids := identity.NewService(store, cfg.KeyCacheTTL, nil)
	hub, err := e.taxiiService(ctx)
	if err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	go hub.Run(workCtx)
	sc := screening.New(store, hub)
	if err := sc.Refresh(ctx, true); err != nil {
		return err
	}
	// The Bitcoin index, when one was built in the data dir, answers
	// /api/v1/btc/... (only one process may hold it open).
	var chain httpapi.ChainQuery
	var engine atomic.Pointer[analysis.Engine]
	var analysisFn httpapi.AnalysisFunc
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "btc")); err == nil {
		if x, err := e.openBTC(); err != nil {
			e.log.Warn("the Bitcoin index is not served", "err", err)
		} else {
			chain = btcQuery(x)
			analysisFn = engine.Load
			// The analysis (graph, clusters, attribution) is built in the
			// background; until it is ready its routes answer 503.
			// The index closes after serve returns: stop and wait for the
			// analysis first (it may be reading the index).
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); e.runAnalysis(workCtx, x, sc, &engine) }()
			defer func() { stopWork(); wg.Wait() }()
		}
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	alerts, hooks := e.alertsAndHooks(store, hub, scheme)
	hooksDone := make(chan struct{})
	go func() { defer close(hooksDone); hooks.Run(workCtx) }() // the webhook outbox; safe on several replicas
	defer func() { stopWork(); <-hooksDone }()
	rec := audit.NewRecorder(store, e.log)
	defer rec.Close() // after the server has stopped: flushes every entry
	api := httpapi.New(httpapi.Options{
		Identity:  ids,
		TAXII:     hub,
		Audit:     rec,
		Screener:  sc,
		Tags:      store,
		Chain:     chain,
		Analysis:  analysisFn,
		Alerts:    alerts,
		Webhooks:  hooks,
		Groups:    store.GroupsOf,
		Ready:     store.Ping,
		Logger:    e.log,
		MaxBody:   cfg.MaxBody,
		RateLimit: cfg.RateLimit,
		RateBurst: cfg.RateBurst,
		Version:   version,
		// A secret of the operator's; without one, cookies are signed with
		// the keys' stored digests alone (see internal/httpapi/session.go).
		SessionSecret: []byte(cfg.SessionSecret),
	})
	hs := &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (choose another address with --listen)", cfg.Listen, err)
	}
	url := scheme + "://" + ln.Addr().String()
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	e.log.Info("listening", "url", url, "store", store.Dialect(), "tls", cfg.TLSCert != "")
	if ready != nil {
		ready(url)
	}
	if e.m.Listening != nil {
		e.m.Listening(url)
	}
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	e.log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("stopped")
	return nil
}

// runAnalysis builds the chain analysis, publishes it, and refreshes it
// every AnalysisRefresh while ctx lives (new blocks, tags, lists).
func (e *env) runAnalysis(ctx context.Context, x *btcindex.Index, sc *screening.Screener, dst *atomic.Pointer[analysis.Engine]) {
	o, err := e.analysisOptions(ctx, x, sc)
	if err != nil {
		e.log.Error("chain analysis not available", "err", err)
		return
	}
	if _, ok, err := x.Tip(); err != nil || !ok {
		e.log.Warn("chain analysis not available: the Bitcoin index is empty")
		return
	}
	en, err := analysis.Open(ctx, x, o)
	if err != nil {
		if ctx.Err() == nil {
			e.log.Error("chain analysis not available", "err", err)
		}
		return
	}
	dst.Store(en)
	e.log.Info("chain analysis ready", "state", en.Stats().String())
	t := time.NewTicker(analysisRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := sc.Refresh(ctx, false); err != nil && ctx.Err() == nil {
				e.log.Warn("screening refresh failed", "err", err)
			}
			if err := en.Refresh(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("chain analysis refresh failed", "err", err)
			}
		}
	}
}

// analysisRefresh is how often serve brings the analysis up to date.
const analysisRefresh = 30 * time.Second
