package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/httpapi"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
)

func serveCommand() *command {
	var bf btcFollowFlags
	var hooks hookFlags
	return &command{name: "serve", summary: "run the hub's HTTP server",
		flags: func(fs *flag.FlagSet) { bf.register(fs); hooks.register(fs) },
		run: func(ctx context.Context, e *env, args []string) error {
			e.hooks = hooks
			if len(args) > 0 {
				return errs.E(errs.Invalid, "serve takes no arguments, got %q", args[0])
			}
			return e.serve(ctx, nil, &bf)
		}}
}

// serve runs the server until ctx is cancelled (SIGINT, SIGTERM), then lets
// in-flight requests finish within the shutdown timeout. ready, if set, is
// called with the base URL once the listener is open. bf, if set, names a
// Bitcoin chain to follow.
func (e *env) serve(ctx context.Context, ready func(url string), bf *btcFollowFlags) error {
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
	// The Bitcoin index, when one was built in the data dir or a chain is
	// followed, answers /api/v1/btc/... and feeds the analysis; they stop
	// before the index closes, after serve returns.
	btc, err := e.serveBTC(workCtx, sc, bf)
	if err != nil {
		return err
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	alerts, hooks := e.alertsAndHooks(store, hub, scheme)
	hooksDone := make(chan struct{})
	go func() { defer close(hooksDone); hooks.Run(workCtx) }() // the webhook outbox; safe on several replicas
	defer func() { stopWork(); btc.wait(); <-hooksDone }()
	rec := audit.NewRecorder(store, e.log)
	defer rec.Close() // after the server has stopped: flushes every entry
	api := httpapi.New(httpapi.Options{
		Identity:  ids,
		TAXII:     hub,
		Audit:     rec,
		Screener:  sc,
		Tags:      store,
		Chain:     btc.query(),
		Analysis:  btc.analysis(),
		Status:    btc.status,
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
	btc.register(api.Registry())
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
