package sqlstore

import (
	"context"
	"encoding/json"
	"strings"

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
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []watchlist.Entry
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var e watchlist.Entry
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *DB) ReplaceSource(ctx context.Context, source watchlist.Source, entries []watchlist.Entry, rec *watchlist.ImportRecord) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM watchlist_entries WHERE source = $1`, string(source)); err != nil {
		return err
	}
	seen := map[string]bool{}
	const cols = 3
	for start := 0; start < len(entries); start += 300 {
		chunk := entries[start:min(start+300, len(entries))]
		var q strings.Builder
		q.WriteString(`INSERT INTO watchlist_entries (source, uid, entry) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		n := 0
		for _, e := range chunk {
			if seen[e.UID] {
				continue // a source repeating a uid keeps its first record
			}
			seen[e.UID] = true
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if n > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + s.placeholders(n*cols+1, cols) + ")")
			args = append(args, string(source), e.UID, b)
			n++
		}
		if n == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
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
	rows, err := s.db.QueryContext(ctx, `SELECT record FROM watchlist_imports WHERE $1 = '' OR source = $1 ORDER BY at DESC LIMIT $2`, string(source), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []watchlist.ImportRecord
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var r watchlist.ImportRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *DB) WatchlistVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(CAST(value AS BIGINT)), 0) FROM settings WHERE name = 'watchlist-version'`).Scan(&v)
	return v, err
}
