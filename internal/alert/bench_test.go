package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/taxii"
)

// BenchmarkListInbox: one page of 100 alerts for their addressee, each
// re-checked against its sources (10 collections on the hub; 100 distinct
// source sets), on SQLite.
func BenchmarkListInbox(b *testing.B) {
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	hub, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
	if err != nil {
		b.Fatal(err)
	}
	svc := alert.NewService(alert.Options{Store: db, Sources: hub, Directory: db})
	for _, o := range []string{"fiu", "exchange"} {
		db.CreateOrg(ctx, &identity.Org{ID: "org_" + o, Name: o, Title: o, CreatedAt: time.Now()})
	}
	fiu, ex := analyst("org_fiu"), analyst("org_exchange")
	var ids []string
	for c := range 10 {
		coll := fmt.Sprintf("00000000-0000-4000-8000-%012d", c)
		db.CreateCollection(ctx, &taxii.Collection{ID: coll, Title: "c", OwnerOrgID: "org_fiu", DefaultTLP: "amber", CreatedAt: time.Now()})
		db.SetGrant(ctx, taxii.Grant{CollectionID: coll, OrgID: "org_exchange", CanRead: true})
		for i := range 10 {
			id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", c*10+i)
			raw, _ := json.Marshal(map[string]any{"type": "indicator", "id": id, "spec_version": "2.1"})
			db.AddObjects(ctx, coll, "org_fiu", []taxii.NewObject{{ID: id, Type: "indicator", SpecVersion: "2.1", Level: sharing.Amber, Raw: raw, Version: time.Now()}})
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if _, err := svc.Raise(ctx, fiu, alert.Request{To: "exchange", Kind: alert.KindDeposit, Sources: []string{id}, Subjects: []alert.Subject{{Chain: "btc", Address: "bc1q"}}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		as, _, err := svc.List(ctx, ex, alert.Filter{Box: alert.BoxInbox, Limit: 100})
		if err != nil || len(as) != 100 {
			b.Fatalf("%d alerts, %v", len(as), err)
		}
	}
}
