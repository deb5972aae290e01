package sqlitestore_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/taxii"
)

// BenchmarkObjectsPage reads one 1,000-object page of a 20,000-object
// collection as a reader of another organization (the visibility rule in
// the query), the store's part of serving a TAXII page.
func BenchmarkObjectsPage(b *testing.B) {
	ctx := context.Background()
	db, c := benchHub(b)
	for base := 0; base < 20_000; base += 1000 {
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", benchObjects(base, 1000)); err != nil {
			b.Fatal(err)
		}
	}
	v := &taxii.Visibility{OrgID: "org_b", Default: sharing.Amber}
	q := &taxii.Query{Limit: 1000, Versions: taxii.VersionLast}
	after := &taxii.Position{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		q2 := *q
		objs, more, err := db.Objects(ctx, c.ID, &q2, nil, v)
		if err != nil || len(objs) != 1000 || !more {
			b.Fatalf("%d objects, more %v, %v", len(objs), more, err)
		}
		*after = taxii.Position{DateAdded: objs[len(objs)-1].DateAdded, Seq: objs[len(objs)-1].Seq}
	}
}

// benchObjects returns n AMBER indicators, numbered from base.
func benchObjects(base, n int) []taxii.NewObject {
	objs := make([]taxii.NewObject, n)
	for i := range objs {
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", base+i, base+i)
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":"TraderTraitor cash-out address %d","description":"Address that received funds stolen from an exchange hot wallet.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","labels":["dprk","lazarus"]}`,
			id, base+i, (base+i)>>8%256, (base+i)%256)
		objs[i] = taxii.NewObject{ID: id, Type: "indicator", SpecVersion: "2.1", Version: time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC),
			Markings: []string{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}, Level: sharing.Amber, Raw: []byte(raw)}
	}
	return objs
}

// BenchmarkAddObjects writes 1,000 new objects in one call, the store's
// part of a TAXII POST of an envelope of 1,000.
func BenchmarkAddObjects(b *testing.B) {
	ctx := context.Background()
	db, c := benchHub(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", benchObjects(i*1000, 1000)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHubIndex compares bringing the screening index of hub indicators
// up to date after a write with building it anew, on a hub of
// $TRAWL_BENCH_HUB indicators (default 100,000; the README's figure is for
// 1,000,000) that each name a wallet address:
//
//	TRAWL_BENCH_HUB=1000000 go test -run '^$' -bench HubIndex -benchtime 5x ./internal/sqlitestore/
//
// update/N re-marks N indicators in one write, then times the refresh
// that applies them; rebuild times RebuildHub.
func BenchmarkHubIndex(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("TRAWL_BENCH_HUB")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateOrg(ctx, &identity.Org{ID: "org_a", Name: "alpha", Title: "A", CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	c := &taxii.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "bench", OwnerOrgID: "org_a", DefaultTLP: "amber", CreatedAt: time.Now()}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)
	indicator := func(i int, v time.Time, level sharing.Level) taxii.NewObject {
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i)
		raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-02-21T00:00:00.000Z","modified":%q,"name":"TraderTraitor cash-out address %d","indicator_types":["malicious-activity"],"pattern":"[cryptocurrency-wallet:address = '0x%040x']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","labels":["dprk","lazarus"]}`,
			id, v.Format(time.RFC3339Nano), i, uint64(i)*2654435761)
		return taxii.NewObject{ID: id, Type: "indicator", SpecVersion: "2.1", Version: v, Level: level, Raw: []byte(raw)}
	}
	start := time.Now()
	for base := 0; base < n; base += 1000 {
		objs := make([]taxii.NewObject, 0, 1000)
		for i := base; i < min(base+1000, n); i++ {
			objs = append(objs, indicator(i, t0, sharing.Amber))
		}
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("hub of %d indicators stored in %s", n, time.Since(start).Round(time.Millisecond))
	hub, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
	if err != nil {
		b.Fatal(err)
	}
	sc := screening.New(db, hub)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := sc.Refresh(ctx, true); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("index of %d hits: %.0f MB of heap", len(sc.HubEntries()), float64(after.HeapAlloc-before.HeapAlloc)/1e6)
	b.Run("rebuild", func(b *testing.B) {
		for b.Loop() {
			if err := sc.RebuildHub(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	version := 0
	for _, k := range []int{1, 1000} {
		b.Run(fmt.Sprintf("update/%d", k), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				version++
				objs := make([]taxii.NewObject, k)
				for j := range objs {
					objs[j] = indicator((i*k+j)%n, t0.Add(time.Duration(version)*time.Second), sharing.AmberStrict)
				}
				if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := sc.Refresh(ctx, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchHub opens a store in a temporary directory with two organizations,
// org_a and org_b, and an AMBER collection owned by org_a.
func benchHub(b *testing.B) (*sqlstore.DB, *taxii.Collection) {
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	for _, o := range []string{"org_a", "org_b"} {
		if err := db.CreateOrg(ctx, &identity.Org{ID: o, Name: o[4:] + "org", Title: o, CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	c := &taxii.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "bench", OwnerOrgID: "org_a", DefaultTLP: "amber", CreatedAt: time.Now()}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	return db, c
}
