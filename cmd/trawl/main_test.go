package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func noEnv(string) (string, bool) { return "", false }

// cli runs one trawl command in-process.
func cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb syncBuffer
	m := &Main{Stdout: &out, Stderr: &errb, LookupEnv: noEnv}
	code = m.Run(context.Background(), args)
	return out.String(), errb.String(), code
}

// mustJSON runs a command with --json and decodes its output.
func mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, errOut, code := cli(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("trawl %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("trawl %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

type instance struct {
	url    string
	stop   context.CancelFunc
	done   chan int
	stderr *syncBuffer
	stdout *syncBuffer
}

// start runs `trawl <args> --listen 127.0.0.1:0` until the test ends.
func start(t *testing.T, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{stop: cancel, done: make(chan int, 1), stderr: &syncBuffer{}, stdout: &syncBuffer{}}
	urlc := make(chan string, 1)
	m := &Main{Stdout: in.stdout, Stderr: in.stderr, LookupEnv: noEnv, Listening: func(u string) { urlc <- u }}
	go func() { in.done <- m.Run(ctx, append(args, "--listen", "127.0.0.1:0")) }()
	select {
	case in.url = <-urlc:
	case code := <-in.done:
		t.Fatalf("trawl %v exited %d before listening: %s", args, code, in.stderr.String())
	case <-time.After(120 * time.Second): // the demo simulates, indexes and traces first
		t.Fatal("server did not start in 120s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			t.Error("server did not stop in 30s")
		}
	})
	return in
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errCode returns the error.code of a JSON error body.
func (r response) errCode(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil || e["message"] == "" {
		t.Fatalf("not an error body with a message: %s", r.body)
	}
	return e["code"].(string)
}

func do(t *testing.T, client *http.Client, method, url, key string, body io.Reader, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

type createdKey struct {
	Key struct {
		ID string `json:"id"`
	} `json:"key"`
	Token string `json:"token"`
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
