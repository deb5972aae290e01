package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/watchlist"
)

func testWatchlistImports(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	la := func(v string) watchlist.ListedAddress { return watchlist.NewListedAddress("ETH", v) }
	v1 := []watchlist.Entry{
		{UID: "27307", Name: "LAZARUS GROUP", Type: "entity", Programs: []string{"DPRK3"}, Addresses: []watchlist.ListedAddress{la("0x098B716B8Aaf21512996dC57EB0615e2383E2f96")}},
		{UID: "1", Name: "Someone", Type: "individual"},
	}
	ver0, _ := db.WatchlistVersion(ctx)
	rec, err := watchlist.Import(ctx, db, "ofac-sdn", v1, watchlist.Meta{Addresses: 1}, "aa", "imp1", time.Now())
	if err != nil || rec.Added != 2 || rec.Unchanged {
		t.Fatalf("first import: %+v %v", rec, err)
	}
	ver1, _ := db.WatchlistVersion(ctx)
	if ver1 == ver0 {
		t.Fatal("version did not change")
	}
	// The same again: nothing stored, said so.
	rec, err = watchlist.Import(ctx, db, "ofac-sdn", v1, watchlist.Meta{}, "aa", "imp2", time.Now())
	if err != nil || !rec.Unchanged {
		t.Fatalf("repeat import: %+v %v", rec, err)
	}
	if v, _ := db.WatchlistVersion(ctx); v != ver1 {
		t.Fatal("a repeat import changed the version")
	}
	v2 := []watchlist.Entry{
		{UID: "27307", Name: "LAZARUS GROUP", Type: "entity", Programs: []string{"DPRK3"}, Addresses: []watchlist.ListedAddress{la("0x098B716B8Aaf21512996dC57EB0615e2383E2f96"), la("0xa0e1c89Ef1a489c9C7dE96311eD5Ce5D32c20E4B")}},
		{UID: "2", Name: "Someone Else", Type: "individual"},
	}
	rec, err = watchlist.Import(ctx, db, "ofac-sdn", v2, watchlist.Meta{}, "bb", "imp3", time.Now())
	if err != nil || rec.Added != 1 || rec.Removed != 1 || rec.Changed != 1 || len(rec.Diff.AddressesAdded) != 1 {
		t.Fatalf("changed import: %+v %v", rec, err)
	}
	got, _ := db.SourceEntries(ctx, "ofac-sdn")
	if len(got) != 2 || got[0].UID != "2" || len(got[1].Addresses) != 2 {
		t.Fatalf("entries after import: %+v", got)
	}
	hist, _ := db.Imports(ctx, "ofac-sdn", 10)
	if len(hist) != 2 || hist[0].ID != "imp3" {
		t.Fatalf("history: %+v", hist)
	}
	// Other sources are untouched.
	watchlist.Import(ctx, db, "fbi", []watchlist.Entry{{UID: "tt", Name: "TraderTraitor"}}, watchlist.Meta{}, "cc", "imp4", time.Now())
	all, _ := db.AllEntries(ctx)
	if len(all) != 3 {
		t.Fatalf("all entries: %d", len(all))
	}
}
