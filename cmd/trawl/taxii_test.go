package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

const taxiiMT = "application/taxii+json;version=2.1"

func indicatorJSON(n int, modified string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2025-02-21T00:00:00.000Z","modified":%q,"name":"TraderTraitor theft address %d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z"}`, n, modified, n, n%250)
}

func envelope(objs ...string) string { return `{"objects":[` + strings.Join(objs, ",") + `]}` }

type hubFixture struct {
	url                    string
	coll                   string
	ownerKey, otherKey     string
	readerKey, strangerKey string
}

// setupHub makes an owner org with a collection, another org granted read
// and write, and a stranger org with no grant.
func setupHub(t *testing.T, sa []string, serveArgs ...string) hubFixture {
	t.Helper()
	for _, org := range []string{"fiu", "exchange", "stranger"} {
		if _, e, code := cli(t, append([]string{"admin", "org", "create", org}, sa...)...); code != 0 {
			t.Fatal(e)
		}
	}
	var owner, other, reader, stranger createdKey
	mustJSON(t, &owner, append([]string{"admin", "key", "create", "--org", "fiu", "--role", "analyst"}, sa...)...)
	mustJSON(t, &other, append([]string{"admin", "key", "create", "--org", "exchange", "--role", "analyst"}, sa...)...)
	mustJSON(t, &reader, append([]string{"admin", "key", "create", "--org", "exchange", "--role", "reader"}, sa...)...)
	mustJSON(t, &stranger, append([]string{"admin", "key", "create", "--org", "stranger", "--role", "analyst"}, sa...)...)
	var coll struct{ ID string }
	mustJSON(t, &coll, append([]string{"admin", "collection", "create", "--title", "Lazarus indicators", "--org", "fiu", "--alias", "lazarus"}, sa...)...)
	if _, e, code := cli(t, append([]string{"admin", "collection", "grant", "lazarus", "--org", "exchange", "--read", "--write"}, sa...)...); code != 0 {
		t.Fatal(e)
	}
	in := start(t, append(append([]string{"serve"}, sa...), serveArgs...)...)
	return hubFixture{url: in.url, coll: coll.ID, ownerKey: owner.Token, otherKey: other.Token, readerKey: reader.Token, strangerKey: stranger.Token}
}

func (h hubFixture) objectsURL() string {
	return h.url + "/taxii2/hub/collections/" + h.coll + "/objects/"
}

func post(t *testing.T, url, key, body string) response {
	t.Helper()
	return do(t, nil, "POST", url, key, strings.NewReader(body), "Content-Type", taxiiMT, "Accept", taxiiMT)
}

func TestTAXIIEndToEnd(t *testing.T) {
	stores(t, func(t *testing.T, sa []string) {
		h := setupHub(t, sa, "--max-body", "200000")
		get := func(path, key string) response { return do(t, nil, "GET", h.url+path, key, nil, "Accept", taxiiMT) }

		// Discovery and API root.
		r := get("/taxii2/", "")
		if r.status != 200 || r.header.Get("Content-Type") != taxiiMT || !strings.Contains(string(r.body), "/taxii2/hub/") {
			t.Fatalf("discovery: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
		}
		r = get("/taxii2/hub/", h.ownerKey)
		if r.status != 200 || !strings.Contains(string(r.body), `"max_content_length":200000`) {
			t.Fatalf("api root: %d %s", r.status, r.body)
		}
		// Collections: can_read/can_write computed for the caller.
		r = get("/taxii2/hub/collections/", h.readerKey)
		if !strings.Contains(string(r.body), `"can_read":true,"can_write":false`) {
			t.Fatalf("reader's view: %s", r.body)
		}
		r = get("/taxii2/hub/collections/", h.strangerKey)
		if r.status != 200 || strings.Contains(string(r.body), h.coll) {
			t.Fatalf("a stranger sees the collection: %s", r.body)
		}
		// A collection you may not see is the same 404 as one that does not exist.
		missing := get("/taxii2/hub/collections/6e0d0c0a-0000-4000-8000-000000000000/", h.strangerKey)
		hidden := get("/taxii2/hub/collections/"+h.coll+"/", h.strangerKey)
		if missing.status != 404 || hidden.status != 404 || missing.json(t)["description"] == nil {
			t.Fatalf("hidden %d %s / missing %d %s", hidden.status, hidden.body, missing.status, missing.body)
		}
		if r := get("/taxii2/hub/collections/lazarus/", h.ownerKey); r.status != 200 {
			t.Fatalf("by alias: %d", r.status)
		}

		// POST: 202 with a complete status; one bad object fails alone.
		var objs []string
		for i := range 30 {
			objs = append(objs, indicatorJSON(i, "2025-02-21T00:00:00.000Z"))
		}
		bad := `{"type":"indicator","spec_version":"2.1","id":"indicator--not-a-uuid","created":"2025-02-21T00:00:00Z","modified":"2025-02-21T00:00:00Z"}`
		r = post(t, h.objectsURL(), h.ownerKey, envelope(append(objs, bad)...))
		if r.status != 202 {
			t.Fatalf("post: %d %s", r.status, r.body)
		}
		st := r.json(t)
		if st["status"] != "complete" || st["success_count"] != 30.0 || st["failure_count"] != 1.0 || !strings.Contains(string(r.body), "indicator--not-a-uuid") {
			t.Fatalf("status: %s", r.body)
		}
		// The same again is idempotent; a new version of one object is kept beside the old.
		post(t, h.objectsURL(), h.otherKey, envelope(objs[0], indicatorJSON(0, "2025-03-01T00:00:00.000Z")))
		if r := get("/taxii2/hub/status/"+st["id"].(string)+"/", h.ownerKey); r.status != 200 || r.json(t)["total_count"] != 31.0 {
			t.Fatalf("status resource: %d %s", r.status, r.body)
		}
		if r := get("/taxii2/hub/status/"+st["id"].(string)+"/", h.otherKey); r.status != 404 {
			t.Fatalf("another org reads the status: %d", r.status)
		}

		// Paging: limit/next, every object once, date_added headers.
		seen := map[string]bool{}
		next := ""
		for pages := 0; ; pages++ {
			u := h.objectsURL() + "?limit=7"
			if next != "" {
				u += "&next=" + next
			}
			r := do(t, nil, "GET", u, h.readerKey, nil, "Accept", taxiiMT)
			if r.status != 200 || r.header.Get("X-TAXII-Date-Added-First") == "" {
				t.Fatalf("page %d: %d %s", pages, r.status, r.body)
			}
			var env struct {
				More    bool
				Next    string
				Objects []map[string]any
			}
			json.Unmarshal(r.body, &env)
			for _, o := range env.Objects {
				if seen[o["id"].(string)] {
					t.Fatalf("%s twice", o["id"])
				}
				seen[o["id"].(string)] = true
			}
			if !env.More {
				break
			}
			next = env.Next
		}
		if len(seen) != 30 {
			t.Fatalf("paged %d objects, want 30", len(seen))
		}
		// A cursor cannot be replayed with other filters.
		if r := get("/taxii2/hub/collections/"+h.coll+"/objects/?limit=7&match[type]=malware&next="+next, h.readerKey); next != "" && r.status != 400 {
			t.Fatalf("cursor with other filters: %d %s", r.status, r.body)
		}

		// Versions, by id, match[version], manifest.
		id0 := "indicator--00000000-0000-4000-8000-000000000000"
		r = get("/taxii2/hub/collections/"+h.coll+"/objects/"+id0+"/versions/", h.readerKey)
		if r.status != 200 || !strings.Contains(string(r.body), `"versions":["2025-02-21T00:00:00.000Z","2025-03-01T00:00:00.000Z"]`) {
			t.Fatalf("versions: %d %s", r.status, r.body)
		}
		r = get("/taxii2/hub/collections/"+h.coll+"/objects/"+id0+"/", h.readerKey)
		if !strings.Contains(string(r.body), "2025-03-01") || strings.Contains(string(r.body), `"modified":"2025-02-21`) {
			t.Fatalf("by id returns the last version only: %s", r.body)
		}
		r = get("/taxii2/hub/collections/"+h.coll+"/objects/"+id0+"/?match[version]=all", h.readerKey)
		if strings.Count(string(r.body), `"type":"indicator"`) != 2 {
			t.Fatalf("match[version]=all: %s", r.body)
		}
		r = get("/taxii2/hub/collections/"+h.coll+"/objects/"+id0+"/?match[version]=2025-02-21T00:00:00.000Z", h.readerKey)
		if strings.Count(string(r.body), `"type":"indicator"`) != 1 || !strings.Contains(string(r.body), `"modified":"2025-02-21`) {
			t.Fatalf("match[version]=timestamp: %s", r.body)
		}
		r = get("/taxii2/hub/collections/"+h.coll+"/manifest/?limit=2&match[id]="+id0, h.readerKey)
		if r.status != 200 || !strings.Contains(string(r.body), `"media_type":"application/stix+json;version=2.1"`) {
			t.Fatalf("manifest: %d %s", r.status, r.body)
		}
		if r := get("/taxii2/hub/collections/"+h.coll+"/objects/?match[type]=malware", h.readerKey); r.status != 200 || string(r.body) != "{}\n" {
			t.Fatalf("empty result: %d %q", r.status, r.body)
		}

		// Delete: a writer from another org deletes only its own versions.
		r = do(t, nil, "DELETE", h.objectsURL()+id0+"/", h.otherKey, nil, "Accept", taxiiMT)
		if r.status != 200 {
			t.Fatalf("delete by other: %d %s", r.status, r.body)
		}
		r = get("/taxii2/hub/collections/"+h.coll+"/objects/"+id0+"/versions/", h.readerKey)
		if !strings.Contains(string(r.body), `"versions":["2025-02-21T00:00:00.000Z"]`) {
			t.Fatalf("after the other org's delete: %s", r.body)
		}
		if r := do(t, nil, "DELETE", h.objectsURL()+id0+"/", h.readerKey, nil); r.status != 403 {
			t.Fatalf("reader deletes: %d", r.status)
		}
		if r := do(t, nil, "DELETE", h.objectsURL()+id0+"/", h.ownerKey, nil); r.status != 200 {
			t.Fatalf("owner deletes: %d", r.status)
		}
		if r := get("/taxii2/hub/collections/"+h.coll+"/objects/"+id0+"/", h.readerKey); r.status != 404 {
			t.Fatalf("deleted object: %d", r.status)
		}

		// The errors TAXII clients rely on.
		errCases := []struct {
			name, method, path, key, body string
			hdr                           []string
			status                        int
		}{
			{"406", "GET", "/taxii2/hub/collections/", h.ownerKey, "", []string{"Accept", "application/json"}, 406},
			{"406 version", "GET", "/taxii2/", "", "", []string{"Accept", "application/taxii+json;version=2.0"}, 406},
			{"415", "POST", "/taxii2/hub/collections/" + h.coll + "/objects/", h.ownerKey, envelope(), []string{"Content-Type", "application/json"}, 415},
			{"413", "POST", "/taxii2/hub/collections/" + h.coll + "/objects/", h.ownerKey, envelope(strings.Repeat(objs[1]+",", 1000) + objs[1]), []string{"Content-Type", taxiiMT}, 413},
			{"401", "POST", "/taxii2/hub/collections/" + h.coll + "/objects/", "", envelope(), []string{"Content-Type", taxiiMT}, 401},
			{"401 bad key", "GET", "/taxii2/hub/collections/", "trawl_key_bad_bad", "", nil, 401},
			{"403", "POST", "/taxii2/hub/collections/" + h.coll + "/objects/", h.readerKey, envelope(), []string{"Content-Type", taxiiMT}, 403},
			{"404 stranger", "GET", "/taxii2/hub/collections/" + h.coll + "/objects/", h.strangerKey, "", nil, 404},
			{"400 filter", "GET", "/taxii2/hub/collections/" + h.coll + "/objects/?match[colour]=red", h.ownerKey, "", nil, 400},
			{"400 added_after", "GET", "/taxii2/hub/collections/" + h.coll + "/objects/?added_after=yesterday", h.ownerKey, "", nil, 400},
			{"400 not an envelope", "POST", "/taxii2/hub/collections/" + h.coll + "/objects/", h.ownerKey, `[1,2]`, []string{"Content-Type", taxiiMT}, 400},
			{"405", "PUT", "/taxii2/hub/collections/", h.ownerKey, "", nil, 405},
		}
		for _, c := range errCases {
			var body *strings.Reader
			if c.body != "" {
				body = strings.NewReader(c.body)
			} else {
				body = strings.NewReader("")
			}
			r := do(t, nil, c.method, h.url+c.path, c.key, body, c.hdr...)
			if r.status != c.status || !strings.HasPrefix(r.header.Get("Content-Type"), "application/taxii+json") {
				t.Errorf("%s: %d %s %s; want %d in TAXII's error format", c.name, r.status, r.header.Get("Content-Type"), r.body, c.status)
				continue
			}
			if m := r.json(t); m["title"] == nil || m["http_status"] != fmt.Sprint(c.status) {
				t.Errorf("%s: not a TAXII error message: %s", c.name, r.body)
			}
		}
		// HTTP Basic with the key as password, as TAXII clients send it.
		req, _ := http.NewRequest("GET", h.url+"/taxii2/hub/collections/", nil)
		req.SetBasicAuth("taxii-client", h.readerKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("basic auth: %v", err)
		}
		resp.Body.Close()
	})
}

// TestTAXIILargeEnvelopeIsQueued posts more objects than are stored inline:
// the answer comes at once as pending, and the status completes.
func TestTAXIILargeEnvelopeIsQueued(t *testing.T) {
	h := setupHub(t, []string{"--data", t.TempDir()})
	var objs []string
	for i := range 1200 {
		objs = append(objs, indicatorJSON(i, "2025-02-21T00:00:00.000Z"))
	}
	r := post(t, h.objectsURL(), h.ownerKey, envelope(objs...))
	if r.status != 202 || r.json(t)["status"] != "pending" || r.json(t)["pending_count"] != 1200.0 {
		t.Fatalf("large post: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := do(t, nil, "GET", h.url+"/taxii2/hub/status/"+id+"/", h.ownerKey, nil)
		if r.json(t)["status"] == "complete" {
			if r.json(t)["success_count"] != 1200.0 {
				t.Fatalf("complete status: %s", r.body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still pending after 30s: %s", r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTAXIIPullPushBetweenHubs federates two hubs over TAXII itself: push a
// file to hub A, pull it into hub B's collection, then pull again from the
// saved state and get nothing twice.
func TestTAXIIPullPushBetweenHubs(t *testing.T) {
	a := setupHub(t, []string{"--data", t.TempDir()})
	dir := t.TempDir()
	keyFile := dir + "/key"
	os.WriteFile(keyFile, []byte(a.ownerKey+"\n"), 0o600)
	var lines []string
	for i := range 40 {
		lines = append(lines, indicatorJSON(i, "2025-02-21T00:00:00.000Z"))
	}
	file := dir + "/objs.jsonl"
	os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	root := a.url + "/taxii2/hub/"
	var res map[string]int
	mustJSON(t, &res, "taxii", "push", root, file, "--collection", a.coll, "--key-file", keyFile, "--batch", "15")
	if res["succeeded"] != 40 || res["failed"] != 0 {
		t.Fatalf("push: %v", res)
	}

	bdata := t.TempDir()
	cli(t, "admin", "org", "create", "mirror", "--data", bdata)
	var local struct{ ID string }
	mustJSON(t, &local, "admin", "collection", "create", "--title", "Mirror of A", "--org", "mirror", "--data", bdata)
	state := dir + "/pull.state"
	pull := func() int {
		var out map[string]int
		mustJSON(t, &out, "taxii", "pull", root, "--collection", a.coll, "--key-file", keyFile, "--limit", "7",
			"--state", state, "--into", local.ID, "--org", "mirror", "--data", bdata)
		return out["pulled"]
	}
	if n := pull(); n != 40 {
		t.Fatalf("first pull: %d objects, want 40", n)
	}
	if n := pull(); n != 0 {
		t.Fatalf("second pull from the saved state: %d objects, want 0", n)
	}
	post(t, a.objectsURL(), a.ownerKey, envelope(indicatorJSON(99, "2025-02-22T00:00:00.000Z")))
	if n := pull(); n != 1 {
		t.Fatalf("third pull: %d objects, want the 1 new one", n)
	}
	// The pulled objects are in hub B, byte for byte.
	bsrv := start(t, "serve", "--data", bdata)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "mirror", "--role", "reader", "--data", bdata)
	r := do(t, nil, "GET", bsrv.url+"/taxii2/hub/collections/"+local.ID+"/objects/?limit=1000", k.Token, nil)
	if n := strings.Count(string(r.body), `"type":"indicator"`); n != 41 {
		t.Fatalf("hub B holds %d objects, want 41", n)
	}
	if !strings.Contains(string(r.body), indicatorJSON(5, "2025-02-21T00:00:00.000Z")) {
		t.Fatal("objects changed on the way")
	}
	// Pull to standard output as JSON lines.
	out, errOut, code := cli(t, "taxii", "pull", root, "--collection", a.coll, "--key-file", keyFile)
	if code != 0 || strings.Count(out, "\n") != 41 {
		t.Fatalf("pull to stdout: exit %d, %d lines, %s", code, strings.Count(out, "\n"), errOut)
	}
	// A wrong key is reported, not looped on.
	os.WriteFile(keyFile, []byte("trawl_key_wrong_wrong"), 0o600)
	if _, errOut, code := cli(t, "taxii", "pull", root, "--collection", a.coll, "--key-file", keyFile); code != 1 || !strings.Contains(errOut, "401") {
		t.Fatalf("wrong key: exit %d: %s", code, errOut)
	}
}
