package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

const (
	tlpClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	tlpGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	tlpAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	tlpAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	tlpRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	tlp1White      = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
)

// marked returns an indicator with the given markings and extra properties.
func marked(n int, extra string, markings ...string) string {
	refs, _ := json.Marshal(markings)
	if len(markings) == 0 {
		refs = []byte("[]")
	}
	o := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","object_marking_refs":%s%s}`, n, n, refs, extra)
	if len(markings) == 0 {
		o = strings.Replace(o, `,"object_marking_refs":[]`, "", 1)
	}
	return o
}

// TestThreeOrganizationsSeeWhatTheTableSays: an FIU shares intelligence in
// its collection with an exchange and a bank; each reads exactly what
// ../shared/DESIGN.md's TLP table allows, on every TAXII read path.
func TestThreeOrganizationsSeeWhatTheTableSays(t *testing.T) {
	stores(t, func(t *testing.T, sa []string) {
		for _, org := range []string{"fiu", "exchange", "bank"} {
			cli(t, append([]string{"admin", "org", "create", org}, sa...)...)
		}
		keys := map[string]string{}
		for _, org := range []string{"fiu", "exchange", "bank"} {
			var k createdKey
			mustJSON(t, &k, append([]string{"admin", "key", "create", "--org", org, "--role", "analyst"}, sa...)...)
			keys[org] = k.Token
		}
		cli(t, append([]string{"admin", "group", "create", "asia", "--org", "fiu", "--members", "exchange"}, sa...)...)
		var coll struct{ ID string }
		mustJSON(t, &coll, append([]string{"admin", "collection", "create", "--title", "shared", "--org", "fiu"}, sa...)...)
		cli(t, append([]string{"admin", "collection", "grant", coll.ID, "--org", "exchange", "--read", "--write"}, sa...)...)
		cli(t, append([]string{"admin", "collection", "grant", coll.ID, "--org", "bank", "--read"}, sa...)...)
		in := start(t, append([]string{"serve"}, sa...)...)
		objURL := in.url + "/taxii2/hub/collections/" + coll.ID + "/objects/"

		fiuObjs := []string{
			marked(1, "", tlpClear),
			marked(2, "", tlpGreen),
			marked(3, "", tlpAmber),
			marked(4, "", tlpAmberStrict),
			marked(5, `,"x_trawl_recipients":["org:exchange"]`, tlpRed),
			marked(6, `,"x_trawl_sharing_group":"asia"`, tlpAmber),
			marked(7, ""), // unmarked: the collection's default, AMBER
			marked(8, `,"x_trawl_recipients":["group:asia"]`, tlpRed),
			marked(9, "", tlp1White, tlpAmberStrict), // the most restrictive marking wins
			marked(10, "", tlp1White),
		}
		r := post(t, objURL, keys["fiu"], envelope(fiuObjs...))
		if r.status != 202 || r.json(t)["success_count"] != float64(len(fiuObjs)) {
			t.Fatalf("fiu post: %s", r.body)
		}
		r = post(t, objURL, keys["exchange"], envelope(marked(11, "", tlpAmberStrict)))
		if r.json(t)["success_count"] != 1.0 {
			t.Fatalf("exchange post: %s", r.body)
		}
		// Refused: a group the writer is not in, unknown recipients.
		r = post(t, objURL, keys["exchange"], envelope(marked(12, `,"x_trawl_sharing_group":"nope"`, tlpAmber), marked(13, `,"x_trawl_recipients":["org:nobody"]`, tlpRed)))
		if r.json(t)["failure_count"] != 2.0 || !strings.Contains(string(r.body), "x_trawl_sharing_group") || !strings.Contains(string(r.body), "x_trawl_recipients") {
			t.Fatalf("bad sharing properties: %s", r.body)
		}

		want := map[string][]int{
			"fiu":      {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
			"exchange": {1, 2, 3, 5, 6, 7, 8, 10, 11},
			"bank":     {1, 2, 3, 7, 10},
		}
		check := func(org string, want []int) {
			t.Helper()
			// objects
			got := idsIn(t, do(t, nil, "GET", objURL+"?limit=1000", keys[org], nil).body)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s reads objects %v, want %v", org, got, want)
			}
			// manifest
			got = idsIn(t, do(t, nil, "GET", in.url+"/taxii2/hub/collections/"+coll.ID+"/manifest/", keys[org], nil).body)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s's manifest lists %v, want %v", org, got, want)
			}
			// by id and versions: hidden answers like missing
			allowed := map[int]bool{}
			for _, n := range want {
				allowed[n] = true
			}
			for n := 1; n <= 11; n++ {
				id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)
				byID := do(t, nil, "GET", objURL+id+"/", keys[org], nil)
				versions := do(t, nil, "GET", objURL+id+"/versions/", keys[org], nil)
				if allowed[n] != (byID.status == 200) || allowed[n] != (versions.status == 200) {
					t.Errorf("%s: object %d by id %d, versions %d; allowed %v", org, n, byID.status, versions.status, allowed[n])
				}
				if !allowed[n] {
					missing := do(t, nil, "GET", objURL+"indicator--00000000-0000-4000-8000-999999999999/", keys[org], nil)
					// The same answer, but for the id the caller itself sent.
					if strings.ReplaceAll(string(byID.body), id, "ID") != strings.ReplaceAll(string(missing.body), "indicator--00000000-0000-4000-8000-999999999999", "ID") {
						t.Errorf("%s: a hidden object answers differently from a missing one:\n%s\n%s", org, byID.body, missing.body)
					}
				}
			}
			// paging with small pages sees the same set
			var paged []int
			next := ""
			for {
				u := objURL + "?limit=2"
				if next != "" {
					u += "&next=" + next
				}
				b := do(t, nil, "GET", u, keys[org], nil).body
				paged = append(paged, idsIn(t, b)...)
				var env struct {
					More bool
					Next string
				}
				json.Unmarshal(b, &env)
				if !env.More {
					break
				}
				next = env.Next
			}
			sort.Ints(paged)
			if fmt.Sprint(paged) != fmt.Sprint(want) {
				t.Errorf("%s pages through %v, want %v", org, paged, want)
			}
			checkREST(t, in.url, keys[org], org, coll.ID, want)
		}
		for org, w := range want {
			check(org, w)
		}
		// Exports off the hub: what may leave, for whom.
		for _, c := range []struct {
			args []string
			want []int
		}{
			{[]string{}, []int{1, 10}},                                                  // an unknown party: CLEAR only
			{[]string{"--community"}, []int{1, 2, 10}},                                  // GREEN within the community
			{[]string{"--to-org", "bank", "--community"}, []int{1, 2, 3, 7, 10}},        // AMBER to orgs it was shared with
			{[]string{"--to-org", "exchange", "--community"}, []int{1, 2, 3, 6, 7, 10}}, // not even its own AMBER+STRICT (11)
		} {
			out, errOut, code := cli(t, append(append([]string{"export", "stix", "--collection", coll.ID}, c.args...), sa...)...)
			if code != 0 {
				t.Fatalf("export %v: %s", c.args, errOut)
			}
			if got := idsIn(t, []byte(out)); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("export %v: %v, want %v (never AMBER+STRICT or RED)", c.args, got, c.want)
			}
		}
		// A property under a narrower granular marking is removed for readers
		// who may not see it.
		gran := strings.Replace(marked(20, `,"description":"deposit account 4411 at exchange X","x_trawl_recipients":["org:exchange"],"granular_markings":[{"marking_ref":"`+tlpRed+`","selectors":["description"]}]`, tlpAmber), "", "", 1)
		if r := post(t, objURL, keys["fiu"], envelope(gran)); r.json(t)["success_count"] != 1.0 {
			t.Fatalf("granular: %s", r.body)
		}
		id20 := "indicator--00000000-0000-4000-8000-000000000020/"
		if b := do(t, nil, "GET", objURL+id20, keys["exchange"], nil).body; !strings.Contains(string(b), "account 4411") {
			t.Errorf("the named recipient lost the RED description: %s", b)
		}
		if b := do(t, nil, "GET", objURL+id20, keys["bank"], nil).body; strings.Contains(string(b), "account 4411") || !strings.Contains(string(b), `"pattern"`) {
			t.Errorf("the bank reads a RED description, or lost the rest: %s", b)
		}
		// Reports: ids of objects a reader may not see leave object_refs; a
		// report left with none is hidden, and answers like a missing one.
		secret := "indicator--00000000-0000-4000-8000-000000000004" // AMBER+STRICT: the FIU only
		reports := envelope(report(30, tlpGreen, secret, "indicator--00000000-0000-4000-8000-000000000002"), report(31, tlpGreen, secret))
		if r := post(t, objURL, keys["fiu"], reports); r.json(t)["success_count"] != 2.0 {
			t.Fatalf("reports: %s", r.body)
		}
		for _, org := range []string{"exchange", "bank"} {
			bodies := map[string][]byte{
				"objects":      do(t, nil, "GET", objURL+"?limit=1000", keys[org], nil).body,
				"manifest":     do(t, nil, "GET", in.url+"/taxii2/hub/collections/"+coll.ID+"/manifest/", keys[org], nil).body,
				"report by id": do(t, nil, "GET", objURL+reportID(30)+"/", keys[org], nil).body,
				"versions":     do(t, nil, "GET", objURL+reportID(30)+"/versions/?match[version]=all", keys[org], nil).body,
				"REST list":    do(t, nil, "GET", in.url+"/api/v1/objects?limit=1000", keys[org], nil).body,
				"REST search":  do(t, nil, "GET", in.url+"/api/v1/objects?type=report&q=lazarus", keys[org], nil).body,
				"REST by id":   do(t, nil, "GET", in.url+"/api/v1/objects/"+reportID(30), keys[org], nil).body,
			}
			hidden := do(t, nil, "GET", objURL+reportID(31)+"/", keys[org], nil)
			missing := do(t, nil, "GET", objURL+reportID(99)+"/", keys[org], nil)
			if hidden.status != 404 || strings.ReplaceAll(string(hidden.body), reportID(31), "ID") != strings.ReplaceAll(string(missing.body), reportID(99), "ID") {
				t.Errorf("%s: the report with only hidden refs answers %d %s; a missing one %s", org, hidden.status, hidden.body, missing.body)
			}
			for what, b := range bodies {
				if strings.Contains(string(b), secret) || strings.Contains(string(b), reportID(31)) {
					t.Errorf("%s's %s reveals a hidden object: %s", org, what, b)
				}
			}
			if !strings.Contains(string(bodies["report by id"]), "indicator--00000000-0000-4000-8000-000000000002") {
				t.Errorf("%s lost the visible ref: %s", org, bodies["report by id"])
			}
			var sr struct{ Total int }
			json.Unmarshal(bodies["REST search"], &sr)
			if sr.Total != 1 {
				t.Errorf("%s: report search total %d, want 1 (the other report is hidden)", org, sr.Total)
			}
		}
		out, _, _ := cli(t, append([]string{"export", "stix", "--collection", coll.ID, "--to-org", "bank", "--community"}, sa...)...)
		if strings.Contains(out, secret) || strings.Contains(out, reportID(31)) || !strings.Contains(out, reportID(30)) {
			t.Errorf("export to the bank: hidden refs or the hidden report, or no report:\n%s", out)
		}
		if b := do(t, nil, "GET", objURL+reportID(30)+"/", keys["fiu"], nil).body; !strings.Contains(string(b), secret) {
			t.Errorf("the owner's report lost its refs: %s", b)
		}
		// Removing the exchange from the group takes effect at once.
		cli(t, append([]string{"admin", "group", "remove", "asia", "--org", "exchange"}, sa...)...)
		check("exchange", []int{1, 2, 3, 5, 7, 10, 11, 20, 30})
	})
}

func reportID(n int) string { return fmt.Sprintf("report--00000000-0000-4000-8000-%012d", n) }

// report returns a report on the Lazarus group listing refs.
func report(n int, marking string, refs ...string) string {
	r, _ := json.Marshal(refs)
	return fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":%q,"created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":"Lazarus cash-out","published":"2025-02-21T00:00:00Z","object_refs":%s,"object_marking_refs":[%q]}`,
		reportID(n), r, marking)
}

// restIDs returns the object numbers of a REST list and its total.
func restIDs(t *testing.T, body []byte) ([]int, int) {
	t.Helper()
	var page struct {
		Total   int
		Objects []struct {
			Object json.RawMessage `json:"object"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatalf("not a REST page: %s", body)
	}
	env := []byte(`{"objects":[`)
	for i, o := range page.Objects {
		if i > 0 {
			env = append(env, ',')
		}
		env = append(env, o.Object...)
	}
	return idsIn(t, append(env, "]}"...)), page.Total
}

// checkREST: the REST list, search, paging and by-id reads show org exactly
// want of the collection's indicators, and count only those.
func checkREST(t *testing.T, url, key, org, coll string, wantAll []int) {
	t.Helper()
	var want []int // the indicators
	for _, n := range wantAll {
		if n < 30 {
			want = append(want, n)
		}
	}
	got, total := restIDs(t, do(t, nil, "GET", url+"/api/v1/objects?type=indicator&collection="+coll, key, nil).body)
	if fmt.Sprint(got) != fmt.Sprint(want) || total != len(want) {
		t.Errorf("%s: REST list %v (total %d), want %v", org, got, total, want)
	}
	// Every indicator's pattern has 203.0.113.N: the search finds what org may see.
	got, total = restIDs(t, do(t, nil, "GET", url+"/api/v1/objects?q=203.0.113.&type=indicator", key, nil).body)
	if fmt.Sprint(got) != fmt.Sprint(want) || total != len(want) {
		t.Errorf("%s: REST search %v (total %d), want %v", org, got, total, want)
	}
	var paged []int
	next := ""
	for range 50 {
		u := url + "/api/v1/objects?type=indicator&limit=2"
		if next != "" {
			u += "&next=" + next
		}
		b := do(t, nil, "GET", u, key, nil).body
		ids, tot := restIDs(t, b)
		if tot != len(want) {
			t.Errorf("%s: a page's total %d, want %d", org, tot, len(want))
		}
		paged = append(paged, ids...)
		var pg struct {
			More bool
			Next string
		}
		json.Unmarshal(b, &pg)
		if !pg.More {
			break
		}
		next = pg.Next
	}
	sort.Ints(paged)
	if fmt.Sprint(paged) != fmt.Sprint(want) {
		t.Errorf("%s: REST pages through %v, want %v", org, paged, want)
	}
	allowed := map[int]bool{}
	for _, n := range want {
		allowed[n] = true
	}
	missingID := "indicator--00000000-0000-4000-8000-999999999999"
	missing := do(t, nil, "GET", url+"/api/v1/objects/"+missingID, key, nil)
	for n := 1; n <= 11; n++ {
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)
		r := do(t, nil, "GET", url+"/api/v1/objects/"+id, key, nil)
		if allowed[n] != (r.status == 200) {
			t.Errorf("%s: REST object %d: %d, allowed %v", org, n, r.status, allowed[n])
		}
		if !allowed[n] && strings.ReplaceAll(string(r.body), id, "ID") != strings.ReplaceAll(string(missing.body), missingID, "ID") {
			t.Errorf("%s: REST answers a hidden object differently from a missing one:\n%s\n%s", org, r.body, missing.body)
		}
	}
}

// idsIn returns the indicator numbers in an envelope or manifest, sorted.
func idsIn(t *testing.T, body []byte) []int {
	t.Helper()
	var env struct {
		Objects []struct {
			ID string `json:"id"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not an envelope: %s", body)
	}
	var out []int
	for _, o := range env.Objects {
		var n int
		fmt.Sscanf(o.ID[len(o.ID)-12:], "%d", &n)
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// TestPublicCollectionServesClearOnly: anonymous readers of a public
// collection see CLEAR, nothing else.
func TestPublicCollectionServesClearOnly(t *testing.T) {
	dir := t.TempDir()
	cli(t, "admin", "org", "create", "cert", "--data", dir)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "cert", "--role", "analyst", "--data", dir)
	var coll struct{ ID string }
	if _, e, code := cli(t, "admin", "collection", "create", "--title", "public", "--org", "cert", "--public", "--data", dir); code != 2 || !strings.Contains(e, "TLP:CLEAR only") {
		t.Fatalf("a public collection with an AMBER default was accepted: %s", e)
	}
	mustJSON(t, &coll, "admin", "collection", "create", "--title", "public", "--org", "cert", "--public", "--default-tlp", "clear", "--data", dir)
	in := start(t, "serve", "--data", dir)
	objURL := in.url + "/taxii2/hub/collections/" + coll.ID + "/objects/"
	post(t, objURL, k.Token, envelope(marked(1, "", tlpClear), marked(2, "", tlpGreen), marked(3, ""), marked(4, "", tlpAmber)))
	if got := idsIn(t, do(t, nil, "GET", objURL, "", nil).body); fmt.Sprint(got) != "[1 3]" {
		t.Fatalf("anonymous reads %v, want [1 3] (CLEAR and unmarked under a CLEAR default)", got)
	}
	if got := idsIn(t, do(t, nil, "GET", objURL, k.Token, nil).body); fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("the owner reads %v", got)
	}
	if r := post(t, objURL, "", envelope(marked(5, "", tlpClear))); r.status != 401 {
		t.Fatalf("anonymous write: %d", r.status)
	}
	// Restricting the public collection to a sharing group closes it to
	// anonymous readers too.
	cli(t, "admin", "group", "create", "certs", "--org", "cert", "--data", dir)
	cli(t, "admin", "collection", "restrict", coll.ID, "--group", "certs", "--data", dir)
	if r := do(t, nil, "GET", objURL, "", nil); r.status == 200 {
		t.Fatalf("anonymous reads a group-restricted public collection: %d %s", r.status, r.body)
	}
}

// TestRemarkingNarrowerHidesOlderVersions: when the owner re-marks an object
// to a narrower TLP, older wider versions stop being readable too; another
// writer's newer version cannot hide the owner's object.
func TestRemarkingNarrowerHidesOlderVersions(t *testing.T) {
	h := setupHub(t, []string{"--data", t.TempDir()})
	objURL := h.objectsURL()
	v1 := marked(1, "", tlpGreen)
	v2 := strings.Replace(marked(1, "", tlpAmberStrict), `"modified":"2025-02-21T00:00:00.000Z"`, `"modified":"2025-03-01T00:00:00.000Z"`, 1)
	post(t, objURL, h.ownerKey, envelope(v1))
	id := "indicator--00000000-0000-4000-8000-000000000001"
	if r := do(t, nil, "GET", objURL+id+"/versions/", h.readerKey, nil); r.status != 200 {
		t.Fatalf("GREEN v1 hidden from a reader: %d", r.status)
	}
	post(t, objURL, h.ownerKey, envelope(v2))
	for _, path := range []string{id + "/", id + "/versions/", id + "/?match[version]=all", id + "/?match[version]=first", "?match[version]=all"} {
		r := do(t, nil, "GET", objURL+path, h.readerKey, nil)
		if strings.Contains(string(r.body), `"id":"`+id+`"`) || (strings.HasSuffix(path, "versions/") && r.status != 404) {
			t.Errorf("%s: an older version is still readable after re-marking to AMBER+STRICT: %d %s", path, r.status, r.body)
		}
	}
	if r := do(t, nil, "GET", objURL+id+"/?match[version]=all", h.ownerKey, nil); strings.Count(string(r.body), id) != 2 {
		t.Fatalf("the owner lost its versions: %s", r.body)
	}

	// Another writer's newer, stricter version does not hide the owner's object.
	w1 := marked(2, "", tlpGreen)
	w2 := strings.Replace(marked(2, "", tlpAmberStrict), `"modified":"2025-02-21T00:00:00.000Z"`, `"modified":"2025-03-01T00:00:00.000Z"`, 1)
	post(t, objURL, h.ownerKey, envelope(w1))
	post(t, objURL, h.otherKey, envelope(w2))
	id2 := "indicator--00000000-0000-4000-8000-000000000002"
	if r := do(t, nil, "GET", objURL+id2+"/?match[version]=first", h.readerKey, nil); r.status != 200 || !strings.Contains(string(r.body), id2) {
		t.Fatalf("another org's version hid the owner's: %d %s", r.status, r.body)
	}
}

// TestSightings: the FIU shares an indicator; an exchange and a bank report
// sightings of it. The FIU sees every sighting of what it shared; the others
// only what the sightings' own markings allow, and counts never include what
// they may not see.
func TestSightings(t *testing.T) {
	dir := t.TempDir()
	h := setupHub(t, []string{"--data", dir})
	cli(t, "admin", "org", "create", "bank", "--data", dir)
	var bank createdKey
	mustJSON(t, &bank, "admin", "key", "create", "--org", "bank", "--role", "analyst", "--data", dir)
	cli(t, "admin", "collection", "grant", "lazarus", "--org", "bank", "--read", "--write", "--data", dir)
	ind := marked(1, "", tlpAmber)
	post(t, h.objectsURL(), h.ownerKey, envelope(ind))
	sighting := func(n, count int, marking string) string {
		return fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--00000000-0000-4000-8000-%012d","created":"2025-02-22T00:00:00.000Z","modified":"2025-02-22T00:00:00.000Z","sighting_of_ref":"indicator--00000000-0000-4000-8000-000000000001","count":%d,"object_marking_refs":["%s"]}`, n, count, marking)
	}
	if r := post(t, h.objectsURL(), h.otherKey, envelope(sighting(1, 3, tlpAmberStrict))); r.json(t)["success_count"] != 1.0 {
		t.Fatalf("exchange sighting: %s", r.body)
	}
	if r := post(t, h.objectsURL(), bank.Token, envelope(sighting(2, 1, tlpGreen))); r.json(t)["success_count"] != 1.0 {
		t.Fatalf("bank sighting: %s", r.body)
	}
	want := map[string][2]float64{h.ownerKey: {2, 4}, h.otherKey: {2, 4}, bank.Token: {1, 1}}
	for key, w := range want {
		r := do(t, nil, "GET", h.url+"/api/v1/sightings?of=indicator--00000000-0000-4000-8000-000000000001", key, nil)
		m := r.json(t)
		if r.status != 200 || m["sightings"] != w[0] || m["count"] != w[1] {
			t.Errorf("sightings seen: %d %s; want %v sightings with count %v", r.status, r.body, w[0], w[1])
		}
	}
	// The strict sighting is hidden from the bank over TAXII too.
	if b := do(t, nil, "GET", h.objectsURL()+"?match[type]=sighting", bank.Token, nil).body; strings.Contains(string(b), "000000000001\",\"created") {
		t.Errorf("the bank reads the exchange's AMBER+STRICT sighting: %s", b)
	}
}

// TestCollectionRestrictedToGroup: a collection restricted to a sharing
// group is closed to granted organizations outside the group at once.
func TestCollectionRestrictedToGroup(t *testing.T) {
	dir := t.TempDir()
	h := setupHub(t, []string{"--data", dir})
	post(t, h.objectsURL(), h.ownerKey, envelope(marked(1, "", tlpClear)))
	if r := do(t, nil, "GET", h.objectsURL(), h.readerKey, nil); r.status != 200 {
		t.Fatalf("before: %d", r.status)
	}
	cli(t, "admin", "group", "create", "inner", "--org", "fiu", "--data", dir)
	if _, e, code := cli(t, "admin", "collection", "restrict", "lazarus", "--group", "inner", "--data", dir); code != 0 {
		t.Fatal(e)
	}
	// The server reads the restriction from the store on each request.
	if r := do(t, nil, "GET", h.objectsURL(), h.readerKey, nil); r.status != 404 {
		t.Fatalf("a granted org outside the group: %d", r.status)
	}
	if r := do(t, nil, "GET", h.objectsURL(), h.ownerKey, nil); r.status != 200 {
		t.Fatalf("the owner: %d", r.status)
	}
	cli(t, "admin", "group", "add", "inner", "--org", "exchange", "--data", dir)
	if r := do(t, nil, "GET", h.objectsURL(), h.readerKey, nil); r.status != 200 {
		t.Fatalf("after joining the group: %d", r.status)
	}
	cli(t, "admin", "collection", "restrict", "lazarus", "--group", "", "--data", dir)
	cli(t, "admin", "group", "remove", "inner", "--org", "exchange", "--data", dir)
	if r := do(t, nil, "GET", h.objectsURL(), h.readerKey, nil); r.status != 200 {
		t.Fatalf("after lifting: %d", r.status)
	}
}

// TestRelationshipsToHiddenObjectsAreHidden: a relationship or sighting that
// points at an object the reader may not see would reveal that the object
// exists and what it is tied to; it is hidden too.
func TestRelationshipsToHiddenObjectsAreHidden(t *testing.T) {
	dir := t.TempDir()
	h := setupHub(t, []string{"--data", dir})
	strict := marked(1, "", tlpAmberStrict) // only the FIU may see it
	open := marked(2, "", tlpClear)
	rel := func(n int, src, dst string) string {
		return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-%012d","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","relationship_type":"related-to","source_ref":"%s","target_ref":"%s","object_marking_refs":["%s"]}`, n, src, dst, tlpGreen)
	}
	ind := func(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }
	toHidden := rel(10, ind(2), ind(1))
	toVisible := rel(11, ind(2), ind(2))
	toExternal := rel(12, ind(2), "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc") // not on the hub
	sight := `{"type":"sighting","spec_version":"2.1","id":"sighting--00000000-0000-4000-8000-000000000013","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","sighting_of_ref":"` + ind(1) + `","object_marking_refs":["` + tlpGreen + `"]}`
	if r := post(t, h.objectsURL(), h.ownerKey, envelope(strict, open, toHidden, toVisible, toExternal, sight)); r.json(t)["success_count"] != 6.0 {
		t.Fatalf("post: %s", r.body)
	}
	ids := func(key string) string {
		var env struct{ Objects []struct{ ID string } }
		json.Unmarshal(do(t, nil, "GET", h.objectsURL(), key, nil).body, &env)
		var out []string
		for _, o := range env.Objects {
			out = append(out, o.ID[len(o.ID)-2:])
		}
		sort.Strings(out)
		return fmt.Sprint(out)
	}
	if got := ids(h.ownerKey); got != "[01 02 10 11 12 13]" {
		t.Errorf("the FIU reads %s", got)
	}
	if got := ids(h.readerKey); got != "[02 11 12]" {
		t.Errorf("the exchange reads %s; want [02 11 12]: nothing that points at the AMBER+STRICT indicator", got)
	}
	if r := do(t, nil, "GET", h.objectsURL()+"relationship--00000000-0000-4000-8000-000000000010/", h.readerKey, nil); r.status != 404 {
		t.Errorf("the hidden relationship by id: %d", r.status)
	}
	// An object in a collection the reader may not read counts as hidden,
	// even when it is CLEAR.
	var private struct{ ID string }
	mustJSON(t, &private, "admin", "collection", "create", "--title", "FIU only", "--org", "fiu", "--data", dir)
	privURL := h.url + "/taxii2/hub/collections/" + private.ID + "/objects/"
	if r := post(t, privURL, h.ownerKey, envelope(marked(30, "", tlpClear))); r.json(t)["success_count"] != 1.0 {
		t.Fatalf("private post: %s", r.body)
	}
	post(t, h.objectsURL(), h.ownerKey, envelope(rel(14, ind(2), ind(30))))
	if got := ids(h.readerKey); got != "[02 11 12]" {
		t.Errorf("the exchange reads %s; the relationship into the FIU-only collection must stay hidden", got)
	}
	if got := ids(h.ownerKey); got != "[01 02 10 11 12 13 14]" {
		t.Errorf("the FIU reads %s", got)
	}
}
