package webhook

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify: a receiver's check never panics and accepts only what Sign
// made with the same secret, body and a timestamp near now.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_740_000_000, 0)
	f.Add("whsec_a", "1740000000", Sign("whsec_a", now, []byte(`{"a":1}`)), []byte(`{"a":1}`))
	f.Add("whsec_a", "-1", "sha256=00", []byte{})
	f.Add("", "99999999999999999999", "", []byte("x"))
	f.Fuzz(func(t *testing.T, secret, ts, sig string, body []byte) {
		err := Verify(secret, ts, sig, body, now)
		if err == nil && sig != Sign(secret, parseUnix(ts), body) {
			t.Fatalf("accepted a signature Sign did not make: %q %q", ts, sig)
		}
	})
}

func parseUnix(s string) time.Time {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Unix(n, 0)
}

// FuzzValidateURL: whatever is accepted is https, or http to loopback
// with the flag, and carries no credentials.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://x.example/h", "http://127.0.0.1:8080/h", "http://[::1]/", "http://localhost/", "http://10.0.0.1/", "https://u:p@x/", "javascript:alert(1)", "//x", "https://x/#f"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, loop bool) {
		if ValidateURL(raw, loop) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.User != nil || u.Host == "" {
			t.Fatalf("accepted %q", raw)
		}
		if u.Scheme != "https" && !(loop && u.Scheme == "http" && (u.Hostname() == "localhost" || strings.EqualFold(u.Hostname(), "localhost") || net.ParseIP(u.Hostname()).IsLoopback())) {
			t.Fatalf("accepted %q (loopback allowed %v)", raw, loop)
		}
	})
}
