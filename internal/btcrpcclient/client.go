package btcrpcclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// MaxBlockSize is the largest serialized block accepted, as for block files:
// the consensus weight limit makes 4,000,000 bytes the most a block can be.
const MaxBlockSize = 4 << 20

// maxHeight bounds heights: the index numbers them in 31 bits.
const maxHeight = 1<<31 - 1

// Limits on the bytes of an answer, by what was asked.
const (
	smallAnswer   = 64 << 10                // counts, hashes, chain info
	rawAnswer     = 2*MaxBlockSize + 64<<10 // a block in hex
	verboseAnswer = 256 << 20               // a block as JSON, prevouts included
)

// Config says how to reach a node.
type Config struct {
	// URL of the node's RPC server: http://127.0.0.1:8332/ for Core,
	// http://127.0.0.1:8334/ for btcd with --notls, https:// for btcd with
	// TLS. A user and password in the URL are taken out of it.
	URL string
	// User and Pass are sent with HTTP Basic authentication.
	User, Pass string
	// Workers is how many blocks are requested at once (default 4; Core
	// serves 4 RPC threads by default, btcd 10 clients).
	Workers int
	// Timeout bounds one request (default 2 minutes).
	Timeout time.Duration
	// HTTP, if set, is the client to use (its Timeout is left as it is).
	HTTP *http.Client
}

// Client is a JSON-RPC client of one node. It is safe for concurrent use.
type Client struct {
	url        string // without user information
	name       string // scheme://host:port, for messages
	user, pass string
	hc         *http.Client
	workers    int
	id         atomic.Uint64
}

// New checks cfg and returns a client. It does not contact the node.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, errs.E(errs.Invalid, "btcrpcclient: the node's RPC URL must be http://HOST:PORT/ or https://HOST:PORT/")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errs.E(errs.Invalid, "btcrpcclient: the node's RPC URL takes no query or fragment")
	}
	c := &Client{user: cfg.User, pass: cfg.Pass, workers: cfg.Workers}
	if u.User != nil {
		if c.user == "" {
			c.user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && c.pass == "" {
			c.pass = p
		}
		u.User = nil
	}
	if _, port, err := net.SplitHostPort(u.Host); err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 1 || n > 65535 {
			return nil, errs.E(errs.Invalid, "btcrpcclient: bad port %q in the node's RPC URL", port)
		}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	c.url = u.String()
	c.name = u.Scheme + "://" + u.Host
	if c.workers <= 0 {
		c.workers = 4
	}
	c.workers = min(c.workers, 64)
	c.hc = cfg.HTTP
	if c.hc == nil {
		t := cfg.Timeout
		if t <= 0 {
			t = 2 * time.Minute
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = c.workers + 2
		c.hc = &http.Client{Timeout: t, Transport: tr}
	}
	return c, nil
}

// String names the node (no credentials).
func (c *Client) String() string { return c.name }

// RPCError is an error the node answered with.
type RPCError struct {
	Method  string
	Code    int
	Message string
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("%s: node error %d: %s", e.Method, e.Code, e.Message)
}

// RPC error codes both nodes use.
const (
	codeMethodNotFound = -32601
	codeInvalidParam   = -8 // Core: "Block height out of range"; btcd: invalid parameter
	codeOutOfRange     = -1 // btcd: "Block number out of range"
	codeBlockNotFound  = -5
)

// Bitcoin Core's answers that need words of their own.
const (
	// codeInWarmup is RPC_IN_WARMUP: "Loading block index…", "Verifying
	// blocks…", "Rewinding blocks…" while Core starts.
	codeInWarmup = -28
	// codeMisc is RPC_MISC_ERROR, which getblock answers for a block whose
	// data Core pruned ("Block not available (pruned data)") or has not yet
	// downloaded ("Block not found on disk").
	codeMisc = -1
)

// nodeErr turns the node's answers that say what to do into errors that
// say it; others stay *RPCError (which the wrapped errors keep as cause).
func (c *Client) nodeErr(e *RPCError) error {
	msg := strings.ToLower(e.Message)
	switch {
	case e.Code == codeInWarmup:
		return errs.Wrap(errs.Unavailable, e, "btcrpcclient: %s is still starting up (%q); it answers once it has loaded its chain", c.name, e.Message)
	case e.Code == codeMisc && strings.Contains(msg, "pruned"):
		return errs.Wrap(errs.Invalid, e, "btcrpcclient: %s pruned a block the index needs (%q): the index needs every block from the first; "+
			"use a node with prune=0, or index its block files with --blocks", c.name, e.Message)
	case e.Code == codeMisc && strings.Contains(msg, "not found on disk"):
		return errs.Wrap(errs.Unavailable, e, "btcrpcclient: %s has not yet downloaded a block it announced (%q)", c.name, e.Message)
	}
	return e
}

// badAnswer is the error for an answer that fails validation.
func (c *Client) badAnswer(method, format string, args ...any) error {
	return errs.E(errs.Invalid, "btcrpcclient: %s answered %s with %s", c.name, method, fmt.Sprintf(format, args...))
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type envelope struct {
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
	ID     json.RawMessage `json:"id"`
}

type rpcErrorBody struct {
	Code    *int   `json:"code"`
	Message string `json:"message"`
}

// Call sends any request and returns its result as the node gave it, JSON
// null included (invalidateblock answers null). Errors are as for the
// other methods: *RPCError for the node's own.
func (c *Client) Call(ctx context.Context, method string, params ...any) (json.RawMessage, error) {
	if params == nil {
		params = []any{}
	}
	return c.callLimit(ctx, method, params, verboseAnswer, true)
}

// call sends one request and returns its result, checked to be present
// and not JSON null. limit bounds the answer's bytes.
func (c *Client) call(ctx context.Context, method string, params []any, limit int64) (json.RawMessage, error) {
	return c.callLimit(ctx, method, params, limit, false)
}

func (c *Client) callLimit(ctx context.Context, method string, params []any, limit int64, null bool) (json.RawMessage, error) {
	id := c.id.Add(1)
	body, err := json.Marshal(request{JSONRPC: "1.0", ID: id, Method: method, Params: params})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcrpcclient: encode %s", method)
	}
	var b []byte
	for attempt := 0; ; attempt++ {
		var status int
		b, status, err = c.post(ctx, method, body, limit)
		if err != nil {
			return nil, err
		}
		if status != http.StatusServiceUnavailable || attempt == 4 {
			if err := c.checkStatus(method, status, b); err != nil {
				return nil, err
			}
			break
		}
		// Core's work queue is full: wait and ask again.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
		}
	}
	return c.parseEnvelope(method, id, b, null)
}

func (c *Client) post(ctx context.Context, method string, body []byte, limit int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, errs.Wrap(errs.Internal, err, "btcrpcclient: request")
	}
	req.Header.Set("Content-Type", "application/json")
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		// The error names the URL, which carries no credentials.
		return nil, 0, errs.Wrap(errs.Unavailable, err, "btcrpcclient: %s: %s", c.name, method)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		return nil, 0, errs.Wrap(errs.Unavailable, err, "btcrpcclient: %s: reading the answer to %s", c.name, method)
	}
	if int64(len(b)) > limit {
		return nil, 0, errs.E(errs.TooLarge, "btcrpcclient: %s answered %s with more than %d bytes", c.name, method, limit)
	}
	return b, resp.StatusCode, nil
}

// checkStatus turns HTTP statuses without a JSON-RPC answer into errors.
// Core answers RPC errors with 404 or 500 and a JSON body; btcd with 200.
func (c *Client) checkStatus(method string, status int, b []byte) error {
	switch {
	case status == http.StatusOK:
		return nil
	case status == http.StatusUnauthorized:
		return errs.E(errs.Unauthorized, "btcrpcclient: %s refused the RPC user and password", c.name)
	case status == http.StatusForbidden:
		return errs.E(errs.Forbidden, "btcrpcclient: %s refused the connection (is this host allowed to use its RPC?)", c.name)
	case status == http.StatusServiceUnavailable:
		return errs.E(errs.Unavailable, "btcrpcclient: %s stayed busy (RPC work queue full) for %s", c.name, method)
	case (status == http.StatusNotFound || status == http.StatusInternalServerError || status == http.StatusBadRequest) &&
		len(bytes.TrimSpace(b)) > 0 && bytes.TrimSpace(b)[0] == '{':
		return nil // a JSON-RPC error; parseEnvelope reports it
	}
	return errs.E(errs.Unavailable, "btcrpcclient: %s answered %s with HTTP %d", c.name, method, status)
}

func (c *Client) parseEnvelope(method string, id uint64, b []byte, null bool) (json.RawMessage, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, c.badAnswer(method, "no JSON-RPC answer (%v)", err)
	}
	if got, err := strconv.ParseUint(string(env.ID), 10, 64); err != nil || got != id {
		return nil, c.badAnswer(method, "the id %.40s, not %d", env.ID, id)
	}
	if len(env.Error) > 0 && string(env.Error) != "null" {
		var e rpcErrorBody
		if err := json.Unmarshal(env.Error, &e); err != nil || e.Code == nil {
			return nil, c.badAnswer(method, "an error that is not {code, message}")
		}
		return nil, c.nodeErr(&RPCError{Method: method, Code: *e.Code, Message: truncate(e.Message, 200)})
	}
	if len(env.Result) == 0 && null {
		return json.RawMessage("null"), nil
	}
	if len(env.Result) == 0 || (string(env.Result) == "null" && !null) {
		return nil, c.badAnswer(method, "no result")
	}
	return env.Result, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// nodeError reports whether err is the node's answer with one of codes.
func nodeError(err error, codes ...int) bool {
	var e *RPCError
	if !errors.As(err, &e) {
		return false
	}
	for _, c := range codes {
		if e.Code == c {
			return true
		}
	}
	return false
}
