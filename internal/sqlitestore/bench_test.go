package sqlitestore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/taxii"
)

// BenchmarkObjectsPage reads one 1,000-object page of a 20,000-object
// collection as a reader of another organization (the visibility rule in
// the query), the store's part of serving a TAXII page.
func BenchmarkObjectsPage(b *testing.B) {
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, o := range []string{"org_a", "org_b"} {
		if err := db.CreateOrg(ctx, &identity.Org{ID: o, Name: o[4:] + "org", Title: o, CreatedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
	}
	c := &taxii.Collection{ID: "91a7b528-80eb-42ed-a74d-c6fbd5a26116", Title: "bench", OwnerOrgID: "org_a", DefaultTLP: "amber", CreatedAt: time.Now()}
	if err := db.CreateCollection(ctx, c); err != nil {
		b.Fatal(err)
	}
	for base := 0; base < 20_000; base += 1000 {
		objs := make([]taxii.NewObject, 1000)
		for i := range objs {
			id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", base+i, base+i)
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":"TraderTraitor cash-out address %d","description":"Address that received funds stolen from an exchange hot wallet.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","labels":["dprk","lazarus"]}`,
				id, base+i, (base+i)>>8%256, (base+i)%256)
			objs[i] = taxii.NewObject{ID: id, Type: "indicator", SpecVersion: "2.1", Version: time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC),
				Markings: []string{"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"}, Level: sharing.Amber, Raw: []byte(raw)}
		}
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
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
