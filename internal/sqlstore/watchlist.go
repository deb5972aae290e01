package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/trawlhq/trawl/internal/watchlist"
)

var _ watchlist.Store = (*DB)(nil)

func (s *DB) SourceEntries(ctx context.Context, source watchlist.Source) ([]watchlist.Entry, error) {
	return s.entries(ctx, `SELECT entry FROM watchlist_entries WHERE source = $1 ORDER BY uid`, string(source))
}

func (s *DB) AllEntries(ctx context.Context) ([]watchlist.Entry, error) {
	return s.entries(ctx, `SELECT entry FROM watchlist_entries ORDER BY source, uid`)
}

func (s *DB) entries(ctx context.Context, q string, args ...any) ([]watchlist.Entry, error) {
	return queryJSON[watchlist.Entry](ctx, s.db, q, args...)
}

func (s *DB) ReplaceSource(ctx context.Context, source watchlist.Source, entries []watchlist.Entry, rec *watchlist.ImportRecord) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM watchlist_entries WHERE source = $1`, string(source)); err != nil {
		return err
	}
	seen := make(map[string]bool, len(entries))
	rows := make([][]any, 0, len(entries))
	for _, e := range entries {
		if seen[e.UID] {
			continue // a source repeating a uid keeps its first record
		}
		seen[e.UID] = true
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		rows = append(rows, []any{string(source), e.UID, b})
	}
	if err := s.insertRows(ctx, tx.Tx, "watchlist_entries (source, uid, entry)", 3, 300, rows); err != nil {
		return err
	}
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO watchlist_imports (id, source, at, sha256, entries, added, removed, changed, record)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		rec.ID, string(source), micros(rec.At), rec.SHA256, rec.Entries, rec.Added, rec.Removed, rec.Changed, recJSON); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('watchlist-version', '1')
		ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)`); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *DB) Imports(ctx context.Context, source watchlist.Source, limit int) ([]watchlist.ImportRecord, error) {
	return queryJSON[watchlist.ImportRecord](ctx, s.db, `SELECT record FROM watchlist_imports WHERE $1 = '' OR source = $1 ORDER BY at DESC LIMIT $2`, string(source), limit)
}

func (s *DB) WatchlistVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(CAST(value AS BIGINT)), 0) FROM settings WHERE name = 'watchlist-version'`).Scan(&v)
	return v, err
}
