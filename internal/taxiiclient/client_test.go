package taxiiclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
)

// inclusiveServer is a TAXII server with the two habits the client must
// survive: added_after is inclusive, and next is ignored. All its objects
// share one date_added.
func inclusiveServer(t *testing.T, n int, calls *atomic.Int64) *httptest.Server {
	const added = "2025-02-21T14:00:00.000Z"
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if calls.Load() > 100 {
			t.Error("client loops")
			http.Error(w, "loop", 500)
			return
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if limit == 0 || limit > n {
			limit = n
		}
		var objs []json.RawMessage
		for i := range limit {
			objs = append(objs, json.RawMessage(fmt.Sprintf(`{"type":"indicator","id":"indicator--00000000-0000-4000-8000-%012d","modified":"2025-01-01T00:00:00.000Z"}`, i)))
		}
		w.Header().Set("Content-Type", MediaTAXII)
		w.Header().Set("X-TAXII-Date-Added-First", added)
		w.Header().Set("X-TAXII-Date-Added-Last", added)
		json.NewEncoder(w).Encode(map[string]any{"more": limit < n, "objects": objs})
	}))
}

func TestPullSurvivesInclusiveAddedAfter(t *testing.T) {
	var calls atomic.Int64
	srv := inclusiveServer(t, 25, &calls)
	defer srv.Close()
	c := &Client{APIRoot: srv.URL + "/taxii2/x/"}
	got := map[string]int{}
	st, err := c.Pull(context.Background(), "c1", 10, State{}, func(objs []json.RawMessage, st State) error {
		for _, o := range objs {
			got[objectKey(o)]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 25 {
		t.Fatalf("got %d distinct objects, want 25", len(got))
	}
	for k, n := range got {
		if n != 1 {
			t.Fatalf("%s delivered %d times", k, n)
		}
	}
	if st.AddedAfter != "2025-02-21T14:00:00.000Z" || len(st.Seen) != 25 {
		t.Fatalf("state: %+v", st)
	}
	// Resuming from the saved state delivers nothing again.
	again := 0
	if _, err := c.Pull(context.Background(), "c1", 100, st, func(objs []json.RawMessage, _ State) error { again += len(objs); return nil }); err != nil || again != 0 {
		t.Fatalf("resume: %d objects again, %v", again, err)
	}
}

func TestErrorsCarryStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Basic dTpzM2NyZXQ=" {
			w.WriteHeader(401)
			w.Write([]byte(`{"title":"Unauthorized"}`))
			return
		}
		w.Write([]byte(`{"max_content_length": 10}`))
	}))
	defer srv.Close()
	c := &Client{APIRoot: srv.URL + "/root/", Key: "wrong"}
	_, err := c.MaxContentLength(context.Background())
	if e, ok := err.(*Error); !ok || e.Status != 401 {
		t.Fatalf("err = %v", err)
	}
	c = &Client{APIRoot: srv.URL + "/root/", Key: "s3cret", BasicUser: "u"}
	if n, err := c.MaxContentLength(context.Background()); err != nil || n != 10 {
		t.Fatalf("basic: %d %v", n, err)
	}
	// An object larger than max_content_length is refused before sending.
	_, err = c.Push(context.Background(), "c", []json.RawMessage{json.RawMessage(`{"type":"indicator","id":"x"}`)}, 10)
	if err == nil {
		t.Fatal("push of an object over the limit succeeded")
	}
}
