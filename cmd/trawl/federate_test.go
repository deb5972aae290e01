package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFederatePushSendsOnlyWhatMayLeave: two real hubs. Hub A holds objects
// of every TLP level; `trawl federate push` sends hub B exactly those that
// sharing.MayLeave allows for B's organization, reports the rest by
// marking, and resumes where it stopped.
func TestFederatePushSendsOnlyWhatMayLeave(t *testing.T) {
	a := []string{"--data", t.TempDir()}
	for _, org := range []string{"fiu", "hub-b", "other"} {
		cli(t, append([]string{"admin", "org", "create", org}, a...)...)
	}
	var fiuKey createdKey
	mustJSON(t, &fiuKey, append([]string{"admin", "key", "create", "--org", "fiu", "--role", "analyst"}, a...)...)
	cli(t, append([]string{"admin", "group", "create", "inner", "--org", "fiu", "--members", "other"}, a...)...)
	var coll struct{ ID string }
	mustJSON(t, &coll, append([]string{"admin", "collection", "create", "--title", "lazarus", "--org", "fiu"}, a...)...)
	cli(t, append([]string{"admin", "collection", "grant", coll.ID, "--org", "hub-b", "--read"}, a...)...)
	hubA := start(t, append([]string{"serve"}, a...)...)
	objsA := hubA.url + "/taxii2/hub/collections/" + coll.ID + "/objects/"
	r := post(t, objsA, fiuKey.Token, envelope(
		marked(1, "", tlpClear),
		marked(2, "", tlpGreen),
		marked(3, "", tlpAmber), // shared with hub-b by the collection grant
		marked(4, "", tlpAmberStrict),
		marked(5, `,"x_trawl_recipients":["org:hub-b"]`, tlpRed), // RED never leaves, even to a recipient
		marked(6, `,"x_trawl_sharing_group":"inner"`, tlpAmber),
		marked(7, ""), // unmarked: the collection's default, AMBER
		marked(8, `,"x_trawl_sharing_group":"inner"`, tlpClear),
	))
	if r.json(t)["success_count"] != 8.0 {
		t.Fatalf("post: %s", r.body)
	}

	b := []string{"--data", t.TempDir()}
	cli(t, append([]string{"admin", "org", "create", "mirror"}, b...)...)
	var bKey createdKey
	mustJSON(t, &bKey, append([]string{"admin", "key", "create", "--org", "mirror", "--role", "analyst"}, b...)...)
	var bColl struct{ ID string }
	mustJSON(t, &bColl, append([]string{"admin", "collection", "create", "--title", "from A", "--org", "mirror"}, b...)...)
	hubB := start(t, append([]string{"serve"}, b...)...)
	keyFile := filepath.Join(t.TempDir(), "b.key")
	os.WriteFile(keyFile, []byte(bKey.Token), 0o600)

	push := func(extra ...string) pushReport {
		var rep pushReport
		mustJSON(t, &rep, append(append([]string{"federate", "push", "--collection", coll.ID, "--to", hubB.url + "/taxii2/hub/", "--to-collection", bColl.ID,
			"--peer-org", "hub-b", "--key-file", keyFile}, a...), extra...)...)
		return rep
	}
	onB := func() string {
		r := do(t, nil, "GET", hubB.url+"/taxii2/hub/collections/"+bColl.ID+"/objects/?limit=100", bKey.Token, nil, "Accept", taxiiMT)
		if r.status != 200 {
			t.Fatalf("read B: %d %s", r.status, r.body)
		}
		return string(r.body)
	}
	want := func(body string, ns ...int) {
		t.Helper()
		in := map[int]bool{}
		for _, n := range ns {
			in[n] = true
		}
		for n := 1; n <= 9; n++ {
			id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)
			if strings.Contains(body, id) != in[n] {
				t.Fatalf("object %d on hub B: %v, want %v", n, strings.Contains(body, id), in[n])
			}
		}
	}

	rep := push()
	if rep.Sent != 3 || rep.Succeeded != 3 || rep.Read != 8 || rep.Withheld["green"] != 1 || rep.Withheld["amber+strict"] != 1 || rep.Withheld["red"] != 1 || rep.Withheld["sharing group"] != 2 {
		t.Fatalf("first push: %+v", rep)
	}
	want(onB(), 1, 3, 7)
	// Resumed: nothing new, nothing sent.
	if rep := push(); rep.Sent != 0 || rep.Read != 0 || rep.Total != 3 {
		t.Fatalf("second push: %+v", rep)
	}
	post(t, objsA, fiuKey.Token, envelope(marked(9, "", tlpClear)))
	if rep := push(); rep.Sent != 1 || rep.Read != 1 || rep.Total != 4 {
		t.Fatalf("third push: %+v", rep)
	}
	// Within the community GREEN may go too (from the start again).
	if rep := push("--community", "--restart"); rep.Sent != 5 || rep.Withheld["green"] != 0 || rep.Withheld["red"] != 1 {
		t.Fatalf("community push: %+v", rep)
	}
	want(onB(), 1, 2, 3, 7, 9)
	// Text output reports counts by marking, not content.
	out, errOut, code := cli(t, append([]string{"federate", "push", "--collection", coll.ID, "--to", hubB.url + "/taxii2/hub/", "--to-collection", bColl.ID,
		"--peer-org", "hub-b", "--key-file", keyFile, "--restart"}, a...)...)
	if code != 0 || !strings.Contains(out, "withheld by marking: AMBER+STRICT 1 GREEN 1 RED 1 SHARING GROUP 2") {
		t.Fatalf("text: %d %q %s", code, out, errOut)
	}
	if _, errOut, code := cli(t, append([]string{"federate", "push", "--collection", coll.ID, "--to", hubB.url + "/taxii2/hub/", "--to-collection", bColl.ID, "--key-file", keyFile}, a...)...); code != 2 || !strings.Contains(errOut, "--peer-org") {
		t.Fatalf("no --peer-org: %d %s", code, errOut)
	}
}
