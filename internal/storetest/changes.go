package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/taxii"
)

func changesTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"ObjectsCounter", testObjectsCounter},
		{"ObjectsCounterReplicas", testObjectsCounterReplicas},
	}
}

// changes collects what ObjectChanges reports: per "collection/id" the
// latest version's time, or the zero time when none is left.
func changes(t *testing.T, db interface {
	ObjectChanges(context.Context, int64, []string, func(string, string, *taxii.StoredObject) error) (int64, error)
}, since int64) (map[string]time.Time, int64) {
	t.Helper()
	out := map[string]time.Time{}
	now, err := db.ObjectChanges(context.Background(), since, []string{"indicator"}, func(coll, id string, o *taxii.StoredObject) error {
		if o != nil && (o.CollectionID != coll || o.ID != id) {
			return fmt.Errorf("reported %s/%s with the object %s/%s", coll, id, o.CollectionID, o.ID)
		}
		var v time.Time
		if o != nil {
			v = o.Version
		}
		out[coll+"/"+id] = v
		return nil
	})
	if err != nil {
		t.Fatalf("ObjectChanges(%d): %v", since, err)
	}
	return out, now
}

// testObjectsCounter: the counter grows by one per writing transaction and
// not otherwise, and ObjectChanges reports exactly the objects written or
// deleted since a value, with their latest version.
func testObjectsCounter(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	c := collectionFixture(t, db)
	version := func() int64 {
		t.Helper()
		v, err := db.ObjectsVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	add := func(objs ...taxii.NewObject) {
		t.Helper()
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
	v0 := version()
	add(obj(uuidN(1), t0), obj(uuidN(2), t0), obj(uuidN(3), t0))
	if v := version(); v != v0+1 {
		t.Fatalf("after one write: counter %d, want %d", v, v0+1)
	}
	add(obj(uuidN(1), t0)) // already stored: nothing written
	if v := version(); v != v0+1 {
		t.Fatalf("after a write of nothing new: counter %d, want %d", v, v0+1)
	}
	got, now := changes(t, db, v0)
	if now != v0+1 || len(got) != 3 || !got[c.ID+"/"+uuidN(2)].Equal(t0) {
		t.Fatalf("changes since %d: %v up to %d, want the 3 objects up to %d", v0, got, now, v0+1)
	}
	if got, _ := changes(t, db, now); len(got) != 0 {
		t.Fatalf("changes since the current value: %v, want none", got)
	}
	// A new version of 2, then 3 deleted.
	v1 := version()
	add(obj(uuidN(2), t0.Add(time.Hour)))
	if n, err := db.DeleteObject(ctx, c.ID, uuidN(3), &taxii.Query{}, ""); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if n, err := db.DeleteObject(ctx, c.ID, uuidN(3), &taxii.Query{}, ""); err != nil || n != 0 {
		t.Fatalf("delete again: %d, %v", n, err)
	}
	if v := version(); v != v1+2 {
		t.Fatalf("after a new version and a deletion: counter %d, want %d", v, v1+2)
	}
	got, now = changes(t, db, v1)
	want := map[string]time.Time{c.ID + "/" + uuidN(2): t0.Add(time.Hour), c.ID + "/" + uuidN(3): {}}
	if now != v1+2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("changes since %d: %v up to %d, want %v up to %d", v1, got, now, want, v1+2)
	}
	// Deleting the newest version brings the older one back as the latest.
	v2 := version()
	if _, err := db.DeleteObject(ctx, c.ID, uuidN(2), &taxii.Query{Versions: taxii.VersionLast}, ""); err != nil {
		t.Fatal(err)
	}
	got, _ = changes(t, db, v2)
	if len(got) != 1 || !got[c.ID+"/"+uuidN(2)].Equal(t0) {
		t.Fatalf("after deleting the newest version: %v, want %s at %s", got, uuidN(2), t0)
	}
	// Other types are not reported.
	v3 := version()
	o := obj("malware--00000000-0000-4000-8000-000000000001", t0)
	o.Type = "malware"
	add(o)
	if got, _ := changes(t, db, v3); len(got) != 0 {
		t.Fatalf("a malware object reported as an indicator change: %v", got)
	}
}

// testObjectsCounterReplicas: two handles on one store (two replicas) write
// at once while a third follows the counter; every value is taken once,
// and following ObjectChanges from value to value misses no object.
func testObjectsCounterReplicas(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	a := open(t, h, loc)
	c := collectionFixture(t, a)
	b := open(t, h, loc)
	reader := open(t, h, loc)
	const perWriter = 25
	t0 := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
	v0, err := reader.ObjectsVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	for w, db := range []interface {
		AddObjects(context.Context, string, string, []taxii.NewObject) (time.Time, []taxii.AddResult, error)
	}{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if _, _, err := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{obj(uuidN(1000*(w+1)+i), t0)}); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]bool{}
	since := v0
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true // one more round after the writers are done
		default:
		}
		got, now := changes(t, reader, since)
		for k := range got {
			seen[k] = true
		}
		since = now
	}
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if since != v0+2*perWriter {
		t.Errorf("counter %d after %d writes from two replicas, want %d", since, 2*perWriter, v0+2*perWriter)
	}
	if len(seen) != 2*perWriter {
		t.Errorf("following the counter saw %d objects, want all %d", len(seen), 2*perWriter)
	}
}
