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
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// benchScreen measures single-address screening over HTTP on loopback: the
// server as `trawl serve` runs it (auth, rate limiter off, audit on, access
// log to a discarded writer), a watchlist of `entries` synthetic addresses,
// and a load generator of `conns` keep-alive connections in this process.
func benchScreen(ctx context.Context, entries, conns int, d time.Duration) ([]result, error) {
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	api := httpapi.New(httpapi.Options{Identity: ids, TAXII: hub, Screener: sc, Groups: store.GroupsOf, Audit: rec, Logger: log, MaxBody: 16 << 20})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: api.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	host := ln.Addr().String()
	var mu sync.Mutex
	var lat []time.Duration
	var fails, hits int
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			myHits, myFails := 0, 0
			cl, err := dialRaw(host)
			if err != nil {
				mu.Lock()
				fails++
				mu.Unlock()
				return
			}
			defer cl.conn.Close()
			for i := c; time.Now().Before(deadline); i += conns {
				a := listed[i%len(listed)]
				if i%2 == 1 {
					a = fmt.Sprintf("0x%040x", uint64(i)*7+3) // not listed
				}
				t0 := time.Now()
				status, b, err := cl.get(host, "/api/v1/address/"+a, key)
				if err != nil {
					myFails++
					break
				}
				mine = append(mine, time.Since(t0))
				if status != 200 {
					myFails++
				} else if bytes.Contains(b, []byte(`"category"`)) {
					myHits++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			hits += myHits
			fails += myFails
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fails > 0 {
		return nil, fmt.Errorf("%d screening requests failed", fails)
	}
	if hits == 0 {
		return nil, fmt.Errorf("no listed address was found")
	}
	rps := float64(len(lat)) / d.Seconds()
	return []result{
		{fmt.Sprintf("HTTP single-address screening, %d connections, %d listed addresses", conns, entries),
			fmt.Sprintf("%.0f req/s, p50 %.2f ms, p99 %.2f ms", rps, ms(percentile(lat, .5)), ms(percentile(lat, .99))), "≥ 20,000 req/s, p99 < 2 ms"},
	}, nil
}
