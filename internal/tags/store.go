package tags

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// ImportRecord is one import of one pack, kept as history.
type ImportRecord struct {
	ID        string         `json:"id"`
	Pack      string         `json:"pack"`
	Format    string         `json:"format"`
	At        time.Time      `json:"at"`
	SHA256    string         `json:"sha256"` // of the file as read
	Tags      int            `json:"tags"`
	Added     int            `json:"added"`
	Removed   int            `json:"removed"`
	Changed   int            `json:"changed"`
	Sources   []SourceCounts `json:"sources"`        // the same counts per source named by the tags
	Diff      Diff           `json:"diff"`           // at most MaxDiff tags in each list; the counts above are exact
	Truncated bool           `json:"diff_truncated"` // Diff holds only the first MaxDiff tags of a list
	Unchanged bool           `json:"unchanged"`      // the same tags as the previous import
}

// MaxDiff bounds each list of an ImportRecord's Diff, so that the history of
// a pack of a million tags stays small.
const MaxDiff = 1000

// SourceCounts are an import's figures for the tags of one source.
type SourceCounts struct {
	Source  string `json:"source"`
	Tags    int    `json:"tags"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
	Changed int    `json:"changed"`
}

// Diff is what changed between two imports of a pack. Tags are matched by
// ID; a tag whose ID is in both but whose other fields differ is Changed
// (its new version).
type Diff struct {
	Added   []Tag `json:"added,omitempty"`
	Removed []Tag `json:"removed,omitempty"`
	Changed []Tag `json:"changed,omitempty"`
}

// Empty reports whether d holds no change.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// DiffTags compares two versions of a pack. The result is in the order of
// Better, so it does not depend on the order of either list.
func DiffTags(old, new []Tag) Diff {
	om := make(map[ID]*Tag, len(old))
	for i := range old {
		om[old[i].ID()] = &old[i]
	}
	nm := make(map[ID]bool, len(new))
	var d Diff
	for i := range new {
		n := &new[i]
		id := n.ID()
		nm[id] = true
		o, ok := om[id]
		switch {
		case !ok:
			d.Added = append(d.Added, *n)
		case !reflect.DeepEqual(asStored(*o), asStored(*n)):
			d.Changed = append(d.Changed, *n)
		}
	}
	for i := range old {
		if !nm[old[i].ID()] {
			d.Removed = append(d.Removed, old[i])
		}
	}
	for _, ts := range [][]Tag{d.Added, d.Removed, d.Changed} {
		slices.SortFunc(ts, func(a, b Tag) int {
			if Better(&a, &b) {
				return -1
			}
			if Better(&b, &a) {
				return 1
			}
			return 0
		})
	}
	return d
}

// asStored is t as DiffTags compares it: what a store gives back for a
// tag it was given (no pack, times in UTC to the microsecond, no empty
// slices).
func asStored(t Tag) Tag {
	t.Pack = ""
	t.LastMod = t.LastMod.UTC().Truncate(time.Microsecond)
	if len(t.Concepts) == 0 {
		t.Concepts = nil
	}
	return t
}

// Store keeps the current tags of every pack and the history of imports.
//
// ReplacePack swaps a pack's tags and records the import in one transaction:
// a crash leaves either the old tags or the new ones. Every method is safe
// for concurrent use. EachTag streams: fn must not write to the store, and
// an error from fn stops the walk and is returned.
type Store interface {
	PackTags(ctx context.Context, pack string) ([]Tag, error)
	ReplacePack(ctx context.Context, pack string, tags []Tag, rec *ImportRecord) error
	// TagsByAddress returns the tags of the given addresses, in any notation
	// (they are matched by address.Key), on every chain.
	TagsByAddress(ctx context.Context, addresses []string) ([]Tag, error)
	// EachTag calls fn with every tag of chain, ordered by address key.
	EachTag(ctx context.Context, chain Chain, fn func(Tag) error) error
	TagImports(ctx context.Context, pack string, limit int) ([]ImportRecord, error)
	// TagsVersion changes whenever any pack is replaced, so that a tracer
	// that holds the tags in memory knows when to reload them.
	TagsVersion(ctx context.Context) (int64, error)
}

// Import makes ts the current tags of pack, recording what was added,
// removed and changed since the previous import, in total and per source.
// Importing the same tags again stores nothing and says so.
func Import(ctx context.Context, store Store, pack string, ts []Tag, meta Meta, sha256, id string, now time.Time) (*ImportRecord, error) {
	if err := CheckPack(pack); err != nil {
		return nil, err
	}
	pack = strings.TrimSpace(pack)
	ts, _ = dedupe(slices.Clone(ts))
	for i := range ts {
		if ts[i].Key == "" || ts[i].Label == "" || ts[i].Source == "" || ts[i].Chain == "" {
			return nil, errs.E(errs.Invalid, "tags: tag %d (%s %q) lacks an address, label or source", i+1, ts[i].Address, ts[i].Label)
		}
		ts[i].Pack = pack
	}
	old, err := store.PackTags(ctx, pack)
	if err != nil {
		return nil, err
	}
	d := DiffTags(old, ts)
	rec := &ImportRecord{ID: id, Pack: pack, Format: meta.Format, At: now.UTC().Truncate(time.Microsecond), SHA256: sha256,
		Tags: len(ts), Added: len(d.Added), Removed: len(d.Removed), Changed: len(d.Changed), Diff: d, Unchanged: d.Empty(),
		Sources: perSource(ts, d)}
	for _, l := range []*[]Tag{&rec.Diff.Added, &rec.Diff.Removed, &rec.Diff.Changed} {
		if len(*l) > MaxDiff {
			*l, rec.Truncated = (*l)[:MaxDiff:MaxDiff], true
		}
	}
	if d.Empty() && len(old) > 0 {
		return rec, nil // idempotent: nothing to store
	}
	if err := store.ReplacePack(ctx, pack, ts, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// perSource counts ts and d by source, sorted by source.
func perSource(ts []Tag, d Diff) []SourceCounts {
	m := map[string]*SourceCounts{}
	get := func(s string) *SourceCounts {
		c := m[s]
		if c == nil {
			c = &SourceCounts{Source: s}
			m[s] = c
		}
		return c
	}
	for _, t := range ts {
		get(t.Source).Tags++
	}
	for _, t := range d.Added {
		get(t.Source).Added++
	}
	for _, t := range d.Removed {
		get(t.Source).Removed++
	}
	for _, t := range d.Changed {
		get(t.Source).Changed++
	}
	out := make([]SourceCounts, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b SourceCounts) int { return strings.Compare(a.Source, b.Source) })
	return out
}
