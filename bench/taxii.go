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
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/httpapi"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/taxii"
)

const mt = "application/taxii+json;version=2.1"

// envelopeOf builds an envelope of n distinct indicators starting at base,
// with ids in order, or scattered over the id space when random is set.
func envelopeOf(base, n int, random bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		id := base + i
		first := uint32(id >> 16)
		if random {
			first = uint32(id) * 2654435761 // a bijection: spread, and still distinct
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-%012x","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":"TraderTraitor cash-out address %d","description":"Address that received funds stolen from an exchange hot wallet.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","labels":["dprk","lazarus"]}`,
			first, id, id, (id>>8)%256, id%256)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

type hub struct {
	url, key, coll string
	client         *http.Client
	close          func()
}

func startHub(ctx context.Context, dir string) (*hub, error) {
	store, err := sqlitestore.Open(ctx, dir)
	if err != nil {
		return nil, err
	}
	ids := identity.NewService(store, time.Minute, nil)
	org, err := ids.CreateOrg(ctx, "bench", "Bench", true)
	if err != nil {
		return nil, err
	}
	_, key, err := ids.CreateKey(ctx, identity.KeyRequest{Org: "bench", Role: identity.RoleAdmin})
	if err != nil {
		return nil, err
	}
	svc, err := taxii.NewService(ctx, taxii.Options{Store: store, Directory: store, Parse: stix.Parse})
	if err != nil {
		return nil, err
	}
	c, err := svc.CreateCollection(ctx, org.ID, "bench", "", "", "amber", false)
	if err != nil {
		return nil, err
	}
	// The audit log is on, as `trawl serve` runs it: every page read is
	// recorded with the ids of the non-CLEAR objects it returned.
	rec := audit.NewRecorder(store, nil)
	api := httpapi.New(httpapi.Options{Identity: ids, TAXII: svc, Audit: rec, Logger: slog.New(slog.DiscardHandler), MaxBody: 64 << 20})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: api.Handler()}
	go srv.Serve(ln)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	return &hub{url: "http://" + ln.Addr().String(), key: key, coll: c.ID, client: &http.Client{Transport: tr},
		close: func() { srv.Close(); rec.Close(); store.Close() }}, nil
}

// ingest POSTs envelopes of 1,000 objects from base to base+n over 4
// feeds, and returns the rate in each tenth of the run.
func (h *hub) ingest(objPath string, base, n int, random bool) ([]float64, error) {
	const env, feeds = 1000, 4
	var rates []float64
	var mu sync.Mutex
	windowStart, windowN := time.Now(), 0
	work := make(chan int)
	errc := make(chan error, feeds)
	var wg sync.WaitGroup
	for range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for at := range work {
				code, b, _, err := h.do("POST", objPath, envelopeOf(at, env, random))
				if err != nil || code != 202 || !bytes.Contains(b, []byte(`"success_count":1000`)) {
					errc <- fmt.Errorf("post at %d: %d %s %v", at, code, b[:min(len(b), 300)], err)
					return
				}
				mu.Lock()
				windowN += env
				if windowN >= n/10 {
					rates = append(rates, float64(windowN)/time.Since(windowStart).Seconds())
					windowStart, windowN = time.Now(), 0
				}
				mu.Unlock()
			}
		}()
	}
	var failed error
send:
	for at := base; at < base+n; at += env {
		select {
		case work <- at:
		case failed = <-errc:
			break send
		}
	}
	close(work)
	wg.Wait()
	if failed != nil {
		return nil, failed
	}
	select {
	case err := <-errc:
		return nil, err
	default:
	}
	return rates, nil
}

func (h *hub) do(method, path string, body []byte) (int, []byte, http.Header, error) {
	req, _ := http.NewRequest(method, h.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.key)
	req.Header.Set("Accept", mt)
	if body != nil {
		req.Header.Set("Content-Type", mt)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

func benchTAXII(ctx context.Context, objects, runs int) ([]result, error) {
	dir, err := os.MkdirTemp("", "trawl-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	h, err := startHub(ctx, filepath.Join(dir, "hub"))
	if err != nil {
		return nil, err
	}
	defer h.close()
	objPath := "/taxii2/hub/collections/" + h.coll + "/objects/"

	// Ingest: 4 feeds POST envelopes of 1,000 until the collection holds
	// `objects`, with ids in order.
	start := time.Now()
	rates, err := h.ingest(objPath, 0, objects, false)
	if err != nil {
		return nil, err
	}
	ingestTotal := time.Since(start)
	storeSize := sizeOf(filepath.Join(dir, "hub", sqlitestore.FileName))
	fmt.Fprintf(os.Stderr, "ingested %d objects in %s\n", objects, ingestTotal.Round(time.Millisecond))

	// Paging cost: first page against last page.
	var next []string
	cur := ""
	for {
		u := objPath + "?limit=1000"
		if cur != "" {
			u += "&next=" + cur
		}
		code, b, _, err := h.do("GET", u, nil)
		if err != nil || code != 200 {
			return nil, fmt.Errorf("page walk: %d %v", code, err)
		}
		var m struct {
			More bool
			Next string
		}
		if err := jsonUnmarshal(b, &m); err != nil {
			return nil, err
		}
		if !m.More {
			break
		}
		next = append(next, m.Next)
		cur = m.Next
	}
	timePage := func(tok string) (float64, error) {
		var ds []float64
		for range max(runs, 5) * 4 {
			u := objPath + "?limit=1000"
			if tok != "" {
				u += "&next=" + tok
			}
			t0 := time.Now()
			code, _, _, err := h.do("GET", u, nil)
			if err != nil || code != 200 {
				return 0, fmt.Errorf("page: %d %v", code, err)
			}
			ds = append(ds, time.Since(t0).Seconds())
		}
		return median(ds), nil
	}
	first, err := timePage("")
	if err != nil {
		return nil, err
	}
	last, err := timePage(next[len(next)-2]) // the last full page
	if err != nil {
		return nil, err
	}

	// One object by its id, as an analyst looks an indicator up: a
	// lookup, whatever the size of the collection.
	var byID []float64
	for i := range 20 {
		n := (2*i + 1) * objects / 40
		u := objPath + fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x/", uint32(n>>16), n)
		t0 := time.Now()
		code, b, _, err := h.do("GET", u, nil)
		if err != nil || code != 200 || !bytes.Contains(b, []byte(fmt.Sprintf("-%012x", n))) {
			return nil, fmt.Errorf("object by id: %d %v", code, err)
		}
		byID = append(byID, time.Since(t0).Seconds())
	}

	// Concurrency: 8 clients fetching 1,000-object pages for 10 s, through
	// the raw HTTP/1.1 client so that the generator costs little CPU.
	var lat []time.Duration
	var wg sync.WaitGroup
	var mu sync.Mutex
	cpu0 := cpuTime()
	deadline := time.Now().Add(10 * time.Second)
	var fails int
	host := strings.TrimPrefix(h.url, "http://")
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := dialRaw(host)
			if err != nil {
				mu.Lock()
				fails++
				mu.Unlock()
				return
			}
			defer cl.conn.Close()
			tok := next[(c*len(next)/8)%len(next)]
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				status, _, err := cl.get(host, objPath+"?limit=1000&next="+tok, h.key)
				if err != nil || status != 200 {
					bad++
					break
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			fails += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	if fails > 0 {
		return nil, fmt.Errorf("%d page requests failed under concurrency", fails)
	}
	pagesPerSec := float64(len(lat)) / 10
	cpuPerPage := float64((cpuTime() - cpu0).Microseconds()) / 1000 / float64(max(len(lat), 1))

	// Ingest of random ids, as feeds send them (UUIDv4): each object goes
	// to its own place in the id indexes, not to their ends.
	randomObjects := max(objects/5/1000*1000, 10_000)
	randomRates, err := h.ingest(objPath, objects, randomObjects, true)
	if err != nil {
		return nil, err
	}
	randomSize := sizeOf(filepath.Join(dir, "hub", sqlitestore.FileName))
	auditSize := sizeOf(sqlitestore.AuditPath(filepath.Join(dir, "hub", sqlitestore.FileName)))
	return []result{
		{"TAXII ingest, 4 feeds POSTing envelopes of 1,000, ids in order (median of 10 windows)", fmt.Sprintf("%.0f objects/s", median(rates)), "≥ 20,000 objects/s"},
		{fmt.Sprintf("TAXII ingest as above, %d objects with random ids added to the %d", randomObjects, objects), fmt.Sprintf("%.0f objects/s", median(randomRates)), "≥ 20,000 objects/s"},
		{fmt.Sprintf("TAXII first page of %d (limit 1000)", objects), fmt.Sprintf("%.1f ms", first*1000), ""},
		{fmt.Sprintf("TAXII last page of %d (limit 1000)", objects), fmt.Sprintf("%.1f ms (%.2f× the first)", last*1000, last/first), "≤ 1.5× the first"},
		{fmt.Sprintf("TAXII one object by id in the %d (GET .../objects/{id}/, median of 20)", objects), fmt.Sprintf("%.2f ms", median(byID)*1000), ""},
		{"TAXII 1,000-object pages, 8 concurrent clients", fmt.Sprintf("%.0f pages/s, p50 %.1f ms, p99 %.1f ms; %.2f CPU-ms/page (server and clients)", pagesPerSec, ms(percentile(lat, .5)), ms(percentile(lat, .99)), cpuPerPage), "≥ 200 pages/s, p99 < 100 ms"},
		{"peak memory (RSS) of the whole process", maxRSS(), ""},
		{"SQLite store on disk after the ingest (database and its WAL)", fmt.Sprintf("%.0f MB (%.0f bytes/object)", float64(storeSize)/1e6, float64(storeSize)/float64(objects)), ""},
		{"SQLite store on disk after the random ids too (database and its WAL)", fmt.Sprintf("%.0f MB (%.0f bytes/object)", float64(randomSize)/1e6, float64(randomSize)/float64(objects+randomObjects)), ""},
		{"audit log on disk at the end (every POST and page read, with the ids it returned)", fmt.Sprintf("%.0f MB", float64(auditSize)/1e6), ""},
	}, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sizeOf is the size of the SQLite database file path with its WAL.
func sizeOf(path string) int64 {
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
