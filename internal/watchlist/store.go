package watchlist

import (
	"context"
	"time"
)

// ImportRecord is one import of one source, kept as history.
type ImportRecord struct {
	ID        string    `json:"id"`
	Source    Source    `json:"source"`
	At        time.Time `json:"at"`
	SHA256    string    `json:"sha256"` // of the file as read
	Issued    time.Time `json:"issued,omitzero"`
	Entries   int       `json:"entries"`
	Addresses int       `json:"addresses"`
	Invalid   int       `json:"invalid"`
	Added     int       `json:"added"`
	Removed   int       `json:"removed"`
	Changed   int       `json:"changed"`
	Diff      Diff      `json:"diff"`
	Unchanged bool      `json:"unchanged"` // the same content as the previous import
}

// Store keeps the current entries of every source and the history of
// imports.
//
// ReplaceSource swaps a source's entries and records the import in one
// transaction: a crash leaves either the old list or the new one.
type Store interface {
	SourceEntries(ctx context.Context, source Source) ([]Entry, error)
	AllEntries(ctx context.Context) ([]Entry, error)
	ReplaceSource(ctx context.Context, source Source, entries []Entry, rec *ImportRecord) error
	Imports(ctx context.Context, source Source, limit int) ([]ImportRecord, error)
	// WatchlistVersion changes whenever any source is replaced.
	WatchlistVersion(ctx context.Context) (int64, error)
}

// Import makes entries the current list of source, recording what was
// added, removed and changed since the previous import. Importing the same
// content again changes nothing and says so.
func Import(ctx context.Context, store Store, source Source, entries []Entry, meta Meta, sha256, id string, now time.Time) (*ImportRecord, error) {
	for i := range entries {
		entries[i].Source = source
	}
	old, err := store.SourceEntries(ctx, source)
	if err != nil {
		return nil, err
	}
	d := DiffEntries(old, entries)
	rec := &ImportRecord{ID: id, Source: source, At: now.UTC().Truncate(time.Microsecond), SHA256: sha256, Issued: meta.Issued,
		Entries: len(entries), Addresses: meta.Addresses, Invalid: meta.Invalid,
		Added: len(d.Added), Removed: len(d.Removed), Changed: len(d.Changed), Diff: d, Unchanged: d.Empty()}
	if d.Empty() && len(old) > 0 {
		return rec, nil // idempotent: nothing to store
	}
	if err := store.ReplaceSource(ctx, source, entries, rec); err != nil {
		return nil, err
	}
	return rec, nil
}
