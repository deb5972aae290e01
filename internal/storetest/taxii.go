package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/taxii"
)

func taxiiTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"TAXIICollections", testCollections},
		{"TAXIIVersions", testVersions},
		{"TAXIIPagingTies", testPagingTies},
		{"TAXIIPagingConcurrentWrites", testPagingConcurrentWrites},
		{"TAXIIDelete", testDelete},
		{"TAXIIStatus", testStatus},
		{"TAXIIQueueDrained", testQueueDrained},
		{"TAXIISecret", testSecret},
		{"ObjectRefsStripped", testObjectRefsStripped},
		{"ObjectRefsEscapedKey", testObjectRefsEscapedKey},
		{"SearchCountsOnlyVisible", testSearchCountsOnlyVisible},
		{"TAXIIObjectHeads", testObjectHeads},
		{"TAXIIObjectKey", testObjectKey},
	}
}

func collectionFixture(t *testing.T, db *sqlstore.DB) *taxii.Collection {
	t.Helper()
	seedOrg(t, db, "org_a", "alpha")
	c := &taxii.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Alias: "lazarus", Title: "Lazarus", OwnerOrgID: "org_a",
		DefaultTLP: "amber", CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := db.CreateCollection(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func obj(id string, version time.Time) taxii.NewObject {
	raw, _ := json.Marshal(map[string]any{"type": "indicator", "id": id, "spec_version": "2.1", "modified": version.Format(time.RFC3339Nano)})
	return taxii.NewObject{ID: id, Type: "indicator", SpecVersion: "2.1", Version: version, Markings: []string{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}, Raw: raw}
}

func uuidN(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

func testCollections(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	seedOrg(t, db, "org_b", "beta")
	for _, key := range []string{c.ID, "lazarus"} {
		got, err := db.Collection(ctx, key)
		if err != nil || *got != *c {
			t.Fatalf("collection %q: %+v %v; want %+v", key, got, err, c)
		}
	}
	_, err := db.Collection(ctx, "nope")
	wantCode(t, err, errs.NotFound)
	dup := *c
	dup.ID = "0f6b3a5e-0000-4000-8000-000000000000"
	wantCode(t, db.CreateCollection(ctx, &dup), errs.Conflict)
	if err := db.SetGrant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: "org_b", CanRead: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetGrant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: "org_b", CanRead: true, CanWrite: true}); err != nil {
		t.Fatal(err)
	}
	g, err := db.Grants(ctx, c.ID)
	if err != nil || len(g) != 1 || !g[0].CanWrite {
		t.Fatalf("grant upsert: %+v %v", g, err)
	}
	if err := db.SetGrant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: "org_nope", CanRead: true}); !errs.Is(err, errs.NotFound) {
		t.Fatalf("grant to unknown org: %v", err)
	}
	list, _ := db.ListCollections(ctx)
	if len(list) != 1 {
		t.Fatalf("list: %+v", list)
	}
}

func testVersions(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	t0 := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	id := uuidN(1)
	// v2 first, then v1 and v3 and a repeat of v2: all kept, flags right.
	if _, res, err := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{obj(id, t0.Add(2*time.Second))}); err != nil || !res[0].Created {
		t.Fatalf("add v2: %+v %v", res, err)
	}
	_, res, err := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{obj(id, t0.Add(time.Second)), obj(id, t0.Add(3*time.Second)), obj(id, t0.Add(2*time.Second)), obj(id, t0.Add(3*time.Second))})
	if err != nil {
		t.Fatal(err)
	}
	if created := []bool{res[0].Created, res[1].Created, res[2].Created, res[3].Created}; fmt.Sprint(created) != "[true true false false]" {
		t.Fatalf("created flags %v, want [true true false false] (repeats are idempotent)", created)
	}
	get := func(q taxii.Query) []time.Time {
		q.Limit = 100
		objs, _, err := db.Objects(ctx, c.ID, &q, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var vs []time.Time
		for _, o := range objs {
			vs = append(vs, o.Version)
		}
		return vs
	}
	if v := get(taxii.Query{Versions: taxii.VersionLast}); len(v) != 1 || !v[0].Equal(t0.Add(3*time.Second)) {
		t.Fatalf("last: %v", v)
	}
	if v := get(taxii.Query{Versions: taxii.VersionFirst}); len(v) != 1 || !v[0].Equal(t0.Add(time.Second)) {
		t.Fatalf("first: %v", v)
	}
	if v := get(taxii.Query{Versions: taxii.VersionAll}); len(v) != 3 {
		t.Fatalf("all: %v", v)
	}
	if v := get(taxii.Query{Versions: taxii.VersionAt, Times: []time.Time{t0.Add(2 * time.Second)}}); len(v) != 1 {
		t.Fatalf("at: %v", v)
	}
	if v := get(taxii.Query{Versions: taxii.VersionAll, Types: []string{"malware"}}); len(v) != 0 {
		t.Fatalf("type filter: %v", v)
	}
	if v := get(taxii.Query{Versions: taxii.VersionAll, IDs: []string{uuidN(2)}}); len(v) != 0 {
		t.Fatalf("id filter: %v", v)
	}
	// Versionless objects (SCOs) are stored once.
	sco := taxii.NewObject{ID: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", Type: "ipv4-addr", SpecVersion: "2.1", Raw: json.RawMessage(`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`)}
	_, r1, _ := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{sco})
	_, r2, _ := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{sco})
	if !r1[0].Created || r2[0].Created {
		t.Fatalf("versionless object: first %v, again %v", r1[0].Created, r2[0].Created)
	}
	objs, _, _ := db.Objects(ctx, c.ID, &taxii.Query{Limit: 10, IDs: []string{sco.ID}}, nil, nil)
	if len(objs) != 1 || string(objs[0].Raw) != string(sco.Raw) {
		t.Fatalf("raw bytes changed: %+v", objs)
	}
}

func testPagingTies(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	t0 := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	const n = 2500 // one envelope: every object shares one date_added
	objs := make([]taxii.NewObject, n)
	for i := range objs {
		objs[i] = obj(uuidN(i), t0)
	}
	added, _, err := db.AddObjects(ctx, c.ID, "org_a", objs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var after *taxii.Position
	pages := 0
	for {
		page, more, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 300}, after, nil)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range page {
			seen[o.ID]++
			if !o.DateAdded.Equal(added) {
				t.Fatalf("date_added %v, want %v", o.DateAdded, added)
			}
		}
		if !more {
			break
		}
		last := page[len(page)-1]
		after = &taxii.Position{DateAdded: last.DateAdded, Seq: last.Seq}
	}
	if len(seen) != n || pages != 9 {
		t.Fatalf("saw %d distinct objects in %d pages, want %d in 9", len(seen), pages, n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s seen %d times", id, k)
		}
	}
	// added_after excludes everything added at or before it.
	page, _, _ := db.Objects(ctx, c.ID, &taxii.Query{Limit: 10, AddedAfter: added}, nil, nil)
	if len(page) != 0 {
		t.Fatalf("added_after = date_added returned %d objects", len(page))
	}
}

// testPagingConcurrentWrites reads a collection page by page while writers
// keep adding: every object present before the read starts is seen exactly
// once, and nothing is seen twice.
func testPagingConcurrentWrites(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	t0 := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	const before = 600
	for b := 0; b < before; b += 100 {
		var objs []taxii.NewObject
		for i := b; i < b+100; i++ {
			objs = append(objs, obj(uuidN(i), t0))
		}
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var objs []taxii.NewObject
				for j := range 20 {
					objs = append(objs, obj(uuidN(100000+w*100000+i*20+j), t0))
				}
				if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	seen := map[string]int{}
	var after *taxii.Position
	for pages := 0; pages < 200; pages++ {
		page, more, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 50}, after, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page {
			seen[o.ID]++
		}
		if !more {
			break
		}
		last := page[len(page)-1]
		after = &taxii.Position{DateAdded: last.DateAdded, Seq: last.Seq}
		time.Sleep(time.Millisecond)
	}
	close(stop)
	wg.Wait()
	for i := range before {
		if seen[uuidN(i)] != 1 {
			t.Fatalf("object %d present before paging seen %d times", i, seen[uuidN(i)])
		}
	}
	for id, k := range seen {
		if k != 1 {
			t.Fatalf("%s seen %d times", id, k)
		}
	}
}

func testDelete(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	seedOrg(t, db, "org_b", "beta")
	t0 := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	id := uuidN(7)
	db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{obj(id, t0), obj(id, t0.Add(time.Second))})
	db.AddObjects(ctx, c.ID, "org_b", []taxii.NewObject{obj(id, t0.Add(2*time.Second))})
	// org_a may delete only its own versions when restricted.
	n, err := db.DeleteObject(ctx, c.ID, id, &taxii.Query{Versions: taxii.VersionAll}, "org_a")
	if err != nil || n != 2 {
		t.Fatalf("delete org_a's versions: %d %v", n, err)
	}
	objs, _, _ := db.Objects(ctx, c.ID, &taxii.Query{Limit: 10, Versions: taxii.VersionFirst}, nil, nil)
	if len(objs) != 1 || !objs[0].Version.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("first version after delete: %+v", objs)
	}
	n, err = db.DeleteObject(ctx, c.ID, id, &taxii.Query{Versions: taxii.VersionAll}, "")
	if err != nil || n != 1 {
		t.Fatalf("delete rest: %d %v", n, err)
	}
	if n, _ := db.DeleteObject(ctx, c.ID, id, &taxii.Query{Versions: taxii.VersionAll}, ""); n != 0 {
		t.Fatalf("deleting nothing deleted %d", n)
	}
}

func testStatus(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	st := &taxii.Status{ID: "2d086da7-4bdc-4f91-900e-d77486753710", Status: "pending", RequestTimestamp: time.Now().UTC().Truncate(time.Microsecond),
		TotalCount: 2, PendingCount: 2, CollectionID: c.ID, OrgID: "org_a"}
	if err := db.CreateStatus(ctx, st, []byte(`{"objects":[]}`)); err != nil {
		t.Fatal(err)
	}
	jobs, err := db.PendingStatuses(ctx)
	if err != nil || len(jobs) != 1 || string(jobs[0].Envelope) != `{"objects":[]}` {
		t.Fatalf("pending: %+v %v", jobs, err)
	}
	st.Status, st.PendingCount, st.SuccessCount, st.FailureCount = "complete", 0, 1, 1
	st.Successes = []taxii.StatusDetail{{ID: uuidN(1), Version: "2025-02-21T14:00:00.000Z"}}
	st.Failures = []taxii.StatusDetail{{ID: uuidN(2), Message: "bad"}}
	if err := db.AddObjectsStatus(ctx, c.ID, "org_a", nil, func(added time.Time, res []taxii.AddResult) *taxii.Status {
		if !added.IsZero() || res != nil {
			t.Errorf("nothing stored, yet given %v %+v", added, res)
		}
		return st
	}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Status(ctx, st.ID)
	if err != nil || got.Status != "complete" || got.SuccessCount != 1 || len(got.Failures) != 1 || got.Failures[0].Message != "bad" || !got.RequestTimestamp.Equal(st.RequestTimestamp) {
		t.Fatalf("status round trip: %+v %v", got, err)
	}
	if jobs, _ := db.PendingStatuses(ctx); len(jobs) != 0 {
		t.Fatalf("completed job still pending: %+v", jobs)
	}
	// A complete status stays as it is.
	again := *st
	again.SuccessCount, again.FailureCount = 0, 2
	if err := db.AddObjectsStatus(ctx, c.ID, "org_a", nil, func(time.Time, []taxii.AddResult) *taxii.Status { return &again }); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Status(ctx, st.ID); err != nil || got.SuccessCount != 1 || got.FailureCount != 1 {
		t.Fatalf("a complete status was overwritten: %+v %v", got, err)
	}
	var dropped bool
	if err := db.SQL().QueryRowContext(ctx, `SELECT envelope IS NULL FROM taxii_status WHERE id = $1`, st.ID).Scan(&dropped); err != nil || !dropped {
		t.Fatalf("the completed status kept its envelope (%v, %v)", dropped, err)
	}
	_, err = db.Status(ctx, "nope")
	wantCode(t, err, errs.NotFound)

	// Objects and a new status, in one transaction.
	t0 := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	objs := []taxii.NewObject{obj(uuidN(3), t0), obj(uuidN(4), t0), obj(uuidN(3), t0)}
	st2 := &taxii.Status{ID: "6b5e5a3e-0f5c-4b8e-9d43-3f1f0f6c2a11", RequestTimestamp: time.Now().UTC().Truncate(time.Microsecond),
		TotalCount: 3, CollectionID: c.ID, OrgID: "org_a"}
	err = db.AddObjectsStatus(ctx, c.ID, "org_a", objs, func(added time.Time, res []taxii.AddResult) *taxii.Status {
		if added.IsZero() || len(res) != 3 || !res[0].Created || !res[1].Created || res[2].Created {
			t.Errorf("AddObjects' answer: %v %+v", added, res)
		}
		st2.Status, st2.SuccessCount = "complete", len(res)
		return st2
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err = db.Status(ctx, st2.ID)
	if err != nil || got.Status != "complete" || got.SuccessCount != 3 || got.TotalCount != 3 {
		t.Fatalf("status written with objects: %+v %v", got, err)
	}
	if list, _, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 10}, nil, nil); err != nil || len(list) != 2 {
		t.Fatalf("objects written with a status: %d %v", len(list), err)
	}
	// Neither is written when the objects are not.
	st3 := *st2
	st3.ID = "0c3f1a52-8d8e-4d59-a7a3-5d0e7c9b2f40"
	err = db.AddObjectsStatus(ctx, "no-such-collection", "org_a", objs, func(time.Time, []taxii.AddResult) *taxii.Status { return &st3 })
	wantCode(t, err, errs.NotFound)
	_, err = db.Status(ctx, st3.ID)
	wantCode(t, err, errs.NotFound)
	// Nor are the objects when the status is not: an organization that
	// does not exist breaks its foreign key.
	st4 := *st2
	st4.ID, st4.OrgID = "5f0d8c1e-3b7a-4c2d-9e6f-1a2b3c4d5e6f", "org_nobody"
	err = db.AddObjectsStatus(ctx, c.ID, "org_a", []taxii.NewObject{obj(uuidN(5), t0)}, func(time.Time, []taxii.AddResult) *taxii.Status { return &st4 })
	if err == nil {
		t.Fatal("a status of an unknown organization was written")
	}
	if list, _, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 10, IDs: []string{uuidN(5)}}, nil, nil); err != nil || len(list) != 0 {
		t.Fatalf("objects kept although their status was not written: %d %v", len(list), err)
	}
}

// testQueueDrained: queued envelopes are all processed in one drain, more
// than the store hands out at once, and one that cannot be read completes
// with its objects failed instead of staying pending.
func testQueueDrained(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	svc, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db, Parse: stix.Parse})
	if err != nil {
		t.Fatal(err)
	}
	const n = 150
	t0 := time.Now().UTC().Truncate(time.Microsecond)
	var ids []string
	queue := func(i int, envelope string, total int) {
		st := &taxii.Status{ID: fmt.Sprintf("3c9a4f2e-0000-4000-8000-%012d", i), Status: "pending", RequestTimestamp: t0.Add(time.Duration(i) * time.Microsecond),
			TotalCount: total, PendingCount: total, CollectionID: c.ID, OrgID: "org_a"}
		if err := db.CreateStatus(ctx, st, []byte(envelope)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.ID)
	}
	queue(0, `{"Objects":[{"type":"indicator"}]}`, 1) // first in line, and unreadable
	for i := 1; i <= n; i++ {
		queue(i, `{"objects":[`+string(stixIndicator(uuidN(1000+i), tlpGreen, "queued"))+`]}`, 1)
	}
	svc.Drain(ctx)
	if jobs, err := db.PendingStatuses(ctx); err != nil || len(jobs) != 0 {
		t.Fatalf("%d envelopes still pending after a drain (%v)", len(jobs), err)
	}
	bad, err := db.Status(ctx, ids[0])
	if err != nil || bad.Status != "complete" || bad.FailureCount != 1 || len(bad.Failures) != 1 || !strings.Contains(bad.Failures[0].Message, "could not be read") {
		t.Fatalf("unreadable envelope's status: %+v %v", bad, err)
	}
	for _, id := range ids[1:] {
		st, err := db.Status(ctx, id)
		if err != nil || st.Status != "complete" || st.SuccessCount != 1 {
			t.Fatalf("status %s: %+v %v", id, st, err)
		}
	}
	list, _, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 1000}, nil, nil)
	if err != nil || len(list) != n {
		t.Fatalf("%d objects stored from %d envelopes (%v)", len(list), n, err)
	}
}

func testSecret(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	a := open(t, h, loc)
	b := open(t, h, loc)
	s1, err := a.Secret(ctx, "x")
	if err != nil || len(s1) != 32 {
		t.Fatalf("secret: %x %v", s1, err)
	}
	s2, _ := b.Secret(ctx, "x")
	s3, _ := a.Secret(ctx, "y")
	if string(s1) != string(s2) || string(s1) == string(s3) {
		t.Fatal("replicas must share a secret; names must not")
	}
}

// testObjectHeads: every field a reader gets back from an object row (the
// row's head, migration 0017) is the one written, also for rows written
// before that migration, whose heads it fills in.
func testObjectHeads(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	db := open(t, h, loc)
	c := collectionFixture(t, db)
	seedOrg(t, db, "org_b", "bravo")
	t0 := time.Date(2025, 2, 21, 10, 0, 0, 123456000, time.UTC)
	red := obj(uuidN(1), t0)
	red.Markings = []string{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "marking-definition--0f2e4a1c-3c1b-4c76-9d52-9b1fb3a5b3a1"}
	red.Level, red.Group = sharing.Red, "grp_fiu"
	red.Recipients = []sharing.Recipient{{Kind: sharing.RecipientOrg, ID: "org_b"}, {Kind: sharing.RecipientGroup, ID: "grp_x"}}
	granular := obj(uuidN(2), t0)
	granular.Raw = json.RawMessage(`{"type":"indicator","id":"` + uuidN(2) + `","granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["name"]}]}`)
	escaped := obj(uuidN(3), t0)
	escaped.Raw = json.RawMessage(`{"type":"indicator","id":"` + uuidN(3) + `","name":"caf\u00e9"}`)
	sco := taxii.NewObject{ID: "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd", Type: "ipv4-addr", SpecVersion: "2.1", Level: sharing.Unmarked,
		Raw: json.RawMessage(`{"type":"ipv4-addr","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`)}
	if _, _, err := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{red, granular, escaped, sco}); err != nil {
		t.Fatal(err)
	}
	sighting := taxii.NewObject{ID: "sighting--6b0e3856-95f4-4f4a-8bd6-6b0f7d9a1c11", Type: "sighting", SpecVersion: "2.1", Version: t0, SightingOf: uuidN(1),
		Raw: json.RawMessage(`{"type":"sighting","id":"sighting--6b0e3856-95f4-4f4a-8bd6-6b0f7d9a1c11","sighting_of_ref":"` + uuidN(1) + `"}`)}
	if _, _, err := db.AddObjects(ctx, c.ID, "org_b", []taxii.NewObject{sighting}); err != nil {
		t.Fatal(err)
	}
	objs := everyVersion(t, db, c.ID)
	if len(objs) != 5 {
		t.Fatalf("%d objects, want 5", len(objs))
	}
	byID := map[string]taxii.StoredObject{}
	for _, o := range objs {
		byID[o.ID] = o
		if o.CollectionID != c.ID || o.SpecVersion != "2.1" || o.DateAdded.IsZero() || o.Seq == 0 {
			t.Errorf("%s: collection %q, spec %q, added %v, seq %d", o.ID, o.CollectionID, o.SpecVersion, o.DateAdded, o.Seq)
		}
	}
	r := byID[uuidN(1)]
	if r.Type != "indicator" || !r.Version.Equal(t0) || r.AddedByOrg != "org_a" || r.Level != sharing.Red || r.Group != "grp_fiu" ||
		!reflect.DeepEqual(r.Recipients, red.Recipients) || !r.NoGranular || string(r.Raw) != string(red.Raw) {
		t.Errorf("red object read back as %+v", r)
	}
	if byID[uuidN(2)].NoGranular || byID[uuidN(3)].NoGranular {
		t.Error("an object with granular markings, or with an escape that may spell them, is marked as having none")
	}
	if s := byID[sco.ID]; s.Level != sharing.Unmarked || s.Recipients != nil || s.Version.IsZero() {
		t.Errorf("unmarked SCO read back as %+v", s)
	}
	if s := byID[sighting.ID]; s.SightedOwner != "org_a" || s.AddedByOrg != "org_b" {
		t.Errorf("sighting read back as %+v", s)
	}

	// A row without a head (a trawl from before 0017 writing): PostgreSQL
	// refuses it; on SQLite, reads that meet it fail.
	_, err := db.SQL().ExecContext(ctx, `INSERT INTO stix_objects (collection_id, object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, raw)
		VALUES ($1, 'indicator--00000000-0000-4000-8000-0000000000ff', 'indicator', '2.1', 1, 1, TRUE, TRUE, 'org_a', '', $2)`, c.ID, []byte(`{}`))
	if db.Dialect() == "sqlite" {
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.Objects(ctx, c.ID, &taxii.Query{Versions: taxii.VersionAll}, nil, &taxii.Visibility{All: true}); err == nil {
			t.Error("a page with a row without a head was read")
		}
		if _, err := db.SQL().ExecContext(ctx, `DELETE FROM stix_objects WHERE head IS NULL`); err != nil {
			t.Fatal(err)
		}
	} else if err == nil {
		t.Error("a row without a head was stored")
	}

	// As written before migration 0017: no head. Opening the store again
	// runs the migration, which fills them in.
	for _, q := range []string{`ALTER TABLE stix_objects DROP COLUMN head`, `DELETE FROM schema_migrations WHERE version >= 17`} {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	again := everyVersion(t, open(t, h, loc), c.ID)
	if !reflect.DeepEqual(again, objs) {
		t.Errorf("after migration 0017 filled the heads in:\n%+v\nwant\n%+v", again, objs)
	}
}
