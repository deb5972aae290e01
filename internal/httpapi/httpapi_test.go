package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/webhook"
)

func TestStatusOfEveryCode(t *testing.T) {
	want := map[errs.Code]int{
		errs.Invalid: 400, errs.Unauthorized: 401, errs.Forbidden: 403, errs.NotFound: 404, errs.Conflict: 409,
		errs.TooLarge: 413, errs.RateLimited: 429, errs.NotAcceptable: 406, errs.Unsupported: 415,
		errs.Unavailable: 503, errs.Internal: 500,
	}
	for _, c := range errs.Codes {
		w, ok := want[c]
		if !ok {
			t.Errorf("code %q has no expected status in this test", c)
			continue
		}
		if got := statusOf(c); got != w {
			t.Errorf("statusOf(%q) = %d, want %d", c, got, w)
		}
	}
}

func TestCredentials(t *testing.T) {
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		header string
		token  string
		has    bool
	}{
		{"", "", false},
		{"Bearer trawl_key_a_b", "trawl_key_a_b", true},
		{"bearer   trawl_key_a_b ", "trawl_key_a_b", true},
		{basic("taxii-client:trawl_key_a_b"), "trawl_key_a_b", true},
		{basic(":trawl_key_a_b"), "trawl_key_a_b", true},
		{basic("user:pass:with:colons"), "pass:with:colons", true},
		{"Basic !!!notbase64", "", true},
		{"Digest abc", "", true},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		if c.header != "" {
			r.Header.Set("Authorization", c.header)
		}
		tok, has := credentials(r)
		if tok != c.token || has != c.has {
			t.Errorf("credentials(%q) = %q %v, want %q %v", c.header, tok, has, c.token, c.has)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.allow("k"); !ok {
			t.Fatalf("request %d within burst refused", i)
		}
	}
	ok, wait := l.allow("k")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("over burst: ok=%v wait=%v; want refused with wait ≤ 0.5s", ok, wait)
	}
	if ok, _ := l.allow("other"); !ok {
		t.Fatal("keys share a bucket")
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2/s
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("token not refilled")
	}
	if ok, _ := l.allow("k"); ok {
		t.Fatal("refilled more than the rate")
	}
	var off *limiter
	if ok, _ := off.allow("k"); !ok {
		t.Fatal("a disabled limiter refused")
	}
}

func newTestServer(t testing.TB) (*Server, string) {
	t.Helper()
	store, err := sqlitestore.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	ids := identity.NewService(store, time.Minute, nil)
	ctx := context.Background()
	if _, err := ids.CreateOrg(ctx, "hub", "Hub", true); err != nil {
		t.Fatal(err)
	}
	_, tok, err := ids.CreateKey(ctx, identity.KeyRequest{Org: "hub", Role: identity.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := taxii.NewService(ctx, taxii.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return New(Options{Identity: ids, TAXII: tx, Screener: screening.New(store, tx), Tags: store, Groups: store.GroupsOf,
		Alerts:   alert.NewService(alert.Options{Store: store, Sources: tx, Directory: store}),
		Webhooks: webhook.NewService(webhook.Options{Store: store, Hub: tx}),
		Chain: func(ctx context.Context, what, arg string, from, limit int) (any, error) {
			return nil, errs.E(errs.NotFound, "no %s %q", what, arg)
		}, Ready: store.Ping, MaxBody: 1 << 16}), tok
}

// TestOpenAPIDocumentsEveryRoute keeps /api/v1/openapi.json true.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	base, _ := newTestServer(t)
	o := base.opts
	o.Analysis = func() *analysis.Engine { return nil } // the tracing routes too
	s := New(o)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	documented := 0
	for _, pattern := range s.routes {
		method, path, _ := strings.Cut(pattern, " ")
		if strings.HasPrefix(path, "/taxii2/") {
			continue // TAXII 2.1 is specified by OASIS, not by this document
		}
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("route %q is not in openapi.json", pattern)
		}
		documented++
	}
	n := 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if n != documented {
		t.Errorf("openapi.json has %d operations, the server %d routes", n, documented)
	}
}

func TestPanicBecomesJSON500(t *testing.T) {
	s, _ := newTestServer(t)
	s.Handle("GET /boom", public, func(w http.ResponseWriter, r *http.Request) error { panic("boom") })
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/boom", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"code":"internal"`) || strings.Contains(rec.Body.String(), "boom") {
		t.Fatalf("panic: %d %s", rec.Code, rec.Body.String())
	}
}

// FuzzAPI sends arbitrary requests through the whole handler: whatever the
// input, the answer is never a 5xx and every error is the JSON error model.
func FuzzAPI(f *testing.F) {
	s, tok := newTestServer(f)
	h := s.Handler()
	seeds := []struct{ method, path, body, ctype string }{
		{"GET", "/api/v1/whoami", "", ""},
		{"POST", "/api/v1/orgs", `{"name":"x-1","title":"X"}`, "application/json"},
		{"POST", "/api/v1/orgs", `{"name":`, ""},
		{"POST", "/api/v1/orgs/hub/keys", `{"role":"reader","expires_in":"-5h"}`, ""},
		{"POST", "/api/v1/orgs/hub/users", `{"email":"a@b.example","role":"admin","name":"\u0000"}`, ""},
		{"DELETE", "/api/v1/keys/%00", "", ""},
		{"GET", "/api/v1/orgs/%2e%2e/users", "", ""},
		{"PATCH", "/healthz", "[]", "text/plain"},
		{"POST", "/api/v1/screen", `{"addresses":["0x098B716B8Aaf21512996dC57EB0615e2383E2f96","garbage"],"names":["Kim Jong Un"]}`, ""},
		{"GET", "/api/v1/address/bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "", ""},
		{"POST", "/api/v1/tags?pack=p", "address,label,category,source\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s\n", "text/csv"},
		{"POST", "/api/v1/tags", "title: t\ncreator: c\ntags: []\n", "application/yaml"},
		{"GET", "/api/v1/tags?address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa&address=x", "", ""},
	}
	for _, sd := range seeds {
		for _, auth := range []bool{true, false} {
			f.Add(sd.method, sd.path, sd.body, sd.ctype, auth)
		}
	}
	f.Fuzz(func(t *testing.T, method, path, body, ctype string, auth bool) {
		req, err := http.NewRequest(method, "http://trawl.test"+path, strings.NewReader(body))
		if err != nil || req.URL.Path == "" || !strings.HasPrefix(req.URL.Path, "/") {
			return // not an HTTP request a server could receive
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.RemoteAddr = "127.0.0.1:1234"
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() { h.ServeHTTP(rec, req); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("%s %q %q hangs:\n%s", method, path, body, buf[:n])
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %q %q: status %d %s", method, path, body, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 {
			var e errorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %q: %d with a body that is not the error model: %q", method, path, rec.Code, rec.Body.String())
			}
		}
	})
}

// BenchmarkAuthenticatedRequest measures the whole middleware chain (request
// id, metrics, access log, key check from the cache, rate limiter) around a
// small handler: the fixed cost every API call pays.
func BenchmarkAuthenticatedRequest(b *testing.B) {
	s, tok := newTestServer(b)
	s.Handle("GET /bench", authed, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	h := s.Handler()
	req := httptest.NewRequest("GET", "/bench", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNoContent {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
}

// TestAuditEntryBeforeAnswer: a response goes out only once its audit entry
// is stored; when the log cannot be written, the answer is withheld (503).
func TestAuditEntryBeforeAnswer(t *testing.T) {
	base, tok := newTestServer(t)
	logStore, err := sqlitestore.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := base.opts
	o.Audit = audit.NewRecorder(logStore, nil)
	s := New(o)
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	// A write is answered only once its entry is stored.
	if rec := do("POST", "/api/v1/orgs", `{"name":"fiu","title":"FIU"}`); rec.Code != http.StatusCreated {
		t.Fatalf("create org: %d %s", rec.Code, rec.Body)
	}
	es, err := logStore.AuditRange(context.Background(), 1, 10)
	if err != nil || len(es) != 1 || es[0].Action != "POST /api/v1/orgs" || es[0].Status != 201 {
		t.Fatalf("the entry of an answered write is not stored: %+v %v", es, err)
	}
	// A read of nothing non-CLEAR is stored by the same group commit without
	// holding the answer.
	if rec := do("GET", "/api/v1/whoami", ""); rec.Code != http.StatusOK {
		t.Fatalf("whoami: %d %s", rec.Code, rec.Body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		es, err = logStore.AuditRange(context.Background(), 1, 10)
		if err == nil && len(es) == 2 && es[1].Action == "GET /api/v1/whoami" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the entry of a read is not stored: %+v %v", es, err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// The log's database goes away: writes are withheld, not answered
	// unaudited.
	o.Audit.Close()
	logStore.Close()
	o.Audit = audit.NewRecorder(logStore, nil)
	s = New(o)
	s.auditWait = 300 * time.Millisecond
	rec := do("POST", "/api/v1/orgs", `{"name":"cert","title":"CERT"}`)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "audit log") || strings.Contains(rec.Body.String(), `"cert"`) {
		t.Fatalf("with the log unwritable: %d %s", rec.Code, rec.Body)
	}
}

func TestMustWaitForAudit(t *testing.T) {
	for _, c := range []struct {
		method string
		status int
		note   auditNote
		want   bool
	}{
		{"GET", 200, auditNote{}, false},
		{"GET", 200, auditNote{detail: []string{"read indicator--x"}}, true},
		{"POST", 201, auditNote{}, true},
		{"DELETE", 204, auditNote{}, true},
		{"POST", 400, auditNote{}, false},
		{"POST", 200, auditNote{query: true}, false},
		{"POST", 200, auditNote{query: true, detail: []string{"read indicator--x"}}, true},
		{"HEAD", 200, auditNote{}, false},
	} {
		if got := mustWaitForAudit(c.method, c.status, &c.note); got != c.want {
			t.Errorf("%s %d %+v: wait %v, want %v", c.method, c.status, c.note, got, c.want)
		}
	}
}

// TestMuxAnswersBecomeJSONErrors: the mux routes each request once, and its
// own answers (no route, a method not allowed, on REST and TAXII) are
// replaced by the JSON error models, with none of its plain text; routed
// answers, the mux's redirects and the route label of metrics and audit
// are as before.
func TestMuxAnswersBecomeJSONErrors(t *testing.T) {
	s, tok := newTestServer(t)
	h := s.Handler()
	do := func(method, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Accept", "application/taxii+json;version=2.1")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	cases := []struct {
		method, path string
		status       int
		ctype, body  string
		allow        string
	}{
		{"GET", "/api/v1/nothing", 404, "application/json", `"not_found"`, ""},
		{"PUT", "/api/v1/orgs", 405, "application/json", `"method_not_allowed"`, "GET"},
		{"DELETE", "/taxii2/", 405, "application/taxii+json;version=2.1", `method DELETE is not allowed here`, "GET"},
		{"GET", "/healthz", 200, "application/json", `"ok"`, ""},
		{"GET", "/api/v1/orgs", 200, "application/json", `"hub"`, ""},
	}
	for _, c := range cases {
		w := do(c.method, c.path)
		if w.Code != c.status || !strings.HasPrefix(w.Header().Get("Content-Type"), c.ctype) || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s %s: %d %q %s; want %d %s containing %s", c.method, c.path, w.Code, w.Header().Get("Content-Type"), w.Body, c.status, c.ctype, c.body)
		}
		if c.allow != "" && !strings.Contains(w.Header().Get("Allow"), c.allow) {
			t.Errorf("%s %s: Allow %q, want %s in it", c.method, c.path, w.Header().Get("Allow"), c.allow)
		}
		if strings.Contains(w.Body.String(), "404 page not found") || strings.Contains(w.Body.String(), "Method Not Allowed\n") {
			t.Errorf("%s %s: the mux's own text leaked: %q", c.method, c.path, w.Body)
		}
	}
	// A path the mux cleans is redirected, as before.
	if w := do("GET", "/api/v1//orgs"); w.Code/100 != 3 || w.Header().Get("Location") == "" {
		t.Errorf("unclean path: %d %v", w.Code, w.Header())
	}
	// The metrics label routed and unrouted requests by pattern.
	m := do("GET", "/metrics").Body.String()
	for _, want := range []string{`route="GET /api/v1/orgs"`, `route="unmatched"`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestProbesAreNeverRateLimited: the probes, and the mux's redirects of
// unclean paths to them, are exempt from the per-address limit that other
// anonymous requests draw from.
func TestProbesAreNeverRateLimited(t *testing.T) {
	base, _ := newTestServer(t)
	o := base.opts
	o.RateLimit, o.RateBurst = 1e-6, 1
	h := New(o).Handler()
	get := func(path string) int {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w.Code
	}
	for range 3 {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			if code := get(p); code != 200 {
				t.Fatalf("%s: %d", p, code)
			}
		}
		for _, p := range []string{"//healthz", "/./readyz", "/x/../metrics"} {
			if code := get(p); code/100 != 3 {
				t.Fatalf("%s: %d, want the mux's redirect", p, code)
			}
		}
	}
	// The limit is on: the second anonymous request elsewhere is refused.
	get("/api/v1/openapi.json")
	if code := get("/api/v1/openapi.json"); code != 429 {
		t.Fatalf("the second anonymous request: %d, want 429", code)
	}
}

// TestIsCleanAsTheMux: isClean agrees with the path the mux routes by
// (path.Clean, a trailing slash kept).
func TestIsCleanAsTheMux(t *testing.T) {
	muxClean := func(p string) string {
		if p == "" {
			return "/"
		}
		c := path.Clean(p)
		if p[len(p)-1] == '/' && c != "/" {
			c += "/"
		}
		return c
	}
	for _, p := range []string{"", "/", "//", "///", "/a", "/a/", "/a//", "//a", "/a/./b", "/a/../b", "/./", "/../", "/a/b/", "/taxii2/hub/collections/x/objects/", "/healthz", "//healthz", "/x/../metrics", "/a/.", "/a/.."} {
		if got, want := isClean(p), muxClean(p) == p; got != want {
			t.Errorf("isClean(%q) = %v, want %v", p, got, want)
		}
	}
}
