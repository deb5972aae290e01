package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/tags"
)

func tagsTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"TagImports", testTagImports},
		{"TagLookups", testTagLookups},
		{"TagImportsConcurrent", testTagImportsConcurrent},
	}
}

// A small TagPack: three tags on Ethereum and Bitcoin from two sources.
const tagPack = `title: conformance
creator: storetest
source: https://www.ic3.gov/PSA/2025/PSA250226
actor: lazarus-group
category: stolen_funds
confidence: authority_data
lastmod: 2025-02-26T10:11:12.123456789Z
tags:
  - address: "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D"
    currency: ETH
    label: TraderTraitor (Bybit theft)
    concepts: [service_hack]
  - address: "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
    currency: ETH
    label: Ronin Bridge exploiter
    source: https://home.treasury.gov/news/press-releases/jy0731
    category: sanctioned
  - address: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4
    currency: BTC
    label: Example exchange
    actor: example-exchange
    category: exchange
    is_cluster_definer: true
`

func parsePack(t *testing.T, s string) ([]tags.Tag, tags.Meta) {
	t.Helper()
	ts, meta, err := tags.ParseTagPack(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return ts, meta
}

func testTagImports(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	ts, meta := parsePack(t, tagPack)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	ver0, _ := db.TagsVersion(ctx)
	rec, err := tags.Import(ctx, db, "bybit", ts, meta, "aa", "timp1", now)
	if err != nil || rec.Added != 3 || rec.Unchanged || len(rec.Sources) != 2 {
		t.Fatalf("first import: %+v %v", rec, err)
	}
	ver1, _ := db.TagsVersion(ctx)
	if ver1 == ver0 {
		t.Fatal("version did not change")
	}
	// What comes back is what went in, to the nanosecond the store keeps.
	got, err := db.PackTags(ctx, "bybit")
	if err != nil || len(got) != 3 {
		t.Fatalf("pack tags: %d, %v", len(got), err)
	}
	if d := tags.DiffTags(ts, got); !d.Empty() {
		t.Fatalf("round trip changed tags: %+v", d)
	}
	for _, g := range got {
		if g.Pack != "bybit" {
			t.Fatalf("tag without its pack: %+v", g)
		}
	}
	// The same file again: nothing stored, 0 added, said so.
	rec, err = tags.Import(ctx, db, "bybit", ts, meta, "aa", "timp2", now.Add(time.Hour))
	if err != nil || !rec.Unchanged || rec.Added+rec.Removed+rec.Changed != 0 {
		t.Fatalf("repeat import: %+v %v", rec, err)
	}
	if v, _ := db.TagsVersion(ctx); v != ver1 {
		t.Fatal("a repeat import changed the version")
	}
	if hist, _ := db.TagImports(ctx, "bybit", 10); len(hist) != 1 {
		t.Fatalf("a repeat import was recorded: %d records", len(hist))
	}
	// One tag changes, one goes, one comes.
	next := []tags.Tag{ts[0], ts[1]}
	next[0].Confidence = 90
	extra, _ := parsePack(t, "title: x\ncreator: y\ntags:\n  - {address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa, label: Genesis, source: block 0, category: other}\n")
	next = append(next, extra...)
	rec, err = tags.Import(ctx, db, "bybit", next, meta, "bb", "timp3", now.Add(2*time.Hour))
	if err != nil || rec.Added != 1 || rec.Removed != 1 || rec.Changed != 1 {
		t.Fatalf("changed import: %+v %v", rec, err)
	}
	hist, err := db.TagImports(ctx, "bybit", 10)
	if err != nil || len(hist) != 2 || hist[0].ID != "timp3" || hist[0].Diff.Changed[0].Confidence != 90 || len(hist[0].Sources) != 3 {
		t.Fatalf("history: %+v %v", hist, err)
	}
	if all, _ := db.TagImports(ctx, "", 10); len(all) != 2 {
		t.Fatalf("history of every pack: %d", len(all))
	}
	// Another pack is untouched by this one, and the other way round.
	if _, err := tags.Import(ctx, db, "other", ts[2:], meta, "cc", "timp4", now); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.PackTags(ctx, "bybit"); len(got) != 3 {
		t.Fatalf("bybit after importing another pack: %d tags", len(got))
	}
	// An empty pack removes every tag of the pack.
	rec, err = tags.Import(ctx, db, "other", nil, meta, "dd", "timp5", now)
	if err != nil || rec.Removed != 1 {
		t.Fatalf("emptying a pack: %+v %v", rec, err)
	}
	if got, _ := db.PackTags(ctx, "other"); len(got) != 0 {
		t.Fatalf("emptied pack: %d tags", len(got))
	}
}

func testTagLookups(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	ts, meta := parsePack(t, tagPack)
	if _, err := tags.Import(ctx, db, "bybit", ts, meta, "aa", "timp1", time.Now()); err != nil {
		t.Fatal(err)
	}
	// A second source tags the Ronin exploiter too.
	ofac, meta2 := parsePack(t, "title: o\ncreator: o\ntags:\n  - {address: \"0x098b716b8aaf21512996dc57eb0615e2383e2f96\", currency: ETH, label: LAZARUS GROUP, source: OFAC SDN 27307, category: sanction}\n")
	if _, err := tags.Import(ctx, db, "ofac", ofac, meta2, "bb", "timp2", time.Now()); err != nil {
		t.Fatal(err)
	}
	// By address, in any notation: case is folded where the format allows.
	got, err := db.TagsByAddress(ctx, []string{"0X098B716B8AAF21512996DC57EB0615E2383E2F96", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "nothing-here", ""})
	if err != nil || len(got) != 3 {
		t.Fatalf("by address: %d tags, %v", len(got), err)
	}
	packs := map[string]int{}
	for _, g := range got {
		packs[g.Pack]++
	}
	if packs["bybit"] != 2 || packs["ofac"] != 1 {
		t.Fatalf("by address: %v", packs)
	}
	if got, err := db.TagsByAddress(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no addresses: %v %v", got, err)
	}
	// Many addresses at once (more than one query's worth).
	many := make([]string, 1200)
	for i := range many {
		many[i] = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfN" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	many[1100] = "0x51e9d833ecae4e8d9d8be17300aee6d3398c135d"
	if got, err := db.TagsByAddress(ctx, many); err != nil || len(got) != 1 {
		t.Fatalf("1200 addresses: %d tags, %v", len(got), err)
	}
	// Every tag of a chain, ordered by address key.
	var eth []tags.Tag
	if err := db.EachTag(ctx, tags.ETH, func(tg tags.Tag) error { eth = append(eth, tg); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(eth) != 3 || eth[0].Key > eth[len(eth)-1].Key || eth[0].Chain != tags.ETH {
		t.Fatalf("eth tags: %+v", eth)
	}
	var btc []tags.Tag
	db.EachTag(ctx, tags.BTC, func(tg tags.Tag) error { btc = append(btc, tg); return nil })
	if len(btc) != 1 || !btc[0].ClusterDefiner || btc[0].Category != tags.Exchange {
		t.Fatalf("btc tags: %+v", btc)
	}
	stop := errors.New("enough")
	n := 0
	if err := db.EachTag(ctx, tags.ETH, func(tags.Tag) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("an error from fn stops the walk: %v after %d", err, n)
	}
	// The tracer's view of a cluster of the two exploiter addresses.
	r := tags.Resolve(eth)
	if r.Primary == nil || r.Service != nil || len(r.Conflicts) != 0 {
		t.Fatalf("resolution: %+v", r)
	}
}

// Two replicas import the same pack at once: one wins, the other's import
// is either a no-op or a full replacement, never a mix.
func testTagImportsConcurrent(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	a, b := open(t, h, loc), open(t, h, loc)
	ts, meta := parsePack(t, tagPack)
	var wg sync.WaitGroup
	errc := make(chan error, 2)
	for i, db := range []tags.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := tags.Import(ctx, db, "bybit", ts, meta, "aa", []string{"c1", "c2"}[i], time.Now())
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent import: %v", err)
		}
	}
	if got, _ := a.PackTags(ctx, "bybit"); len(got) != 3 {
		t.Fatalf("after concurrent imports: %d tags", len(got))
	}
}
