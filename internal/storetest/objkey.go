package storetest

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/taxii"
)

// pre19 puts stix_objects back as it was before migration 19: the unique
// key (collection_id, object_id, version) as the table's constraint, the
// index (object_id, is_latest), and on SQLite the collection reference
// checked by each statement. SQLite's table is copied again, from its own
// definition.
func pre19(t *testing.T, db *sqlstore.DB) []string {
	t.Helper()
	if db.Dialect() != "sqlite" {
		return []string{
			`DROP INDEX stix_objects_key`,
			`ALTER TABLE stix_objects ADD UNIQUE (collection_id, object_id, version)`,
			`CREATE INDEX stix_objects_object_id ON stix_objects (object_id, is_latest)`,
		}
	}
	var table string
	if err := db.SQL().QueryRow(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'stix_objects'`).Scan(&table); err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(table, " DEFERRABLE INITIALLY DEFERRED", "", 1)
	old = "CREATE TABLE stix_objects_old " + old[strings.Index(old, "("):] // the name is quoted after a RENAME
	end := strings.LastIndex(old, ")")
	old = old[:end] + ",\n    UNIQUE (collection_id, object_id, version)\n)"
	if old == table || !strings.Contains(table, "DEFERRABLE") {
		t.Fatalf("stix_objects is not as migration 19 leaves it: %s", table)
	}
	steps := []string{`CREATE TABLE seq_kept AS SELECT seq FROM sqlite_sequence WHERE name = 'stix_objects'`, old}
	rows, err := db.SQL().Query(`SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stix_objects' AND sql IS NOT NULL AND name <> 'stix_objects_key'`)
	if err != nil {
		t.Fatal(err)
	}
	var indexes []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			t.Fatal(err)
		}
		indexes = append(indexes, q)
	}
	rows.Close()
	steps = append(steps,
		`INSERT INTO stix_objects_old SELECT * FROM stix_objects`,
		`DROP TABLE stix_objects`,
		`ALTER TABLE stix_objects_old RENAME TO stix_objects`,
		`CREATE INDEX stix_objects_object_id ON stix_objects (object_id, is_latest)`)
	steps = append(steps, indexes...)
	return append(steps,
		`UPDATE sqlite_sequence SET seq = (SELECT seq FROM seq_kept) WHERE name = 'stix_objects'`,
		`DROP TABLE seq_kept`)
}

// testObjectKey: migration 19 keys stix_objects by (object_id,
// collection_id, version) and keeps every row as it was, the flags of its
// versions, and (SQLite) the sequence past an object deleted last.
func testObjectKey(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	db := open(t, h, loc)
	c := collectionFixture(t, db)
	t0 := time.Date(2025, 2, 21, 10, 0, 0, 0, time.UTC)
	var objs []taxii.NewObject
	for v := range 3 { // three versions of one indicator
		objs = append(objs, obj(uuidN(1), t0.Add(time.Duration(v)*time.Hour)))
	}
	for i := 2; i <= 6; i++ {
		objs = append(objs, obj(uuidN(i), t0))
	}
	if _, _, err := db.AddObjects(ctx, c.ID, "org_a", objs); err != nil {
		t.Fatal(err)
	}
	// The newest row goes: a new one must not take its seq.
	if n, err := db.DeleteObject(ctx, c.ID, uuidN(6), &taxii.Query{Versions: taxii.VersionAll}, ""); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	before := everyVersion(t, db, c.ID)
	if len(before) != 7 {
		t.Fatalf("%d rows before the migration, want 7", len(before))
	}
	var top int64
	for _, o := range before {
		top = max(top, o.Seq)
	}
	top++ // the deleted one's

	for _, q := range append(pre19(t, db), `DELETE FROM schema_migrations WHERE version >= 19`) {
		if _, err := db.SQL().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	db = open(t, h, loc)
	if after := everyVersion(t, db, c.ID); !reflect.DeepEqual(after, before) {
		t.Fatalf("after migration 19:\n%+v\nwant\n%+v", after, before)
	}
	var indexes int
	q := `SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'stix_objects' AND indexdef LIKE '%object_id%'`
	if db.Dialect() == "sqlite" {
		q = `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'stix_objects' AND (sql LIKE '%object_id%' OR name LIKE 'sqlite_autoindex%')`
	}
	if err := db.SQL().QueryRowContext(ctx, q).Scan(&indexes); err != nil || indexes != 1 {
		t.Fatalf("%d indexes on the object id, %v; want the key alone", indexes, err)
	}
	// The key holds: the same id and version again is refused.
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO stix_objects (collection_id, object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, raw, head)
		SELECT collection_id, object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, raw, head FROM stix_objects WHERE object_id = $1 AND is_latest`, uuidN(1)); err == nil {
		t.Error("a second row of the same id and version was stored")
	}
	// The collection is still a checked reference (on SQLite, at commit).
	tx, err := db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO stix_objects (collection_id, object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, raw, head)
		SELECT 'no-such-collection', object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, raw, head FROM stix_objects WHERE object_id = $1 AND is_latest`, uuidN(2))
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err == nil {
		t.Error("an object of no collection was stored")
	}
	// Versions still move their flags, and new rows take new seqs.
	if _, _, err := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{obj(uuidN(1), t0.Add(5*time.Hour)), obj(uuidN(7), t0)}); err != nil {
		t.Fatal(err)
	}
	latest, _, err := db.Objects(ctx, c.ID, &taxii.Query{IDs: []string{uuidN(1), uuidN(7)}}, nil, &taxii.Visibility{All: true})
	if err != nil || len(latest) != 2 {
		t.Fatalf("latest versions: %+v, %v", latest, err)
	}
	for _, o := range latest {
		if o.Seq <= top {
			t.Errorf("%s took seq %d, not past %d (the deleted object's)", o.ID, o.Seq, top)
		}
		if o.ID == uuidN(1) && !o.Version.Equal(t0.Add(5*time.Hour)) {
			t.Errorf("the latest version of %s is %v", o.ID, o.Version)
		}
	}
}

// everyVersion reads every version of every object of a collection, as
// any reader would see it.
func everyVersion(t *testing.T, db *sqlstore.DB, collectionID string) []taxii.StoredObject {
	t.Helper()
	objs, more, err := db.Objects(context.Background(), collectionID, &taxii.Query{Versions: taxii.VersionAll}, nil, &taxii.Visibility{All: true})
	if err != nil || more {
		t.Fatalf("read: more %v, %v", more, err)
	}
	return objs
}
