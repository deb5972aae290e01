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
func benchScreen(ctx context.Context, entries int, connCounts []int, runs int, d time.Duration) ([]result, error) {
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
	var out []result
	for _, conns := range connCounts {
		var rps, p50, p99, cpu []float64
		for range runs {
			cpu0 := cpuTime()
			lat, hits, err := loadRaw(host, reqs, conns, d)
			cpu = append(cpu, float64((cpuTime()-cpu0).Microseconds())/float64(max(len(lat), 1)))
			if err != nil {
				return nil, err
			}
			if hits == 0 {
				return nil, fmt.Errorf("no listed address was found")
			}
			rps = append(rps, float64(len(lat))/d.Seconds())
			p50 = append(p50, ms(percentile(lat, .5)))
			p99 = append(p99, ms(percentile(lat, .99)))
		}
		out = append(out, result{fmt.Sprintf("HTTP single-address screening, %d connections, %d listed addresses (median of %d × %s)", conns, entries, runs, d),
			fmt.Sprintf("%.0f req/s, p50 %.2f ms, p99 %.2f ms; %.1f CPU-µs/req (server and generator)", median(rps), median(p50), median(p99), median(cpu)), "≥ 20,000 req/s, p99 < 2 ms"})
	}
	return out, nil
}

// loadRaw sends reqs round-robin over conns keep-alive connections for d and
// returns every request's latency and how many answers named a listing.
func loadRaw(host string, reqs [][]byte, conns int, d time.Duration) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var hits int
	var firstErr error
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1<<16)
			myHits := 0
			var err error
			cl, err := dialRaw(host)
			if err == nil {
				defer cl.conn.Close()
				for i := c; ; i += conns {
					t0 := time.Now()
					if t0.After(deadline) {
						break
					}
					var status int
					var b []byte
					if status, b, err = cl.do(reqs[i%len(reqs)]); err != nil {
						break
					}
					mine = append(mine, time.Since(t0))
					if status != 200 {
						err = fmt.Errorf("status %d: %s", status, b)
						break
					}
					if bytes.Contains(b, []byte(`"category"`)) {
						myHits++
					}
				}
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
