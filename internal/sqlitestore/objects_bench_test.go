package sqlitestore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/taxii"
)

// BenchmarkObjectsPageAndSearch reads 1,000-object pages of a 20,000-object collection
// through the store's visibility filter, as the owner and as a granted org,
// and searches it by text (a page of 100 and the count of all matches).
func BenchmarkObjectsPageAndSearch(b *testing.B) {
	ctx := context.Background()
	db, c := benchHub(b)
	db.SetGrant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: "org_b", CanRead: true})
	for k := range 20 {
		var objs []taxii.NewObject
		for i := range 1000 {
			id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", k*1000+i)
			raw, _ := json.Marshal(map[string]any{"type": "indicator", "id": id, "spec_version": "2.1", "pattern": fmt.Sprintf("[ipv4-addr:value = '10.0.%d.%d']", k, i), "name": "an indicator with a name", "description": strings.Repeat("x", 800)})
			objs = append(objs, taxii.NewObject{ID: id, Type: "indicator", SpecVersion: "2.1", Version: time.Unix(1700000000, 0), Level: -1, Raw: raw, Markings: []string{"m"},
				SearchText: fmt.Sprintf("an indicator with a name\n[ipv4-addr:value = '10.0.%d.%d']", k, i)})
		}
		if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
			b.Fatal(err)
		}
	}
	for _, org := range []string{"org_a", "org_b"} {
		// The REST search: a page of 100 and the count of all matches.
		b.Run("search-"+org, func(b *testing.B) {
			v := &taxii.Visibility{OrgID: org, PerCollection: true}
			f := &taxii.Search{Collections: []string{c.ID}, Text: "10.0.1.", Limit: 100}
			for b.Loop() {
				objs, _, err := db.SearchObjects(ctx, f, 0, v)
				if err != nil || len(objs) != 100 {
					b.Fatal(err, len(objs))
				}
				if n, err := db.CountObjects(ctx, f, v); err != nil || n != 1000 {
					b.Fatal(err, n)
				}
			}
		})
		b.Run(org, func(b *testing.B) {
			v := &taxii.Visibility{OrgID: org, Default: 2}
			for b.Loop() {
				objs, _, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 1000}, &taxii.Position{DateAdded: time.UnixMicro(0), Seq: int64(5000)}, v)
				if err != nil || len(objs) != 1000 {
					b.Fatal(err, len(objs))
				}
			}
		})
	}
}
