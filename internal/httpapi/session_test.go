package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/httpapi/webui"
)

// uiCall sends one request through the server's handler with the given
// cookie and headers (name, value pairs).
func uiCall(t *testing.T, s *Server, method, path, body, cookie string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "http://trawl.test"+path, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:5555"
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func signInFor(t *testing.T, s *Server, key string) (cookie, csrf string) {
	t.Helper()
	rec := uiCall(t, s, "POST", sessionPath, `{"key":"`+key+`"}`, "", "Content-Type", "application/json")
	if rec.Code != http.StatusCreated {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body)
	}
	var c *http.Cookie
	for _, x := range rec.Result().Cookies() {
		if x.Name == sessionCookie {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure without TLS", c)
	}
	var info sessionInfo
	if err := json.Unmarshal(rec.Body.Bytes(), &info); err != nil || info.CSRFToken == "" || info.Principal.OrgName != "hub" || info.Org.Name != "hub" {
		t.Fatalf("sign-in answer: %s %v", rec.Body, err)
	}
	if strings.Contains(rec.Body.String(), key) || strings.Contains(c.Value, key) {
		t.Fatal("the API key is echoed back")
	}
	return c.Value, info.CSRFToken
}

func TestSessionSignInAndCSRF(t *testing.T) {
	s, tok := newTestServer(t)
	cookie, csrf := signInFor(t, s, tok)

	if rec := uiCall(t, s, "GET", "/api/v1/whoami", "", cookie); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"org":"hub"`) {
		t.Fatalf("whoami with the cookie: %d %s", rec.Code, rec.Body)
	}
	if rec := uiCall(t, s, "GET", sessionPath, "", cookie); rec.Code != 200 || !strings.Contains(rec.Body.String(), csrf) {
		t.Fatalf("GET session: %d %s", rec.Code, rec.Body)
	}
	body := `{"title":"UI","alias":"ui"}`
	cases := []struct {
		name   string
		hdr    []string
		status int
		msg    string
	}{
		{"no token", []string{"Content-Type", "application/json"}, 403, "X-CSRF-Token"},
		{"wrong token", []string{"Content-Type", "application/json", csrfHeader, "x" + csrf}, 403, "X-CSRF-Token"},
		{"other origin", []string{"Content-Type", "application/json", csrfHeader, csrf, "Origin", "https://evil.example"}, 403, "cross-origin"},
		{"token and own origin", []string{"Content-Type", "application/json", csrfHeader, csrf, "Origin", "http://trawl.test"}, 201, ""},
	}
	for _, c := range cases {
		rec := uiCall(t, s, "POST", "/api/v1/collections", body, cookie, c.hdr...)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.msg) {
			t.Errorf("%s: %d %s, want %d mentioning %q", c.name, rec.Code, rec.Body, c.status, c.msg)
		}
	}
	// API keys work as before, with or without a cookie beside them.
	if rec := uiCall(t, s, "POST", "/api/v1/collections", `{"title":"K"}`, "", "Authorization", "Bearer "+tok); rec.Code != 201 {
		t.Errorf("API key without CSRF header: %d %s", rec.Code, rec.Body)
	}
	// Sign-out clears the cookie.
	rec := uiCall(t, s, "DELETE", sessionPath, "", cookie, csrfHeader, csrf)
	if rec.Code != 204 || !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign-out: %d %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
}

func TestSessionRefusals(t *testing.T) {
	s, tok := newTestServer(t)
	cases := []struct {
		name, body, ctype string
		status            int
		msg               string
	}{
		{"form post", "key=" + tok, "application/x-www-form-urlencoded", 415, "application/json"},
		{"text/plain", `{"key":"` + tok + `"}`, "text/plain", 415, "application/json"},
		{"no key", `{}`, "application/json", 400, "key:"},
		{"unknown field", `{"token":"x"}`, "application/json", 400, "unknown field"},
		{"bad key", `{"key":"trawl_key_aaaaaaaaaaaaaaaa_bbbb"}`, "application/json", 401, "invalid, expired or revoked"},
	}
	for _, c := range cases {
		rec := uiCall(t, s, "POST", sessionPath, c.body, "", "Content-Type", c.ctype)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.msg) {
			t.Errorf("%s: %d %s, want %d mentioning %q", c.name, rec.Code, rec.Body, c.status, c.msg)
		}
	}
	cookie, _ := signInFor(t, s, tok)
	parts := strings.Split(cookie, ".")
	forged := []string{
		"", "garbage", "v1.x.y.z",
		strings.Join([]string{parts[0], parts[1], "9999999999", parts[3]}, "."), // later expiry, old MAC
		strings.Join([]string{parts[0], "key_aaaaaaaaaaaaaaaa", parts[2], parts[3]}, "."),
		cookie + "x",
	}
	for _, f := range forged {
		if rec := uiCall(t, s, "GET", "/api/v1/whoami", "", f); rec.Code != 401 {
			t.Errorf("cookie %q: %d, want 401", f, rec.Code)
		}
	}
	if rec := uiCall(t, s, "GET", sessionPath, "", ""); rec.Code != 401 || !strings.Contains(rec.Body.String(), "sign in") {
		t.Errorf("GET session without one: %d %s", rec.Code, rec.Body)
	}
}

func TestSessionEndsWithItsKey(t *testing.T) {
	s, tok := newTestServer(t)
	now := time.Now()
	s.opts.Now = func() time.Time { return now }
	cookie, _ := signInFor(t, s, tok)
	if rec := uiCall(t, s, "GET", "/api/v1/whoami", "", cookie); rec.Code != 200 {
		t.Fatalf("fresh session: %d", rec.Code)
	}
	// Expiry.
	now = now.Add(DefaultSessionTTL + time.Second)
	if rec := uiCall(t, s, "GET", "/api/v1/whoami", "", cookie); rec.Code != 401 {
		t.Fatalf("expired session: %d", rec.Code)
	}
	now = time.Now()
	cookie, _ = signInFor(t, s, tok)
	// A second replica sharing the store (same secret) accepts the cookie;
	// one with another secret does not.
	other := New(Options{Identity: s.opts.Identity, Now: s.opts.Now})
	if rec := uiCall(t, other, "GET", "/api/v1/whoami", "", cookie); rec.Code != 200 {
		t.Fatalf("replica: %d %s", rec.Code, rec.Body)
	}
	salted := New(Options{Identity: s.opts.Identity, Now: s.opts.Now, SessionSecret: []byte("another secret")})
	if rec := uiCall(t, salted, "GET", "/api/v1/whoami", "", cookie); rec.Code != 401 {
		t.Fatalf("replica with another secret: %d", rec.Code)
	}
	// Revoking the key ends the session on every replica at once.
	p, err := s.id.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.id.Store().RevokeKey(context.Background(), p.KeyID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if rec := uiCall(t, s, "GET", "/api/v1/whoami", "", cookie); rec.Code != 401 {
		t.Fatalf("session of a revoked key: %d", rec.Code)
	}
}

func TestUIPages(t *testing.T) {
	s, _ := newTestServer(t)
	rec := uiCall(t, s, "GET", "/", "", "")
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != uiPrefix {
		t.Fatalf("/: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, p := range []string{"/ui/", "/ui/address/bc1qxyz", "/ui/intel/x/y"} {
		rec := uiCall(t, s, "GET", p, "", "")
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %d %q", p, rec.Code, rec.Header())
		}
	}
	missing := []string{"/api/v1/nope"}
	if _, built := webui.App(); built {
		missing = append(missing, "/ui/assets/nope.js", "/ui/nope.png")
	} else if rec := uiCall(t, s, "GET", "/ui/assets/nope.js", "", ""); !strings.Contains(rec.Body.String(), "make ui") {
		t.Errorf("without the app every UI address shows the fallback page: %s", rec.Body)
	}
	for _, p := range missing {
		rec := uiCall(t, s, "GET", p, "", "")
		if rec.Code != 404 || !strings.Contains(rec.Body.String(), `"code":"not_found"`) {
			t.Errorf("%s: %d %s", p, rec.Code, rec.Body)
		}
	}
}
