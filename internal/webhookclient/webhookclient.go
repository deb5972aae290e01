// Package webhookclient posts webhook deliveries over HTTP: bounded time,
// no redirects followed (a 3xx is a failure), only a short excerpt of the
// answer read, nothing of the request logged.
package webhookclient

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/webhook"
)

// Sender is a webhook.Sender over net/http.
type Sender struct{ c *http.Client }

var _ webhook.Sender = (*Sender)(nil)

// New returns a Sender whose requests take at most timeout (default 10 s).
func New(timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
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
