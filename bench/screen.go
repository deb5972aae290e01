package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/httpapi"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/logfmt"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// benchScreen measures single-address screening over HTTP on loopback: the
// server as `trawl serve` runs it (auth, rate limiter, audit, access log
// formatted as text to a discarded writer), a watchlist of `entries`
// synthetic addresses, and a load generator in this process: for each count
// of keep-alive connections, `runs` runs of d, medians reported.
//
// With rate > 0 it also offers a fixed rate, open loop, over rateConns
// connections (see loadRate): the latency a client sees at that load, which
// a closed loop of a few connections cannot show.
func benchScreen(ctx context.Context, entries int, connCounts []int, runs int, d time.Duration, rate float64, rateConns int) ([]result, error) {
	dir, err := os.MkdirTemp("", "trawl-bench-screen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	store, err := sqlitestore.Open(ctx, filepath.Join(dir, "hub"))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	ids := identity.NewService(store, time.Minute, nil)
	if _, err := ids.CreateOrg(ctx, "exchange", "Exchange", false); err != nil {
		return nil, err
	}
	_, key, err := ids.CreateKey(ctx, identity.KeyRequest{Org: "exchange", Role: identity.RoleReader})
	if err != nil {
		return nil, err
	}
	// Synthetic listed addresses: EVM hex, as most listed addresses are.
	list := make([]watchlist.Entry, 0, entries/10)
	var listed []string
	for i := 0; i < entries; i += 10 {
		e := watchlist.Entry{UID: fmt.Sprint(i), Name: fmt.Sprintf("Listed party %d", i), Type: "entity"}
		for j := range 10 {
			a := fmt.Sprintf("0x%040x", uint64(i+j)*2654435761)
			e.Addresses = append(e.Addresses, watchlist.ListedAddress{Currency: "ETH", Value: a, Key: address.Key(a)})
			if len(listed) < 1000 {
				listed = append(listed, a)
			}
		}
		list = append(list, e)
	}
	if _, err := watchlist.Import(ctx, store, "bench", list, watchlist.Meta{}, "x", "imp", time.Now()); err != nil {
		return nil, err
	}
	hub, err := taxii.NewService(ctx, taxii.Options{Store: store, Directory: store})
	if err != nil {
		return nil, err
	}
	sc := screening.New(store, hub)
	if err := sc.Refresh(ctx, true); err != nil {
		return nil, err
	}
	rec := audit.NewRecorder(store, nil)
	defer rec.Close()
	log := slog.New(logfmt.New(io.Discard, false, nil)) // trawl serve's text log
	// The rate limiter is on, with a limit this one key never reaches.
	api := httpapi.New(httpapi.Options{Identity: ids, TAXII: hub, Screener: sc, Groups: store.GroupsOf, Audit: rec, Logger: log, MaxBody: 16 << 20,
		RateLimit: 1e7, RateBurst: 1e7})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: api.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	host := ln.Addr().String()
	// The requests, built once: half listed addresses, half not.
	reqs := make([][]byte, 2*len(listed))
	for i := range reqs {
		a := listed[i/2]
		if i%2 == 1 {
			a = fmt.Sprintf("0x%040x", uint64(i)*7+3) // not listed
		}
		reqs[i] = rawGET(host, "/api/v1/address/"+a, key)
	}
	// repeat runs load runs times: medians of its rate, p50, p99 and p99.9
	// and of the CPU time per request.
	type figures struct{ rps, p50, p99, p999, cpu float64 }
	repeat := func(load func() ([]time.Duration, int, error)) (figures, error) {
		var rps, p50, p99, p999, cpu []float64
		for range runs {
			cpu0 := cpuTime()
			lat, hits, err := load()
			if err != nil {
				return figures{}, err
			}
			if hits == 0 {
				return figures{}, fmt.Errorf("no listed address was found")
			}
			cpu = append(cpu, float64((cpuTime()-cpu0).Microseconds())/float64(max(len(lat), 1)))
			rps = append(rps, float64(len(lat))/d.Seconds())
			p50 = append(p50, ms(percentile(lat, .5)))
			p99 = append(p99, ms(percentile(lat, .99)))
			p999 = append(p999, ms(percentile(lat, .999)))
		}
		return figures{median(rps), median(p50), median(p99), median(p999), median(cpu)}, nil
	}
	var out []result
	for _, conns := range connCounts {
		f, err := repeat(func() ([]time.Duration, int, error) { return loadRaw(host, reqs, conns, d) })
		if err != nil {
			return nil, err
		}
		out = append(out, result{fmt.Sprintf("HTTP single-address screening, %d connections, %d listed addresses (median of %d × %s)", conns, entries, runs, d),
			fmt.Sprintf("%.0f req/s, p50 %.2f ms, p99 %.2f ms; %.1f CPU-µs/req (server and generator)", f.rps, f.p50, f.p99, f.cpu), "≥ 20,000 req/s, p99 < 2 ms"})
	}
	if rate > 0 {
		f, err := repeat(func() ([]time.Duration, int, error) { return loadRate(host, reqs, rateConns, rate, d) })
		if err != nil {
			return nil, err
		}
		out = append(out, result{fmt.Sprintf("HTTP single-address screening, %.0f req/s offered over %d connections, open loop (median of %d × %s)", rate, rateConns, runs, d),
			fmt.Sprintf("%.0f req/s answered, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; %.1f CPU-µs/req (server and generator)", f.rps, f.p50, f.p99, f.p999, f.cpu), "≥ 20,000 req/s, p99 < 2 ms"})
		// The floor: the same load against a net/http server that answers
		// every request with a fixed listed answer and does nothing else.
		// What the generator, the runtime and this machine cost, to be
		// read with the figure above.
		fln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		answer := []byte(`{"identifications":[{"category":"sanctions","name":"Listed party 0","description":"","url":""}]}`)
		fsrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(answer)
		})}
		go fsrv.Serve(fln)
		defer fsrv.Close()
		f, err = repeat(func() ([]time.Duration, int, error) { return loadRate(fln.Addr().String(), reqs, rateConns, rate, d) })
		if err != nil {
			return nil, err
		}
		out = append(out, result{"  the same against a net/http server with a fixed answer (the generator's and runtime's floor)",
			fmt.Sprintf("%.0f req/s answered, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms; %.1f CPU-µs/req", f.rps, f.p50, f.p99, f.p999, f.cpu), ""})
	}
	return out, nil
}

// loadRaw sends reqs round-robin over conns keep-alive connections for d and
// returns every request's latency and how many answers named a listing.
func loadRaw(host string, reqs [][]byte, conns int, d time.Duration) ([]time.Duration, int, error) {
	deadline := time.Now().Add(d)
	return drive(host, conns, func(c int, send func(req []byte, from time.Time) error) {
		for i := c; ; i += conns {
			t0 := time.Now()
			if t0.After(deadline) || send(reqs[i%len(reqs)], t0) != nil {
				return
			}
		}
	})
}

// loadRate offers rate requests per second for d, open loop: connection c
// of conns sends its k-th request at start + (k·conns + c)/rate, whether or
// not the server has kept up. A request's latency runs from when it was
// due, so a server that stalls is charged for the requests that queued
// behind the stall (a closed loop would not send them, and its percentiles
// would hide it). The one exception is the generator's own lateness: when a
// connection sleeps until its next request is due and the timer wakes it
// late (Go's timers round up to a millisecond when the process is idle),
// the latency runs from its waking, as the delay is not the server's.
func loadRate(host string, reqs [][]byte, conns int, rate float64, d time.Duration) ([]time.Duration, int, error) {
	interval := time.Duration(float64(conns) / rate * float64(time.Second))
	start := time.Now().Add(10 * time.Millisecond) // every connection dialled first
	deadline := start.Add(d)
	return drive(host, conns, func(c int, send func(req []byte, from time.Time) error) {
		for k := 0; ; k++ {
			due := start.Add(time.Duration(k)*interval + time.Duration(c)*interval/time.Duration(conns))
			if !due.Before(deadline) {
				return
			}
			from := due
			if wait := time.Until(due); wait > 0 {
				time.Sleep(wait)
				from = time.Now()
			}
			if send(reqs[(k*conns+c)%len(reqs)], from) != nil {
				return
			}
		}
	})
}

// drive runs load on conns keep-alive connections at once, load(c, send)
// on connection c; send makes one request, notes its latency from from and
// whether its answer named a listing, and returns an error (the first of
// which drive returns) on a failure or an answer other than 200.
func drive(host string, conns int, load func(c int, send func(req []byte, from time.Time) error)) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var hits int
	var firstErr error
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1<<14)
			myHits := 0
			cl, err := dialRaw(host)
			if err == nil {
				defer cl.conn.Close()
				load(c, func(req []byte, from time.Time) error {
					status, b, e := cl.do(req)
					if e == nil {
						mine = append(mine, time.Since(from))
						if status != 200 {
							e = fmt.Errorf("status %d: %s", status, b)
						} else if bytes.Contains(b, []byte(`"category"`)) {
							myHits++
						}
					}
					if e != nil && err == nil {
						err = e
					}
					return e
				})
			}
			mu.Lock()
			lat = append(lat, mine...)
			hits += myHits
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, 0, fmt.Errorf("screening request failed: %w", firstErr)
	}
	return lat, hits, nil
}
