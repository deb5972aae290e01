package httpapi

// Browser tests of the web UI: a real headless Chromium, driven with
// chromedp, against a real server on loopback over a real store, hub and
// Bitcoin index (a simulated chain with a Lazarus-style theft). Every page
// must load in under a second; a screenshot of each is kept under
// test-artifacts/ui/.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/blkfile"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/httpapi/webui"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/tags"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/testenv"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// pageBudget is how long a page may take from navigation (or the click that
// opens it) to drawn with its data: a second, or four under the race
// detector (make test runs these tests once more without it).
var pageBudget = map[bool]time.Duration{false: time.Second, true: 4 * time.Second}[raceDetector]

// browserWorld is a hub with two organizations, a shared collection of the
// thief's addresses and a Bitcoin index of a simulated theft.
type browserWorld struct {
	srv        *Server
	url        string
	keys       map[string]string // org name -> analyst key
	collection string
	truth      btcsim.Truth
	index      *btcindex.Index
	listed     string // an attacker address on the OFAC-style list
}

func newBrowserWorld(t *testing.T) *browserWorld {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dir := t.TempDir()
	store, err := sqlitestore.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ids := identity.NewService(store, time.Minute, nil)
	w := &browserWorld{keys: map[string]string{}}
	for _, o := range []struct{ name, title string }{{"fiu", "Financial Intelligence Unit"}, {"exchange", "Exchange compliance"}} {
		if _, err := ids.CreateOrg(ctx, o.name, o.title, false); err != nil {
			t.Fatal(err)
		}
		_, tok, err := ids.CreateKey(ctx, identity.KeyRequest{Org: o.name, Role: identity.RoleAnalyst})
		if err != nil {
			t.Fatal(err)
		}
		w.keys[o.name] = tok
	}
	hub, err := taxii.NewService(ctx, taxii.Options{Store: store, Directory: store})
	if err != nil {
		t.Fatal(err)
	}
	go hub.Run(ctx)
	fiu, _ := store.OrgByName(ctx, "fiu")
	exchange, _ := store.OrgByName(ctx, "exchange")
	c, err := hub.CreateCollection(ctx, fiu.ID, "Lazarus Group theft indicators", "The thief's addresses, shared by the FIU.", "lazarus", "amber", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Grant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: exchange.ID, CanRead: true, CanWrite: true}); err != nil {
		t.Fatal(err)
	}
	w.collection = c.ID

	// The chain: a simulated theft, indexed.
	chain := filepath.Join(dir, "chain")
	if _, err := btcsim.Simulate(ctx, btcsim.Options{Seed: 9, Txs: btcsim.MinTxs, Dir: chain, Scenario: btcsim.ScenarioMixed}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(chain, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &w.truth); err != nil {
		t.Fatal(err)
	}
	x, err := btcindex.Open(filepath.Join(dir, "btc"), btcindex.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	r, err := blkfile.Open(chain)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ch, err := r.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Ingest(ctx, ch, nil); err != nil {
		t.Fatal(err)
	}
	w.index = x

	// The FIU shares the thief's addresses; one of them is also on a
	// sanctions list.
	var objs []json.RawMessage
	for i, a := range w.truth.AttackerAddresses {
		ind, _ := json.Marshal(map[string]any{
			"type": "indicator", "spec_version": "2.1", "id": "indicator--" + taxii.NewUUID(),
			"created": "2025-02-21T00:00:00.000Z", "modified": "2025-02-21T00:00:00.000Z",
			"name": fmt.Sprintf("Address of the thief (%d of %d)", i+1, len(w.truth.AttackerAddresses)), "indicator_types": []string{"malicious-activity"},
			"pattern": "[cryptocurrency-wallet:address = '" + a + "']", "pattern_type": "stix", "valid_from": "2025-02-21T00:00:00Z",
			"object_marking_refs": []string{stix.TLP2Amber},
		})
		objs = append(objs, ind)
	}
	if st, err := hub.Import(ctx, fiu.ID, c.ID, objs); err != nil || st.FailureCount > 0 {
		t.Fatalf("indicators: %v %+v", err, st)
	}
	w.listed = w.truth.AttackerAddresses[0]
	entry := watchlist.Entry{UID: "sim-1", Name: "LAZARUS GROUP", Type: "Entity", Programs: []string{"DPRK3"},
		Addresses: []watchlist.ListedAddress{watchlist.NewListedAddress("XBT", w.listed)}}
	if _, err := watchlist.Import(ctx, store, watchlist.SourceOFACSDN, []watchlist.Entry{entry}, watchlist.Meta{}, "sha", "import-1", time.Now()); err != nil {
		t.Fatal(err)
	}

	// An attribution tag of the first cash-out's deposit address.
	co := w.truth.CashOuts[0]
	csv := "address,label,category,source,actor,confidence\n" + co.Address + "," + co.ServiceName + " deposit,exchange,https://tags.example/exchanges," + co.Service + ",80\n"
	ts, meta, err := tags.ParseCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tags.Import(ctx, store, "exchanges", ts, meta, "sha", "tags-1", time.Now()); err != nil {
		t.Fatal(err)
	}

	// The chain analysis, as serve builds it.
	sc := screening.New(store, hub)
	if err := sc.Refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	labels, labelsVer := analysis.TagLabels(store)
	en, err := analysis.Open(ctx, x, analysis.Options{Classifier: &analysis.Classifier{}, Screener: sc, Labels: labels, LabelsVersion: labelsVer})
	if err != nil {
		t.Fatal(err)
	}
	w.srv = New(Options{Identity: ids, TAXII: hub, Screener: sc, Groups: store.GroupsOf, Ready: store.Ping,
		Chain: browserChainQuery(x), Tags: store, Analysis: func() *analysis.Engine { return en }})
	hs := httptest.NewServer(w.srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

func (s *Server) hasRoute(method, path string) bool {
	_, pattern := s.mux.Handler(httptest.NewRequest(method, path, nil))
	return pattern != ""
}

// browserChainQuery answers the chain routes from the index.
func browserChainQuery(x *btcindex.Index) ChainQuery {
	return func(ctx context.Context, what, arg string, from, limit int) (any, error) {
		switch what {
		case "tx":
			h, err := chainhash.NewHashFromStrStrict(arg)
			if err != nil {
				return nil, errs.E(errs.Invalid, "%q is not a txid", arg)
			}
			return x.TxByID(*h)
		case "address":
			return x.Address(arg, btcindex.TxNum(from), limit)
		}
		return nil, errs.E(errs.NotFound, "no %s %q in this test", what, arg)
	}
}

// browser is one headless Chromium tab.
type browser struct {
	t    *testing.T
	ctx  context.Context
	shot string // screenshot directory

	mu       sync.Mutex
	problems []string // script errors and console errors
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1440, 1000),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, shot: filepath.Join(testenv.RepoRoot(), "test-artifacts", "ui")}
	if err := os.MkdirAll(b.shot, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, b.event); err != nil {
		testenv.Need(t, "chromium", err)
	}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	})); err != nil {
		testenv.Need(t, "chromium", err)
	}
	return b
}

func (b *browser) event(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		p = "exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			p += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError {
			p = "console.error"
			for _, a := range e.Args {
				p += " " + string(a.Value) + a.Description
			}
		}
	case *cdplog.EventEntryAdded:
		// 4xx answers the page expects (and handles) are logged as network
		// errors; anything else at error level is a problem.
		if e.Entry.Level == cdplog.EntryLevelError && e.Entry.Source != cdplog.EntrySourceNetwork {
			p = "log " + string(e.Entry.Source) + ": " + e.Entry.Text
		}
	}
	if p != "" {
		b.mu.Lock()
		b.problems = append(b.problems, p)
		b.mu.Unlock()
	}
}

// do runs actions, failing the test on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return s
}

// page runs the steps that open a page, waits until the page says it is
// drawn, checks the time it took and that nothing went wrong, and keeps a
// screenshot.
func (b *browser) page(name, ready string, steps ...chromedp.Action[chromedp.Void]) time.Duration {
	b.t.Helper()
	b.mu.Lock()
	b.problems = nil
	b.mu.Unlock()
	start := time.Now()
	b.do("open "+name, append(steps, chromedp.WaitVisible(chromedp.CSS(`main[data-ready="`+ready+`"]`)))...)
	took := time.Since(start)
	b.t.Logf("page %-16s %4d ms", name, took.Milliseconds())
	if took > pageBudget {
		// Tell a page that is slow from a machine that is busy: load the
		// same address once more, as a reader who reloads would.
		again := time.Now()
		b.do("reload "+name, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="`+ready+`"]`)))
		took = time.Since(again)
		b.t.Logf("page %-16s %4d ms on reload", name, took.Milliseconds())
		if took > pageBudget {
			b.t.Errorf("page %s took %v, over the budget of %v", name, took, pageBudget)
		}
	}
	if v := b.eval(`document.documentElement.dataset.cspViolation || ''`); v != "" {
		b.t.Errorf("page %s broke the Content-Security-Policy: %s", name, v)
	}
	if v := b.eval(`document.querySelector('main .error') ? document.querySelector('main .error').textContent : ''`); v != "" {
		b.t.Errorf("page %s shows an error: %s", name, v)
	}
	b.screenshot(name)
	if os.Getenv("TRAWL_UI_TIMINGS") != "" {
		b.t.Log(b.eval(`JSON.stringify(performance.getEntriesByType('resource').map(e => [e.name.replace(location.origin, ''), Math.round(e.startTime), Math.round(e.duration)]))`))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("page %s: %s", name, p)
	}
	return took
}

// screenshot keeps a picture of the whole page.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.savePNG(name, chromedp.FullScreenshot(100))
}

// screenshotOf keeps a picture of one element.
func (b *browser) screenshotOf(name, sel string) {
	b.t.Helper()
	b.savePNG(name, chromedp.Screenshot(chromedp.CSS(sel)))
}

func (b *browser) savePNG(name string, shot chromedp.Action[[]byte]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) search(q string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#search"), q),
		chromedp.Click(chromedp.CSS("header form.search button")),
	}
}

// captureDownloads makes the page keep what it saves (a link with a
// download name, clicked) instead of handing it to the browser.
const captureDownloads = `(() => {
	window.__saved = [];
	const blobs = new Map();
	const create = URL.createObjectURL;
	URL.createObjectURL = (b) => { const u = create(b); blobs.set(u, b); return u; };
	const click = HTMLAnchorElement.prototype.click;
	HTMLAnchorElement.prototype.click = function () {
		const b = blobs.get(this.href);
		if (!this.download || !b) return click.call(this);
		const name = this.download;
		window.__saved.push(b.slice(0, 300).text().then((head) => ({ name, type: b.type, size: b.size, head })));
	};
	return '';
})()`

type savedFile struct {
	Name, Type, Head string
	Size             int
}

// downloads waits for n saved files and returns them by name.
func (b *browser) downloads(n int) map[string]savedFile {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	var files []savedFile
	for {
		js, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Promise.all(window.__saved).then((x) => JSON.stringify(x))`, chromedp.EvalAwaitPromise))
		if err != nil {
			b.t.Fatalf("downloads: %v", err)
		}
		if err := json.Unmarshal([]byte(js), &files); err != nil {
			b.t.Fatal(err)
		}
		if len(files) >= n {
			break
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("%d of %d downloads", len(files), n)
		case <-time.After(50 * time.Millisecond):
		}
	}
	out := map[string]savedFile{}
	for _, f := range files {
		out[f.Name] = f
	}
	return out
}

func needBuiltUI(t *testing.T) {
	t.Helper()
	if _, built := webui.App(); !built {
		testenv.Need(t, "webui", errors.New("the web UI is not built into this test binary: run `make ui`"))
	}
}

func TestBrowserInvestigatorWalkthrough(t *testing.T) {
	needBuiltUI(t)
	b := newBrowser(t)
	w := newBrowserWorld(t)
	theft := w.truth.Thefts[0].Txid

	// Sign in as the exchange's analyst.
	b.page("signin", "signin", chromedp.Navigate(w.url+"/"))
	b.do("type the key", chromedp.SendKeys(chromedp.CSS("#key"), w.keys["exchange"]))
	b.page("home", "home", chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	if who := b.text("#whoami"); !strings.Contains(who, "Exchange compliance") || !strings.Contains(who, "analyst") {
		t.Fatalf("the header shows %q; want the organization and the role", who)
	}

	// Search an address the FIU shared and OFAC lists.
	b.page("address", "address", b.search(w.listed)...)
	hits := b.text("table.hits")
	for _, want := range []string{"hub", "ofac-sdn", "TLP:AMBER", "TLP:CLEAR", "LAZARUS GROUP"} {
		if !strings.Contains(hits, want) {
			t.Errorf("address hits lack %q:\n%s", want, hits)
		}
	}
	if bal := b.text("#balance"); !strings.HasSuffix(bal, " BTC") {
		t.Errorf("balance %q", bal)
	}

	// A transaction, by txid, and a click through to one of its addresses.
	b.page("tx", "tx", b.search(theft)...)
	if out := b.text("table.outputs"); !strings.Contains(out, "BTC") {
		t.Errorf("outputs: %s", out)
	}
	b.page("tx-address", "address", chromedp.Click(chromedp.CSS("table.outputs a[href^='/ui/address/']")))

	// A cluster: served by the chain backend when it has clusters, or a
	// clear message when it does not.
	b.page("cluster", "cluster", b.search("cluster:1")...)
	if !w.srv.hasRoute("GET", "/api/v1/btc/cluster/1") {
		if msg := b.text("main .notice"); !strings.Contains(msg, "does not serve address clusters") {
			t.Errorf("cluster page without the endpoint: %q", msg)
		}
	}

	// A name goes to screening.
	b.page("screen-name", "screen", b.search("Lazarus Group")...)
	if got := b.text("#screen-results"); !strings.Contains(got, "LAZARUS GROUP") {
		t.Errorf("name screening: %s", got)
	}

	// Screening a pasted batch.
	other := w.truth.CashOuts[0].Address
	b.page("screen", "screen", chromedp.Navigate(w.url+"/ui/screen"))
	b.do("screen a batch",
		chromedp.SendKeys(chromedp.CSS("#screen-input"), w.listed+"\n"+other+"\n"),
		chromedp.Click(chromedp.CSS("#screen-input ~ .row button")),
		chromedp.WaitVisible(chromedp.CSS("table.screen-addresses")))
	if got := strings.ToLower(b.text("#screen-results h2")); !strings.Contains(got, "1 of 2 listed") {
		t.Errorf("batch screening: %q", got)
	}
	b.screenshot("screen-results")

	// Intelligence: collections, objects with TLP badges, one indicator.
	b.page("intel", "intel", chromedp.Click(chromedp.CSS(`header nav a[href="/ui/intel"]`)))
	b.page("collection", "collection", chromedp.Click(chromedp.CSS(`table.collections a`)))
	if objs := b.text("table.objects"); !strings.Contains(objs, "TLP:AMBER") || !strings.Contains(objs, "indicator") {
		t.Errorf("objects: %s", objs)
	}
	b.page("indicator", "stix-object", chromedp.Click(chromedp.CSS(`table.objects a`)))

	// Post a sighting of it.
	start := time.Now()
	b.do("post a sighting",
		chromedp.SetValue(chromedp.CSS(`#sighting-form input[name=count]`), "3"),
		chromedp.SendKeys(chromedp.CSS(`#sighting-form textarea`), "Deposit attempt at our exchange, blocked."),
		chromedp.Click(chromedp.CSS(`#sighting-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#sighting-form .notice-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#sightings table.sightings`)))
	t.Logf("posting a sighting took %d ms", time.Since(start).Milliseconds())
	if got := b.text("#sightings .count"); !strings.HasPrefix(got, "1 sighting") || !strings.Contains(got, "3 times") {
		t.Errorf("sightings after posting: %q", got)
	}
	b.screenshot("sighting-posted")

	// A STIX id in the search box finds the object in its collection.
	id := b.eval(`location.pathname.split('/').pop()`)
	b.page("stix-search", "stix-object", b.search(id)...)
	if got := b.eval(`location.pathname`); got != "/ui/intel/"+w.collection+"/"+id {
		t.Errorf("searching %s led to %s", id, got)
	}

	// The FIU signs in and sees the exchange's sighting of its indicator.
	b.do("sign out", chromedp.Click(chromedp.CSS("#signout")), chromedp.WaitVisible(chromedp.CSS(`main[data-ready="signin"]`)))
	b.do("type the key", chromedp.SendKeys(chromedp.CSS("#key"), w.keys["fiu"]))
	b.page("home-fiu", "home", chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	b.page("sightings", "sightings", chromedp.Click(chromedp.CSS(`header nav a[href="/ui/intel/sightings"]`)))
	if got := b.text("main"); !strings.Contains(got, "Deposit attempt at our exchange") || !strings.Contains(got, "3 in all") {
		t.Errorf("the FIU's sightings page: %s", got)
	}

	// The trace: the graph is drawn, with its cash-outs.
	b.page("trace", "trace", chromedp.Navigate(w.url+"/ui/trace?from="+theft))
	b.do("graph drawn", chromedp.WaitVisible(chromedp.CSS(`#graph[data-nodes] svg g.node`)))
	n, _ := strconv.Atoi(b.eval(`document.querySelector('#graph').dataset.nodes`))
	if n < 5 {
		t.Errorf("the trace graph draws %d nodes", n)
	}
	if got := b.text("table.results"); !strings.Contains(got, "cashout") {
		t.Errorf("trace results: %s", got)
	}
	b.screenshotOf("trace-graph", "#graph")
	// Collapsing the CoinJoins hides what flows out of them; expanding
	// brings it back.
	b.do("collapse", chromedp.Click(chromedp.CSS("#collapse-coinjoins")))
	if m, _ := strconv.Atoi(b.eval(`document.querySelector('#graph').dataset.nodes`)); m >= n {
		t.Errorf("collapsing the CoinJoins left %d of %d nodes", m, n)
	}
	b.do("expand", chromedp.Click(chromedp.CSS("#expand-all")))
	if m, _ := strconv.Atoi(b.eval(`document.querySelector('#graph').dataset.nodes`)); m != n {
		t.Errorf("expanding shows %d nodes, want %d", m, n)
	}
	// The exports: what the page hands the browser to save.
	b.eval(captureDownloads)
	b.do("export", chromedp.Click(chromedp.CSS("#export-svg")), chromedp.Click(chromedp.CSS("#export-png")),
		chromedp.Click(chromedp.CSS("#export-dot")), chromedp.Click(chromedp.CSS("#export-csv")))
	saved := b.downloads(4)
	if d := saved["trace.svg"]; !strings.HasPrefix(d.Head, "<svg") || strings.Count(d.Head, "<g class=\"node\"") == 0 && d.Size < 10000 {
		t.Errorf("SVG export: %d bytes: %.200s", d.Size, d.Head)
	}
	if d := saved["trace.png"]; d.Type != "image/png" || d.Size < 5000 {
		t.Errorf("PNG export: %s, %d bytes", d.Type, d.Size)
	}
	for _, f := range []string{"trace.dot", "trace.csv"} {
		if d := saved[f]; d.Size == 0 {
			t.Errorf("%s export is empty", f)
		}
	}

	// Share the cash-out addresses as indicators in the FIU's collection.
	b.do("post the cash-out indicators",
		chromedp.WaitReady(chromedp.CSS(`#stix-collection option[value="`+w.collection+`"]`)),
		chromedp.Click(chromedp.CSS("#export-stix")),
		chromedp.WaitVisible(chromedp.CSS("#trace-out .notice-ok")))
	if got := b.text("#trace-out .notice-ok"); !strings.Contains(got, "indicator(s) added") {
		t.Errorf("STIX export: %q", got)
	}
	// They are on the hub now: screening a cash-out address finds them.
	co := w.truth.CashOuts[0]
	b.page("cashout-address", "address", b.search(co.Address)...)
	if hits := b.text("table.hits"); !strings.Contains(hits, "Cash-out deposit address") {
		t.Errorf("a cash-out address after the export: %s", hits)
	}
	if got := b.text("table.tags"); !strings.Contains(got, co.ServiceName+" deposit") || !strings.Contains(got, "exchange") {
		t.Errorf("the attribution tags of a cash-out address: %s", got)
	}
}

// TestBrowserTraceUnavailable: a hub without tracing says so on the trace
// page instead of failing.
func TestBrowserTraceUnavailable(t *testing.T) {
	needBuiltUI(t)
	b := newBrowser(t)
	full, tok := newTestServer(t)
	o := full.opts
	s := New(Options{Identity: o.Identity, TAXII: o.TAXII, Screener: o.Screener, Groups: o.Groups, Chain: o.Chain}) // no chain analysis
	if s.hasRoute("POST", "/api/v1/btc/trace") {
		t.Fatal("a server without chain analysis serves tracing")
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	b.page("signin-hub", "signin", chromedp.Navigate(hs.URL+"/ui/trace?from=cluster:1"))
	b.do("type the key", chromedp.SendKeys(chromedp.CSS("#key"), tok))
	b.page("trace-unavailable", "trace",
		chromedp.Click(chromedp.CSS("#signin button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#trace-out[data-unavailable]`)))
	if got := b.text("#trace-out"); !strings.Contains(got, "Tracing is not available on this hub") {
		t.Errorf("trace page without the endpoint: %q", got)
	}
}
