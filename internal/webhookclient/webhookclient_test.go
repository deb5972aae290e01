package webhookclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSender(t *testing.T) {
	ctx := context.Background()
	var hits atomic.Int64 // the slow handler still runs after its client gave up
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
		case "/slow":
			time.Sleep(2 * time.Second)
		case "/big":
			w.WriteHeader(500)
			w.Write([]byte(strings.Repeat("x", 100_000)))
		default:
			if r.Header.Get("X-Test") != "1" {
				w.WriteHeader(400)
			}
		}
	}))
	defer srv.Close()
	s := New(time.Second, true)
	if st, _, err := s.Send(ctx, srv.URL+"/ok", map[string]string{"X-Test": "1"}, []byte("{}")); err != nil || st != 200 {
		t.Fatalf("ok: %d %v", st, err)
	}
	if st, ex, err := s.Send(ctx, srv.URL+"/redirect", nil, nil); err != nil || st != 307 || !strings.Contains(ex, "redirect refused") {
		t.Fatalf("redirect: %d %q %v", st, ex, err)
	}
	if hits.Load() != 2 {
		t.Fatalf("the redirect was followed: %d requests", hits.Load())
	}
	if st, ex, err := s.Send(ctx, srv.URL+"/big", nil, nil); err != nil || st != 500 || len(ex) > MaxExcerpt {
		t.Fatalf("big answer: %d, %d bytes kept, %v", st, len(ex), err)
	}
	if _, _, err := s.Send(ctx, srv.URL+"/slow?token=s3cret", nil, nil); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("slow: %v", err)
	}
	// Without allowPrivate, loopback is refused before anything is sent.
	before := hits.Load()
	if _, _, err := New(time.Second, false).Send(ctx, srv.URL+"/ok", nil, nil); err == nil || !strings.Contains(err.Error(), "not a public address") || hits.Load() != before {
		t.Fatalf("loopback without allowPrivate: %v (hits %d -> %d)", err, before, hits.Load())
	}
	for addr, want := range map[string]bool{"8.8.8.8": true, "127.0.0.1": false, "10.1.2.3": false, "192.168.0.1": false, "169.254.169.254": false, "::1": false, "fd00::1": false, "100.64.0.1": false, "0.0.0.0": false, "::ffff:127.0.0.1": false, "2001:4860:4860::8888": true} {
		if got := public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("public(%s) = %v", addr, got)
		}
	}
}
