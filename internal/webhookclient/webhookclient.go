// Package webhookclient posts webhook deliveries over HTTP: bounded time,
// no redirects followed (a 3xx is a failure), only a short excerpt of the
// answer read, nothing of the request logged.
package webhookclient

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/webhook"
)

// Sender is a webhook.Sender over net/http.
type Sender struct{ c *http.Client }

var _ webhook.Sender = (*Sender)(nil)

// New returns a Sender whose requests take at most timeout (default 10 s).
// Unless allowPrivate, it refuses to connect to loopback, private,
// link-local and unspecified addresses (checked on the address dialled,
// after DNS), so that a registered URL cannot make the hub post into its
// own network.
func New(timeout time.Duration, allowPrivate bool) *Sender {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !public(ip) {
				return fmt.Errorf("webhookclient: %s is not a public address; deliveries go only to public endpoints", host)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would hide the address dialled
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{c: &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// A receiver that redirects could send signed content elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func public(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT
}

// MaxExcerpt is how much of an answer is read and kept.
const MaxExcerpt = 256

// Send posts body to url with header.
func (s *Sender) Send(ctx context.Context, url string, header map[string]string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.c.Do(req)
	if err != nil {
		return 0, "", scrub(err, url)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, MaxExcerpt))
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10)) // reuse the connection when the rest is short
	ex := strings.ToValidUTF8(string(b), "")
	for !utf8.ValidString(ex) {
		ex = ex[:len(ex)-1]
	}
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		ex = "redirect refused (" + res.Header.Get("Location") + ")"
	}
	return res.StatusCode, ex, nil
}

// scrub keeps the URL's query (which may carry a receiver's token) out of
// errors that end in logs and in the endpoint's last error.
func scrub(err error, url string) error {
	if i := strings.IndexAny(url, "?"); i >= 0 {
		return &scrubbed{msg: strings.ReplaceAll(err.Error(), url, url[:i]+"?…")}
	}
	return err
}

type scrubbed struct{ msg string }

func (e *scrubbed) Error() string { return e.msg }
