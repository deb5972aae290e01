package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// objectKeyIndex is the unique key of stix_objects from migration 19 on.
const objectKeyIndex = `CREATE UNIQUE INDEX stix_objects_key ON stix_objects (object_id, collection_id, version)`

// keyObjectsByID is migration 19's Go part: the unique key of stix_objects
// leads with object_id (see 0019_object_key.sql).
//
// On PostgreSQL the constraint is swapped for the index. On SQLite the
// table is copied, since a UNIQUE constraint cannot be dropped: into a
// table without it (its key is the index, built once the rows are in, by
// sorting, instead of row by row in random order), whose reference to its
// collection is checked at commit. Neither changes what is stored; the
// second lets a multi-row INSERT OR IGNORE need no statement journal (a
// copy of every page the statement touches, written to a temporary file),
// as no row can then abort the statement half-way.
func keyObjectsByID(ctx context.Context, tx *sql.Tx, d Dialect) error {
	if d.Name != "sqlite" {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT conname FROM pg_constraint WHERE conrelid = 'stix_objects'::regclass AND contype = 'u'
			AND pg_get_constraintdef(oid) = 'UNIQUE (collection_id, object_id, version)'`).Scan(&name)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find the unique constraint of stix_objects: %w", err)
		}
		if err == nil {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE stix_objects DROP CONSTRAINT "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, strings.Replace(objectKeyIndex, "INDEX", "INDEX IF NOT EXISTS", 1))
		return err
	}
	// The indexes to build again (not the constraint's), and the sequence:
	// AUTOINCREMENT never hands out a seq again, also after the object
	// that had it was deleted, and the copy would start from its highest.
	var indexes []string
	rows, err := tx.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stix_objects' AND sql IS NOT NULL AND name <> 'stix_objects_key'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			rows.Close()
			return err
		}
		indexes = append(indexes, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var seq int64
	if err := tx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'stix_objects'`).Scan(&seq); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	const cols = `seq, collection_id, object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, raw,
		tlp, share_group, recipients, sighted_ref, sighted_owner, has_object_refs, search_text, changed, head`
	steps := []string{
		`CREATE TABLE stix_objects_new (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    collection_id    TEXT NOT NULL REFERENCES collections(id) DEFERRABLE INITIALLY DEFERRED,
    object_id        TEXT NOT NULL,
    type             TEXT NOT NULL,
    spec_version     TEXT NOT NULL,
    version          BIGINT NOT NULL,
    date_added       BIGINT NOT NULL,
    is_first         BOOLEAN NOT NULL,
    is_latest        BOOLEAN NOT NULL,
    added_by_org     TEXT NOT NULL,
    markings         TEXT NOT NULL,
    raw              BLOB NOT NULL,
    tlp              SMALLINT NOT NULL DEFAULT -1,
    share_group      TEXT NOT NULL DEFAULT '',
    recipients       TEXT NOT NULL DEFAULT '',
    sighted_ref      TEXT NOT NULL DEFAULT '',
    sighted_owner    TEXT NOT NULL DEFAULT '',
    has_object_refs  BOOLEAN NOT NULL DEFAULT FALSE,
    search_text      TEXT NOT NULL DEFAULT '',
    changed          BIGINT NOT NULL DEFAULT 0,
    head             BLOB
)`,
		`INSERT INTO stix_objects_new (` + cols + `) SELECT ` + cols + ` FROM stix_objects ORDER BY seq`,
		`DROP TABLE stix_objects`,
		`ALTER TABLE stix_objects_new RENAME TO stix_objects`,
		objectKeyIndex,
	}
	steps = append(steps, indexes...)
	steps = append(steps, `DELETE FROM sqlite_sequence WHERE name = 'stix_objects'`)
	for _, q := range steps {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", strings.Fields(q)[0]+" "+strings.Fields(q)[1], err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) SELECT 'stix_objects', MAX($1, COALESCE((SELECT MAX(seq) FROM stix_objects), 0))`, seq)
	return err
}
