package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/tags"
)

var _ tags.Store = (*DB)(nil)

func (s *DB) PackTags(ctx context.Context, pack string) ([]tags.Tag, error) {
	return queryJSON[tags.Tag](ctx, s.db, `SELECT tag FROM tags WHERE pack = $1 ORDER BY source, chain, addr_key, label`, pack)
}

func (s *DB) ReplacePack(ctx context.Context, pack string, ts []tags.Tag, rec *tags.ImportRecord) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Bumping the version first takes its row lock, so that replacements
	// queue: under READ COMMITTED two at once would each delete nothing and
	// then insert the same keys.
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('tags-version', '1')
		ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE pack = $1`, pack); err != nil {
		return err
	}
	seen := make(map[tags.ID]bool, len(ts))
	rows := make([][]any, 0, len(ts))
	for _, t := range ts {
		if seen[t.ID()] {
			continue // a pack repeating a tag keeps its first
		}
		seen[t.ID()] = true
		t.Pack = pack
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		rows = append(rows, []any{pack, t.Source, string(t.Chain), t.Key, t.Label, b})
	}
	if err := s.insertRows(ctx, tx.Tx, "tags (pack, source, chain, addr_key, label, tag)", 6, 300, rows); err != nil {
		return err
	}
	recJSON, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tag_imports (id, pack, at, sha256, tags, added, removed, changed, record)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		rec.ID, pack, micros(rec.At), rec.SHA256, rec.Tags, rec.Added, rec.Removed, rec.Changed, recJSON); err != nil {
		return s.conflictOr(err, "an import with id %q exists", rec.ID)
	}
	return tx.Commit()
}

func (s *DB) TagsByAddress(ctx context.Context, addresses []string) ([]tags.Tag, error) {
	keys := make([]any, 0, len(addresses))
	seen := make(map[string]bool, len(addresses))
	for _, a := range addresses {
		k := address.Key(a)
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	var out []tags.Tag
	const chunk = 500
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		got, err := queryJSON[tags.Tag](ctx, s.db, `SELECT tag FROM tags WHERE addr_key IN (`+s.placeholders(1, len(part))+`)
			ORDER BY addr_key, chain, pack, source, label`, part...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (s *DB) EachTag(ctx context.Context, chain tags.Chain, fn func(tags.Tag) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT tag FROM tags WHERE chain = $1 ORDER BY addr_key, pack, source, label`, string(chain))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return err
		}
		var t tags.Tag
		if err := json.Unmarshal(b, &t); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *DB) TagImports(ctx context.Context, pack string, limit int) ([]tags.ImportRecord, error) {
	return queryJSON[tags.ImportRecord](ctx, s.db, `SELECT record FROM tag_imports WHERE $1 = '' OR pack = $1 ORDER BY at DESC, id DESC LIMIT $2`, pack, limit)
}

func (s *DB) TagsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(CAST(value AS BIGINT)), 0) FROM settings WHERE name = 'tags-version'`).Scan(&v)
	return v, err
}
