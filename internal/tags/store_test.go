package tags

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// memStore is the Store contract in a map, for testing Import; the real
// adapters run the conformance suite in internal/storetest.
type memStore struct {
	packs    map[string][]Tag
	imports  []ImportRecord
	replaces int
}

func (m *memStore) PackTags(_ context.Context, pack string) ([]Tag, error) {
	return slices.Clone(m.packs[pack]), nil
}

func (m *memStore) ReplacePack(_ context.Context, pack string, ts []Tag, rec *ImportRecord) error {
	m.packs[pack] = slices.Clone(ts)
	m.imports = append(m.imports, *rec)
	m.replaces++
	return nil
}

func (m *memStore) TagsByAddress(context.Context, []string) ([]Tag, error) { return nil, nil }
func (m *memStore) EachTag(context.Context, Chain, func(Tag) error) error  { return nil }
func (m *memStore) TagImports(context.Context, string, int) ([]ImportRecord, error) {
	return m.imports, nil
}
func (m *memStore) TagsVersion(context.Context) (int64, error) { return int64(m.replaces), nil }

func TestImport(t *testing.T) {
	ctx := context.Background()
	st := &memStore{packs: map[string][]Tag{}}
	ts, meta := parseFile(t, "lazarus.yaml", ParseTagPack)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	rec, err := Import(ctx, st, "bybit", ts, meta, "h1", "imp1", now)
	if err != nil || rec.Added != 4 || rec.Removed != 0 || rec.Changed != 0 || rec.Unchanged || st.replaces != 1 {
		t.Fatalf("first import: %+v %v", rec, err)
	}
	if len(rec.Sources) != 2 || rec.Sources[0].Source != "https://home.treasury.gov/news/press-releases/jy0731" || rec.Sources[0].Added != 1 || rec.Sources[1].Added != 3 {
		t.Errorf("per source: %+v", rec.Sources)
	}
	if st.packs["bybit"][0].Pack != "bybit" {
		t.Error("stored tags do not name their pack")
	}
	// The same again: nothing stored, and said so.
	rec, err = Import(ctx, st, "bybit", ts, meta, "h1", "imp2", now)
	if err != nil || rec.Added+rec.Removed+rec.Changed != 0 || !rec.Unchanged || st.replaces != 1 {
		t.Fatalf("repeat import: %+v %v", rec, err)
	}
	// One tag changes its actor, one goes, one comes.
	next := slices.Clone(ts[:3])
	next[0].Actor = "tradertraitor"
	next = append(next, tag("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "new", Gambling, "", 20))
	rec, err = Import(ctx, st, "bybit", next, meta, "h2", "imp3", now)
	if err != nil || rec.Added != 1 || rec.Removed != 1 || rec.Changed != 1 || rec.Unchanged {
		t.Fatalf("changed import: %+v %v", rec, err)
	}
	if rec.Diff.Changed[0].Actor != "tradertraitor" || rec.Diff.Removed[0].Label != "Example exchange deposit" {
		t.Errorf("diff: %+v", rec.Diff)
	}
	// A label that only differs in its tag's other fields is a change, not a
	// new tag; another label on the same address is a new tag.
	if got := DiffTags(ts, ts); !got.Empty() {
		t.Errorf("a pack against itself: %+v", got)
	}
}

func TestImportRefuses(t *testing.T) {
	ctx := context.Background()
	st := &memStore{packs: map[string][]Tag{}}
	if _, err := Import(ctx, st, " ", nil, Meta{}, "", "i", time.Now()); !errs.Is(err, errs.Invalid) {
		t.Errorf("empty pack name: %v", err)
	}
	bad := []Tag{{Chain: BTC, Key: "k", Address: "k", Label: "l"}}
	if _, err := Import(ctx, st, "p", bad, Meta{}, "", "i", time.Now()); !errs.Is(err, errs.Invalid) {
		t.Errorf("tag without source: %v", err)
	}
}

func TestImportCapsTheDiff(t *testing.T) {
	st := &memStore{packs: map[string][]Tag{}}
	var ts []Tag
	for i := range MaxDiff + 5 {
		ts = append(ts, tag(strings.Repeat("a", i+1), "l", Exchange, "", 50))
	}
	rec, err := Import(context.Background(), st, "big", ts, Meta{}, "", "i", time.Now())
	if err != nil || rec.Added != MaxDiff+5 || len(rec.Diff.Added) != MaxDiff || !rec.Truncated {
		t.Fatalf("%d added, %d in the diff, truncated %v, %v", rec.Added, len(rec.Diff.Added), rec.Truncated, err)
	}
}
