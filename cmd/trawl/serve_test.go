package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/pgtest"
)

// stores runs fn once on the embedded store and once on PostgreSQL; storeArgs
// are the flags that select the store.
func stores(t *testing.T, fn func(t *testing.T, storeArgs []string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, []string{"--data", t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) { fn(t, []string{"--db", pgtest.NewDatabase(t)}) })
}

func TestServeEndToEnd(t *testing.T) {
	stores(t, func(t *testing.T, sa []string) {
		var hub, ex struct {
			ID string `json:"id"`
		}
		mustJSON(t, &hub, append([]string{"admin", "org", "create", "hub", "--operator", "--title", "Hub"}, sa...)...)
		mustJSON(t, &ex, append([]string{"admin", "org", "create", "exchange"}, sa...)...)
		var admin, reader, exAdmin createdKey
		mustJSON(t, &admin, append([]string{"admin", "key", "create", "--org", "hub", "--role", "admin"}, sa...)...)
		mustJSON(t, &reader, append([]string{"admin", "key", "create", "--org", "hub", "--role", "reader"}, sa...)...)
		mustJSON(t, &exAdmin, append([]string{"admin", "key", "create", "--org", "exchange", "--role", "admin"}, sa...)...)

		in := start(t, append([]string{"serve", "--key-cache-ttl", "0s", "--max-body", "4096"}, sa...)...)
		u := in.url

		// Probes and metrics need no key.
		if r := do(t, nil, "GET", u+"/healthz", "", nil); r.status != 200 {
			t.Fatalf("healthz: %d", r.status)
		}
		if r := do(t, nil, "GET", u+"/readyz", "", nil); r.status != 200 {
			t.Fatalf("readyz: %d %s", r.status, r.body)
		}

		// 401: who are you.
		r := do(t, nil, "GET", u+"/api/v1/whoami", "", nil)
		if r.status != 401 || r.errCode(t) != "unauthorized" || r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("no key: %d %s", r.status, r.body)
		}
		if r := do(t, nil, "GET", u+"/api/v1/whoami", "trawl_key_x_y", nil); r.status != 401 {
			t.Fatalf("bad key: %d", r.status)
		}
		r = do(t, nil, "GET", u+"/api/v1/whoami", admin.Token, nil)
		if r.status != 200 || !strings.Contains(string(r.body), `"org":"hub"`) {
			t.Fatalf("whoami: %d %s", r.status, r.body)
		}
		// HTTP Basic with the key as password, as TAXII clients send it.
		req, _ := http.NewRequest("GET", u+"/api/v1/whoami", nil)
		req.SetBasicAuth("any-user", reader.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("basic auth: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()

		// 403: known, not allowed. 404: not visible.
		r = do(t, nil, "POST", u+"/api/v1/orgs", reader.Token, strings.NewReader(`{"name":"x1"}`))
		if r.status != 403 || r.errCode(t) != "forbidden" {
			t.Fatalf("reader creates org: %d %s", r.status, r.body)
		}
		if r := do(t, nil, "GET", u+"/api/v1/orgs/hub/users", exAdmin.Token, nil); r.status != 404 {
			t.Fatalf("other org's users: %d %s", r.status, r.body)
		}
		if r := do(t, nil, "GET", u+"/api/v1/orgs/hub/keys", reader.Token, nil); r.status != 403 {
			t.Fatalf("reader lists keys of own org: %d %s", r.status, r.body)
		}
		r = do(t, nil, "GET", u+"/api/v1/orgs", exAdmin.Token, nil)
		if r.status != 200 || strings.Contains(string(r.body), `"hub"`) {
			t.Fatalf("an org admin must see only its own org: %s", r.body)
		}

		// Bad input: 4xx that names what to fix, never a 500.
		badInput := []struct {
			name, method, path, body, ctype string
			status                          int
			code, mention                   string
		}{
			{"malformed", "POST", "/api/v1/orgs", `{"name":`, "", 400, "invalid", "JSON ends early"},
			{"unknown field", "POST", "/api/v1/orgs", `{"name":"a1","colour":"red"}`, "", 400, "invalid", "unknown field"},
			{"wrong type", "POST", "/api/v1/orgs", `{"name":7}`, "", 400, "invalid", "must be string, not number"},
			{"bad name", "POST", "/api/v1/orgs", `{"name":"Bad Name"}`, "", 400, "invalid", "organization name"},
			{"trailing", "POST", "/api/v1/orgs", `{"name":"a2"} {}`, "", 400, "invalid", "after the JSON object"},
			{"media type", "POST", "/api/v1/orgs", `name=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "application/json"},
			{"too large", "POST", "/api/v1/orgs", `{"title":"` + strings.Repeat("x", 5000) + `"}`, "", 413, "too_large", "4096"},
			{"bad role", "POST", "/api/v1/orgs/hub/keys", `{"role":"god"}`, "", 400, "invalid", "unknown role"},
			{"bad expiry", "POST", "/api/v1/orgs/hub/keys", `{"role":"reader","expires_in":"soon"}`, "", 400, "invalid", "expires_in"},
			{"duplicate", "POST", "/api/v1/orgs", `{"name":"exchange"}`, "", 409, "conflict", "exists"},
			{"no route", "GET", "/api/v1/nothing", "", "", 404, "not_found", "/api/v1/nothing"},
			{"method", "PUT", "/api/v1/orgs", "", "", 405, "method_not_allowed", "GET"},
		}
		for _, c := range badInput {
			var body io.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			}
			hdr := []string{}
			if c.ctype != "" {
				hdr = []string{"Content-Type", c.ctype}
			}
			r := do(t, nil, c.method, u+c.path, admin.Token, body, hdr...)
			if r.status != c.status || r.errCode(t) != c.code || !strings.Contains(string(r.body), c.mention) {
				t.Errorf("%s: got %d %s; want %d %s mentioning %q", c.name, r.status, r.body, c.status, c.code, c.mention)
			}
		}

		// Admin over REST: create a user and a key for them, then revoke it.
		if r := do(t, nil, "POST", u+"/api/v1/orgs/exchange/users", admin.Token, strings.NewReader(`{"email":"co@ex.example","role":"analyst"}`)); r.status != 201 {
			t.Fatalf("create user: %d %s", r.status, r.body)
		}
		r = do(t, nil, "POST", u+"/api/v1/orgs/exchange/keys", exAdmin.Token, strings.NewReader(`{"role":"reader","user":"co@ex.example","expires_in":"24h"}`))
		if r.status != 201 || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("create key: %d %s", r.status, r.body)
		}
		tok := r.json(t)["token"].(string)
		id := r.json(t)["key"].(map[string]any)["id"].(string)
		if r := do(t, nil, "GET", u+"/api/v1/whoami", tok, nil); r.status != 200 {
			t.Fatalf("new key: %d", r.status)
		}
		if r := do(t, nil, "DELETE", u+"/api/v1/keys/"+id, reader.Token, nil); r.status != 404 {
			t.Fatalf("another org's reader revokes: %d (want 404)", r.status)
		}
		if r := do(t, nil, "DELETE", u+"/api/v1/keys/"+id, exAdmin.Token, nil); r.status != 204 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := do(t, nil, "GET", u+"/api/v1/whoami", tok, nil); r.status != 401 {
			t.Fatalf("revoked key still works: %d", r.status)
		}
		// Revocation from the CLI reaches the running server.
		if _, e, code := cli(t, append([]string{"admin", "key", "revoke", reader.Key.ID}, sa...)...); code != 0 {
			t.Fatalf("cli revoke: %s", e)
		}
		if r := do(t, nil, "GET", u+"/api/v1/whoami", reader.Token, nil); r.status != 401 {
			t.Fatalf("key revoked by the CLI still works: %d", r.status)
		}

		// Metrics saw the traffic; the access log names routes, never keys.
		r = do(t, nil, "GET", u+"/metrics", "", nil)
		if r.status != 200 || !strings.Contains(string(r.body), `trawl_http_requests_total{code="401",method="GET",route="GET /api/v1/whoami"}`) {
			t.Fatalf("metrics: %d\n%s", r.status, r.body)
		}
		logs := in.stderr.String()
		if !strings.Contains(logs, "route=\"GET /api/v1/whoami\"") {
			t.Fatalf("no access log line for whoami in:\n%s", logs)
		}
		for _, secret := range []string{admin.Token, reader.Token, exAdmin.Token, tok} {
			if strings.Contains(logs, secret) || strings.Contains(logs, secret[len(secret)-52:]) {
				t.Fatal("a key secret appears in the logs")
			}
		}
	})
}

func TestRateLimitPerKey(t *testing.T) {
	dir := t.TempDir()
	var a, b createdKey
	cli(t, "admin", "org", "create", "alpha", "--data", dir)
	mustJSON(t, &a, "admin", "key", "create", "--org", "alpha", "--role", "reader", "--data", dir)
	mustJSON(t, &b, "admin", "key", "create", "--org", "alpha", "--role", "reader", "--data", dir)
	in := start(t, "serve", "--data", dir, "--rate-limit", "0.05", "--rate-burst", "3")
	for i := range 3 {
		if r := do(t, nil, "GET", in.url+"/api/v1/whoami", a.Token, nil); r.status != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.status)
		}
	}
	r := do(t, nil, "GET", in.url+"/api/v1/whoami", a.Token, nil)
	if r.status != 429 || r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d %v %s", r.status, r.header, r.body)
	}
	// Another key has its own budget; probes are never limited.
	if r := do(t, nil, "GET", in.url+"/api/v1/whoami", b.Token, nil); r.status != 200 {
		t.Fatalf("second key: %d", r.status)
	}
	for range 10 {
		if r := do(t, nil, "GET", in.url+"/healthz", "", nil); r.status != 200 {
			t.Fatalf("healthz limited: %d", r.status)
		}
	}
	// Guessing keys is limited per client address.
	var limited bool
	for range 10 {
		if r := do(t, nil, "GET", in.url+"/api/v1/whoami", "trawl_key_aaaaaaaaaaaaaaaa_guess", nil); r.status == 429 {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("10 bad keys from one address were never rate limited")
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	dir := t.TempDir()
	var k createdKey
	cli(t, "admin", "org", "create", "hub", "--operator", "--data", dir)
	mustJSON(t, &k, "admin", "key", "create", "--org", "hub", "--role", "admin", "--data", dir)
	in := start(t, "serve", "--data", dir)

	pr, pw := io.Pipe()
	result := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("POST", in.url+"/api/v1/orgs", pr)
		req.Header.Set("Authorization", "Bearer "+k.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- response{status: -1, body: []byte(err.Error())}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		result <- response{status: resp.StatusCode, body: b}
	}()
	pw.Write([]byte(`{"name":"late`)) // the request is now in flight
	time.Sleep(200 * time.Millisecond)
	in.stop() // as SIGTERM does
	time.Sleep(200 * time.Millisecond)
	// New connections are refused while the old request finishes.
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(in.url, "http://"), time.Second); err == nil {
		t.Error("server still accepts connections during shutdown")
	}
	pw.Write([]byte(`-org"}`))
	pw.Close()
	r := <-result
	if r.status != 201 {
		t.Fatalf("in-flight request during shutdown: %d %s", r.status, r.body)
	}
	if code := <-in.done; code != 0 {
		t.Fatalf("exit %d: %s", code, in.stderr.String())
	}
	in.done <- 0 // for the cleanup
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	in := start(t, "serve", "--data", dir, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(in.url, "https://") {
		t.Fatalf("url %s", in.url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if r := do(t, client, "GET", in.url+"/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz over TLS: %d", r.status)
	}
	if _, err := http.Get(strings.Replace(in.url, "https", "http", 1) + "/healthz"); err == nil {
		// Go's server answers plain HTTP on a TLS port with a 400; either way no data.
		t.Log("plain HTTP on the TLS port was answered with an error status")
	}
}

func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "trawl test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestReplicasSharePostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var k createdKey
	cli(t, "admin", "org", "create", "hub", "--operator", "--db", dsn)
	mustJSON(t, &k, "admin", "key", "create", "--org", "hub", "--role", "admin", "--db", dsn)
	a := start(t, "serve", "--db", dsn, "--key-cache-ttl", "200ms")
	b := start(t, "serve", "--db", dsn, "--key-cache-ttl", "200ms")
	// A key made through replica A works on replica B.
	r := do(t, nil, "POST", a.url+"/api/v1/orgs/hub/keys", k.Token, strings.NewReader(`{"role":"analyst"}`))
	if r.status != 201 {
		t.Fatalf("create on A: %d %s", r.status, r.body)
	}
	tok, id := r.json(t)["token"].(string), r.json(t)["key"].(map[string]any)["id"].(string)
	if r := do(t, nil, "GET", b.url+"/api/v1/whoami", tok, nil); r.status != 200 {
		t.Fatalf("key from A on B: %d", r.status)
	}
	// Revoked on A: B refuses it once its cache entry expires.
	if r := do(t, nil, "DELETE", a.url+"/api/v1/keys/"+id, k.Token, nil); r.status != 204 {
		t.Fatalf("revoke on A: %d", r.status)
	}
	time.Sleep(300 * time.Millisecond)
	if r := do(t, nil, "GET", b.url+"/api/v1/whoami", tok, nil); r.status != 401 {
		t.Fatalf("revoked key on B after the cache TTL: %d", r.status)
	}
	// Both replicas see organizations created on the other.
	if r := do(t, nil, "POST", b.url+"/api/v1/orgs", k.Token, strings.NewReader(`{"name":"made-on-b"}`)); r.status != 201 {
		t.Fatalf("create org on B: %d", r.status)
	}
	if r := do(t, nil, "GET", a.url+"/api/v1/orgs/made-on-b", k.Token, nil); r.status != 200 {
		t.Fatalf("org from B on A: %d", r.status)
	}
}

func TestServeRefusesABusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, LookupEnv: noEnv}
	code := m.Run(context.Background(), []string{"serve", "--data", t.TempDir(), "--listen", l.Addr().String()})
	if code != 1 || !strings.Contains(errb.String(), "--listen") {
		t.Fatalf("exit %d, stderr %q; want 1 and a hint to use --listen", code, errb.String())
	}
}
