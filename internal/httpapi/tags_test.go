package httpapi

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestTagsRoutes(t *testing.T) {
	s, tok := newTestServer(t)
	h := s.Handler()
	call := func(method, path, ctype, body, key string) (int, map[string]any) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, rec.Body.String())
		}
		return rec.Code, m
	}
	message := func(m map[string]any) string {
		e, _ := m["error"].(map[string]any)
		s, _ := e["message"].(string)
		return s
	}
	const csv = "address,label,category,source,actor\n" +
		"0x098B716B8Aaf21512996dC57EB0615e2383E2f96,Ronin Bridge exploiter,stolen funds,FBI,lazarus-group\n" +
		"0x098b716b8aaf21512996dc57eb0615e2383e2f96,Some exchange deposit,exchange,a web crawl,\n"

	// Refusals, each with a status that says whose fault and a message that
	// says what to fix.
	for _, c := range []struct {
		name, method, path, ctype, body, key string
		status                               int
		says                                 string
	}{
		{"no key", "GET", "/api/v1/tags?address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "", "", "", 401, "API key"},
		{"no address", "GET", "/api/v1/tags", "", "", tok, 400, "address"},
		{"garbage address", "GET", "/api/v1/tags?address=not-an-address", "", "", tok, 400, "address[0]"},
		{"too many", "GET", "/api/v1/tags?" + strings.Repeat("address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa&", 101), "", "", tok, 413, "at most 100"},
		{"no media type", "POST", "/api/v1/tags?pack=p", "", csv, tok, 415, "text/csv"},
		{"bad format", "POST", "/api/v1/tags?pack=p&format=xml", "text/csv", csv, tok, 400, "tagpack or csv"},
		{"csv without pack", "POST", "/api/v1/tags", "text/csv", csv, tok, 400, "?pack="},
		{"bad csv", "POST", "/api/v1/tags?pack=p", "text/csv", "address,label,category,source\nnope,l,exchange,s\n", tok, 400, "line 2, tag 1, field address"},
		{"bad tagpack", "POST", "/api/v1/tags", "application/yaml", "title: t\ncreator: c\ntags:\n  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n", tok, 400, "field label"},
		{"too large", "POST", "/api/v1/tags?pack=p", "text/csv", "address,label,category,source\n" + strings.Repeat("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s\n", 2000), tok, 413, "limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, m := call(c.method, c.path, c.ctype, c.body, c.key)
			if status != c.status || !strings.Contains(message(m), c.says) {
				t.Fatalf("%d %q; want %d saying %q", status, message(m), c.status, c.says)
			}
		})
	}

	// An import, then the same again.
	status, m := call("POST", "/api/v1/tags?pack=fbi", "text/csv; charset=utf-8", csv, tok)
	if status != 200 || m["added"] != 2.0 || m["pack"] != "fbi" || m["unchanged"] != false {
		t.Fatalf("import: %d %v", status, m)
	}
	if _, ok := m["diff"].(map[string]any)["added"]; ok {
		t.Fatal("the diff is only sent when asked for")
	}
	status, m = call("POST", "/api/v1/tags?source=fbi&diff=true", "text/csv", csv, tok)
	if status != 200 || m["added"] != 0.0 || m["unchanged"] != true {
		t.Fatalf("repeat import: %d %v", status, m)
	}
	// Two sources disagree about one address: both tags come back, and the
	// conflict is said, not hidden.
	status, m = call("GET", "/api/v1/tags?address=0X098B716B8AAF21512996DC57EB0615E2383E2F96", "", "", tok)
	if status != 200 {
		t.Fatalf("lookup: %d %v", status, m)
	}
	ts, _ := m["tags"].([]any)
	cs, _ := m["conflicts"].([]any)
	svc, _ := m["service"].(map[string]any)
	if len(ts) != 2 || len(cs) != 1 || cs[0].(map[string]any)["kind"] != "service_and_suspect" || svc["label"] != "Some exchange deposit" {
		t.Fatalf("lookup: %v", m)
	}
	// An address nobody tagged: an empty list, not null.
	status, m = call("GET", "/api/v1/tags?address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "", "", tok)
	if ts, ok := m["tags"].([]any); status != 200 || !ok || len(ts) != 0 {
		t.Fatalf("untagged: %d %v", status, m)
	}
}
