// Package taxiiclient pulls from and pushes to any TAXII 2.1 server.
//
// Pulling is resumable: the State after each page (the added_after to ask
// from, the objects already seen at that instant, and the pending next
// token) can be saved and handed back. Servers differ in whether added_after
// is exclusive (as the specification says) or inclusive; the client keeps
// the ids and versions delivered at the boundary instant and drops repeats,
// and stops with an error instead of looping when a server makes no progress.
package taxiiclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MediaTAXII is the TAXII 2.1 media type.
const MediaTAXII = "application/taxii+json;version=2.1"

// Client talks to one API root.
type Client struct {
	APIRoot string // e.g. https://hub.example/taxii2/hub/
	Key     string // sent as Bearer (Basic when BasicUser is set)
	// BasicUser, if set, sends HTTP Basic with this user and Key as password.
	BasicUser string
	HTTP      *http.Client
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string { return fmt.Sprintf("taxii server answered %d: %s", e.Status, e.Body) }

func (c *Client) do(ctx context.Context, method, u string, body []byte, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", MediaTAXII)
	if body != nil {
		req.Header.Set("Content-Type", MediaTAXII)
	}
	if c.Key != "" {
		if c.BasicUser != "" {
			req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.BasicUser+":"+c.Key)))
		} else {
			req.Header.Set("Authorization", "Bearer "+c.Key)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<30))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return resp.Header, &Error{Status: resp.StatusCode, Body: strings.TrimSpace(string(b[:min(len(b), 2000)]))}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("taxiiclient: %s %s: the answer is not JSON: %w", method, u, err)
		}
	}
	return resp.Header, nil
}

func (c *Client) collectionURL(collection, suffix string) string {
	return strings.TrimSuffix(c.APIRoot, "/") + "/collections/" + url.PathEscape(collection) + "/" + suffix
}

// MaxContentLength reads the API root's limit on request bodies (0: none stated).
func (c *Client) MaxContentLength(ctx context.Context) (int64, error) {
	var root struct {
		MaxContentLength int64 `json:"max_content_length"`
	}
	_, err := c.do(ctx, "GET", strings.TrimSuffix(c.APIRoot, "/")+"/", nil, &root)
	return root.MaxContentLength, err
}

// State is where a pull stands; save it to resume.
type State struct {
	AddedAfter string          `json:"added_after,omitempty"` // as the server wrote it
	Seen       map[string]bool `json:"seen,omitempty"`        // id|modified delivered at AddedAfter
	Next       string          `json:"next,omitempty"`        // a pending next token
	NextAfter  string          `json:"next_added_after,omitempty"`
}

type envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next"`
	Objects []json.RawMessage `json:"objects"`
}

func objectKey(raw json.RawMessage) string {
	var o struct{ ID, Modified, Created string }
	json.Unmarshal(raw, &o)
	v := o.Modified
	if v == "" {
		v = o.Created
	}
	return o.ID + "|" + v
}

// Pull reads the collection from where st stands, calling deliver with each
// page's new objects and the state after it (save it to resume). It returns
// when the server has nothing more.
func (c *Client) Pull(ctx context.Context, collection string, limit int, st State, deliver func(objs []json.RawMessage, st State) error) (State, error) {
	if st.Seen == nil {
		st.Seen = map[string]bool{}
	}
	stalls := 0
	for {
		q := url.Values{}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		after := st.AddedAfter
		if st.Next != "" {
			q.Set("next", st.Next)
			after = st.NextAfter
		}
		if after != "" {
			q.Set("added_after", after)
		}
		var env envelope
		hdr, err := c.do(ctx, "GET", c.collectionURL(collection, "objects/")+"?"+q.Encode(), nil, &env)
		if err != nil {
			return st, err
		}
		var fresh []json.RawMessage
		pageKeys := make([]string, 0, len(env.Objects))
		for _, o := range env.Objects {
			k := objectKey(o)
			pageKeys = append(pageKeys, k)
			if !st.Seen[k] {
				fresh = append(fresh, o)
			}
		}
		// Advance the boundary to the last date_added of the page.
		if last := hdr.Get("X-TAXII-Date-Added-Last"); last != "" {
			if last != st.AddedAfter {
				if later(last, st.AddedAfter) {
					st.AddedAfter, st.Seen = last, map[string]bool{}
				}
			}
			if last == st.AddedAfter {
				// Everything of this page may sit at the boundary instant; an
				// inclusive server may send it again.
				for _, k := range pageKeys {
					st.Seen[k] = true
				}
			}
		}
		if env.More && env.Next != "" {
			if st.Next == "" {
				st.NextAfter = after
			}
			st.Next = env.Next
		} else {
			st.Next, st.NextAfter = "", ""
		}
		if err := deliver(fresh, st); err != nil {
			return st, err
		}
		if !env.More {
			return st, nil
		}
		if len(fresh) > 0 || env.Next != "" {
			stalls = 0
			continue
		}
		// No progress: the server repeats objects at the boundary instant
		// (inclusive added_after, next ignored). Ask for larger pages.
		stalls++
		if limit <= 0 {
			limit = len(env.Objects)
		}
		limit *= 2
		if stalls > 20 || limit > 1_000_000 {
			return st, fmt.Errorf("taxiiclient: the server keeps answering objects already delivered at date_added %s and ignores next; giving up instead of looping", st.AddedAfter)
		}
	}
}

func later(a, b string) bool {
	if b == "" {
		return true
	}
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	if err1 != nil || err2 != nil {
		return a > b
	}
	return ta.After(tb)
}

// Status is a TAXII status resource.
type Status struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	TotalCount   int    `json:"total_count"`
	SuccessCount int    `json:"success_count"`
	FailureCount int    `json:"failure_count"`
	PendingCount int    `json:"pending_count"`
	Failures     []struct {
		ID      string `json:"id"`
		Version string `json:"version"`
		Message string `json:"message"`
	} `json:"failures"`
}

// Push posts objects in envelopes that respect the server's
// max_content_length and batch, waits for each status to complete, and
// returns the statuses.
func (c *Client) Push(ctx context.Context, collection string, objs []json.RawMessage, batch int) ([]Status, error) {
	maxLen, err := c.MaxContentLength(ctx)
	if err != nil {
		return nil, err
	}
	if batch <= 0 {
		batch = 500
	}
	var out []Status
	for start := 0; start < len(objs); {
		end := min(start+batch, len(objs))
		body := envelopeBytes(objs[start:end])
		for maxLen > 0 && int64(len(body)) > maxLen && end-start > 1 {
			end = start + (end-start)/2
			body = envelopeBytes(objs[start:end])
		}
		if maxLen > 0 && int64(len(body)) > maxLen {
			return out, fmt.Errorf("taxiiclient: object %d alone is larger than the server's max_content_length (%d bytes)", start, maxLen)
		}
		var st Status
		if _, err := c.do(ctx, "POST", c.collectionURL(collection, "objects/"), body, &st); err != nil {
			return out, err
		}
		for st.Status == "pending" {
			select {
			case <-ctx.Done():
				return out, ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
			if _, err := c.do(ctx, "GET", strings.TrimSuffix(c.APIRoot, "/")+"/status/"+st.ID+"/", nil, &st); err != nil {
				return out, err
			}
		}
		out = append(out, st)
		start = end
	}
	return out, nil
}

func envelopeBytes(objs []json.RawMessage) []byte {
	b, _ := json.Marshal(map[string]any{"objects": objs})
	return b
}
