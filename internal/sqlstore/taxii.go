package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

var _ taxii.Store = (*DB)(nil)

func (s *DB) CreateCollection(ctx context.Context, c *taxii.Collection) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO collections (id, alias, title, description, owner_org_id, default_tlp, public, share_group, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.ID, nullString(c.Alias), c.Title, c.Description, c.OwnerOrgID, c.DefaultTLP, c.Public, c.ShareGroup, micros(c.CreatedAt))
	if err != nil && s.dialect.IsUnique(err) {
		return errs.Wrap(errs.Conflict, err, "a collection with alias %q exists", c.Alias)
	}
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "foreign key") {
		return errs.Wrap(errs.NotFound, err, "no organization with id %q", c.OwnerOrgID)
	}
	return err
}

const collCols = `id, alias, title, description, owner_org_id, default_tlp, public, share_group, created_at`

func scanCollection(row interface{ Scan(...any) error }) (*taxii.Collection, error) {
	var c taxii.Collection
	var alias sql.NullString
	var created int64
	if err := row.Scan(&c.ID, &alias, &c.Title, &c.Description, &c.OwnerOrgID, &c.DefaultTLP, &c.Public, &c.ShareGroup, &created); err != nil {
		return nil, err
	}
	c.Alias, c.CreatedAt = alias.String, fromMicros(created)
	return &c, nil
}

func (s *DB) Collection(ctx context.Context, idOrAlias string) (*taxii.Collection, error) {
	// Prepared once: every TAXII request looks its collection up.
	c, err := scanCollection(s.queryRow(ctx, `SELECT `+collCols+` FROM collections WHERE id = $1 OR alias = $1`, idOrAlias))
	return c, notFound(err, "no collection %q", idOrAlias)
}

func (s *DB) ListCollections(ctx context.Context) ([]taxii.Collection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+collCols+` FROM collections ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxii.Collection
	for rows.Next() {
		c, err := scanCollection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

func (s *DB) SetGrant(ctx context.Context, g taxii.Grant) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO collection_grants (collection_id, org_id, can_read, can_write) VALUES ($1, $2, $3, $4)
		ON CONFLICT (collection_id, org_id) DO UPDATE SET can_read = excluded.can_read, can_write = excluded.can_write`,
		g.CollectionID, g.OrgID, g.CanRead, g.CanWrite)
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "foreign key") {
		return errs.Wrap(errs.NotFound, err, "no such collection or organization")
	}
	return err
}

func (s *DB) SetCollectionGroup(ctx context.Context, collectionID, groupID string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE collections SET share_group = $2 WHERE id = $1`, collectionID, groupID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.E(errs.NotFound, "no collection %q", collectionID)
	}
	return nil
}

func (s *DB) Grants(ctx context.Context, collectionID string) ([]taxii.Grant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT collection_id, org_id, can_read, can_write FROM collection_grants WHERE collection_id = $1 ORDER BY org_id`, collectionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxii.Grant
	for rows.Next() {
		var g taxii.Grant
		if err := rows.Scan(&g.CollectionID, &g.OrgID, &g.CanRead, &g.CanWrite); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// placeholders returns "$first, $first+1, ..." for n values, or "?, ?, ..."
// where the dialect binds by position. Use it only where the values are
// bound in order and each once.
func (s *DB) placeholders(first, n int) string {
	var b strings.Builder
	b.Grow(n * 6)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.dialect.Anonymous {
			b.WriteByte('?')
		} else {
			b.WriteString("$" + strconv.Itoa(first+i))
		}
	}
	return b.String()
}

type versionInfo struct{ min, max int64 }

func (s *DB) AddObjects(ctx context.Context, collectionID, orgID string, objs []taxii.NewObject) (time.Time, []taxii.AddResult, error) {
	return s.addObjects(ctx, collectionID, orgID, objs, nil)
}

// AddObjectsStatus is AddObjects that writes the status in its transaction.
func (s *DB) AddObjectsStatus(ctx context.Context, collectionID, orgID string, objs []taxii.NewObject, status func(time.Time, []taxii.AddResult) *taxii.Status) error {
	if len(objs) == 0 {
		tx, err := s.beginWrite(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := s.putStatus(ctx, tx.Tx, status(time.Time{}, nil)); err != nil {
			return err
		}
		return tx.Commit()
	}
	_, _, err := s.addObjects(ctx, collectionID, orgID, objs, status)
	return err
}

// addObjects is AddObjects; when status is not nil, the status it returns
// is written before the commit.
func (s *DB) addObjects(ctx context.Context, collectionID, orgID string, objs []taxii.NewObject, status func(time.Time, []taxii.AddResult) *taxii.Status) (time.Time, []taxii.AddResult, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return time.Time{}, nil, err
	}
	defer tx.Rollback()
	// Lock the collection and take the next date_added.
	now := time.Now().UnixMicro()
	var added int64
	err = tx.QueryRowContext(ctx, `UPDATE collections SET last_added = CASE WHEN last_added >= $2 THEN last_added + 1 ELSE $2 END
		WHERE id = $1 RETURNING last_added`, collectionID, now).Scan(&added)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil, errs.E(errs.NotFound, "no collection %q", collectionID)
	}
	if err != nil {
		return time.Time{}, nil, err
	}

	// What versions exist already for these ids?
	existing := map[string]versionInfo{}
	versions := map[[2]string]bool{} // id, version
	ids := make([]string, 0, len(objs))
	seen := map[string]bool{}
	for _, o := range objs {
		if !seen[o.ID] {
			seen[o.ID] = true
			ids = append(ids, o.ID)
		}
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{collectionID}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := tx.QueryContext(ctx, `SELECT object_id, version FROM stix_objects WHERE collection_id = `+s.placeholders(1, 1)+` AND object_id IN (`+s.placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return time.Time{}, nil, err
		}
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return time.Time{}, nil, err
			}
			vi, ok := existing[id]
			if !ok {
				vi = versionInfo{min: v, max: v}
			}
			vi.min, vi.max = min(vi.min, v), max(vi.max, v)
			existing[id] = vi
			versions[[2]string{id, strconv.FormatInt(v, 10)}] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return time.Time{}, nil, err
		}
	}

	// Decide each object's fate, and the first/last flags of the new rows.
	type row struct {
		o             taxii.NewObject
		version       int64
		first, latest bool
	}
	var rowsToAdd []*row
	results := make([]taxii.AddResult, len(objs))
	final := map[string]versionInfo{} // per id, over existing and new
	for id, vi := range existing {
		final[id] = vi
	}
	for i, o := range objs {
		results[i] = taxii.AddResult{Index: i}
		v := o.Version.UnixMicro()
		if o.Version.IsZero() {
			if _, ok := final[o.ID]; ok {
				continue // a versionless object stored before: the same object
			}
			v = added
		}
		k := [2]string{o.ID, strconv.FormatInt(v, 10)}
		if versions[k] {
			continue
		}
		versions[k] = true
		results[i].Created = true
		rowsToAdd = append(rowsToAdd, &row{o: o, version: v})
		vi, ok := final[o.ID]
		if !ok {
			vi = versionInfo{min: v, max: v}
		}
		vi.min, vi.max = min(vi.min, v), max(vi.max, v)
		final[o.ID] = vi
	}
	for _, r := range rowsToAdd {
		vi := final[r.o.ID]
		r.first, r.latest = r.version == vi.min, r.version == vi.max
	}
	// Older rows lose their flags where a new version took them.
	for id, old := range existing {
		nv := final[id]
		if nv.max != old.max {
			if _, err := tx.ExecContext(ctx, `UPDATE stix_objects SET is_latest = FALSE WHERE collection_id = $1 AND object_id = $2 AND is_latest`, collectionID, id); err != nil {
				return time.Time{}, nil, err
			}
		}
		if nv.min != old.min {
			if _, err := tx.ExecContext(ctx, `UPDATE stix_objects SET is_first = FALSE WHERE collection_id = $1 AND object_id = $2 AND is_first`, collectionID, id); err != nil {
				return time.Time{}, nil, err
			}
		}
	}
	var change int64
	if len(rowsToAdd) > 0 {
		if change, err = bumpObjectsCounter(ctx, tx.Tx); err != nil {
			return time.Time{}, nil, err
		}
	}
	// Sightings record who shared what they sight, so that it may read them.
	owners := map[string]string{}
	for _, r := range rowsToAdd {
		ref := r.o.SightingOf
		if ref == "" {
			continue
		}
		if _, ok := owners[ref]; !ok {
			var owner string
			err := tx.QueryRowContext(ctx, `SELECT added_by_org FROM stix_objects WHERE object_id = $1 ORDER BY seq LIMIT 1`, ref).Scan(&owner)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return time.Time{}, nil, err
			}
			owners[ref] = owner
		}
	}
	const cols = 20
	const perStmt = 200
	// On SQLite, OR IGNORE: with no constraint that can abort it (the
	// collection reference is checked at commit, migration 19), a
	// statement of many rows needs no statement journal, which for random
	// ids copied some 400 pages per statement to a temporary file. What it
	// would ignore was checked above; the count of rows is checked below.
	insertObjects := "INSERT"
	if s.dialect.Name == "sqlite" {
		insertObjects = "INSERT OR IGNORE"
	}
	var heads []byte // the chunk's heads, one buffer
	for start := 0; start < len(rowsToAdd); start += perStmt {
		chunk := rowsToAdd[start:min(start+perStmt, len(rowsToAdd))]
		var q strings.Builder
		q.WriteString(insertObjects)
		q.WriteString(` INTO stix_objects (collection_id, object_id, type, spec_version, version, date_added, is_first, is_latest, added_by_org, markings, tlp, share_group, recipients, sighted_ref, sighted_owner, has_object_refs, search_text, raw, changed, head) VALUES `)
		args := make([]any, 0, len(chunk)*cols)
		heads = heads[:0]
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + s.placeholders(i*cols+1, cols) + ")")
			c := headCols{id: r.o.ID, typ: r.o.Type, spec: r.o.SpecVersion, org: orgID,
				group: r.o.Group, recipients: recipientsColumn(r.o.Recipients), sightedOwner: owners[r.o.SightingOf],
				version: r.version, added: added, tlp: int64(r.o.Level), noGranular: !taxii.MayHaveGranular(r.o.Raw)}
			at := len(heads)
			heads = appendObjectHead(heads, &c)
			args = append(args, collectionID, c.id, c.typ, c.spec, c.version, added, r.first, r.latest, orgID,
				strings.Join(r.o.Markings, ","), int(r.o.Level), c.group, c.recipients, r.o.SightingOf, c.sightedOwner,
				r.o.ObjectRefs, r.o.SearchText, []byte(r.o.Raw), change, heads[at:len(heads):len(heads)])
		}
		exec := tx.ExecContext
		if len(chunk) == perStmt { // one text: keep it prepared (shorter chunks vary, and would fill the cache)
			exec = func(ctx context.Context, q string, args ...any) (sql.Result, error) {
				return s.txExec(ctx, tx.Tx, q, args...)
			}
		}
		res, err := exec(ctx, q.String(), args...)
		if err != nil {
			return time.Time{}, nil, err
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
			// OR IGNORE (SQLite) skipped a row: one of the same id and
			// version, which this transaction checked was not there.
			return time.Time{}, nil, fmt.Errorf("sqlstore: %d of %d objects inserted (%v)", n, len(chunk), err)
		}
	}
	// The refs, many rows to a statement: a report may list thousands.
	type refRow struct {
		id      string
		version int64
		ref     string
	}
	var refs []refRow
	for _, r := range rowsToAdd {
		seenRef := map[string]bool{}
		for _, ref := range r.o.Refs {
			if ref != "" && !seenRef[ref] {
				seenRef[ref] = true
				refs = append(refs, refRow{r.o.ID, r.version, ref})
			}
		}
	}
	for start := 0; start < len(refs); start += 500 {
		chunk := refs[start:min(start+500, len(refs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO object_refs (collection_id, object_id, version, ref) VALUES `)
		args := make([]any, 0, len(chunk)*4)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + s.placeholders(i*4+1, 4) + ")")
			args = append(args, collectionID, r.id, r.version, r.ref)
		}
		q.WriteString(` ON CONFLICT DO NOTHING`)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return time.Time{}, nil, err
		}
	}
	if status != nil {
		if err := s.putStatus(ctx, tx.Tx, status(fromMicros(added), results)); err != nil {
			return time.Time{}, nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return time.Time{}, nil, err
	}
	return fromMicros(added), results, nil
}

// objectFilter appends the WHERE conditions of q to where and args.
func objectFilter(q *taxii.Query, where []string, args []any) ([]string, []any) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	list := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = arg(v)
		}
		where = append(where, col+" IN ("+strings.Join(ph, ", ")+")")
	}
	if !q.AddedAfter.IsZero() {
		where = append(where, "date_added > "+arg(q.AddedAfter.UnixMicro()))
	}
	list("object_id", q.IDs)
	list("type", q.Types)
	list("spec_version", q.SpecVersions)
	if q.SightingOf != "" {
		// The second condition is the index's (migration 0016).
		where = append(where, "sighted_ref = "+arg(q.SightingOf), "sighted_ref <> ''")
	}
	switch q.Versions {
	case taxii.VersionLast:
		where = append(where, "is_latest")
	case taxii.VersionFirst:
		where = append(where, "is_first")
	case taxii.VersionAt:
		ph := make([]string, len(q.Times))
		for i, t := range q.Times {
			ph[i] = arg(t.UnixMicro())
		}
		where = append(where, "version IN ("+strings.Join(ph, ", ")+")")
	}
	return where, args
}

func (s *DB) Objects(ctx context.Context, collectionID string, q *taxii.Query, after *taxii.Position, v *taxii.Visibility) ([]taxii.StoredObject, bool, error) {
	where := []string{"collection_id = $1"}
	args := []any{collectionID}
	if after != nil {
		args = append(args, after.DateAdded.UnixMicro(), after.Seq)
		where = append(where, "(date_added, seq) > ($2, $3)")
	}
	where, args = objectFilter(q, where, args)
	where, args = visibilityFilter(v, q.Versions != taxii.VersionLast, where, args)
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit+1)
	from := "stix_objects"
	if len(q.IDs) > 0 && s.dialect.Name == "sqlite" {
		// SQLite, which keeps no statistics here, walks the collection in
		// the page index's order to spare itself a sort of a few rows:
		// 250 ms for one object of 200,000.
		from = "stix_objects INDEXED BY stix_objects_key"
	}
	rows, err := s.query(ctx, `SELECT `+pageCols+`
		FROM `+from+` WHERE `+strings.Join(where, " AND ")+` ORDER BY date_added, seq LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, false, err
	}
	return scanPage(rows, &objectScanner{collection: collectionID}, limit)
}

// scanPage reads up to limit+1 object rows and closes them: the page, and
// whether a row beyond it says more follow.
func scanPage(rows *sql.Rows, sc *objectScanner, limit int) ([]taxii.StoredObject, bool, error) {
	defer rows.Close()
	sc.expect = limit + 1
	out := make([]taxii.StoredObject, 0, min(limit+1, 1024))
	for rows.Next() {
		o, err := sc.scan(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(out) > limit {
		return out[:limit], true, nil
	}
	return out, false, nil
}

func (s *DB) ScanLatest(ctx context.Context, typ string, fn func(o taxii.StoredObject) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+objectCols+` FROM stix_objects WHERE type = $1 AND is_latest ORDER BY seq`, typ)
	if err != nil {
		return err
	}
	defer rows.Close()
	var sc objectScanner
	for rows.Next() {
		o, err := sc.scan(rows)
		if err != nil {
			return err
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return rows.Err()
}

// bumpObjectsCounter raises the hub's change counter in tx and returns its
// new value. The row stays locked until tx ends, so that concurrent writers
// (other replicas too) take values in the order they commit: a reader who
// sees value v has every change up to v committed.
func bumpObjectsCounter(ctx context.Context, tx *sql.Tx) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, `UPDATE change_counters SET value = value + 1 WHERE name = 'stix_objects' RETURNING value`).Scan(&v)
	return v, err
}

func (s *DB) ObjectsVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT value FROM change_counters WHERE name = 'stix_objects'`).Scan(&v)
	return v, err
}

func (s *DB) ObjectChanges(ctx context.Context, since int64, types []string, fn func(collectionID, objectID string, latest *taxii.StoredObject) error) (int64, error) {
	// The counter first: every change up to it is committed, so the rows
	// read next hold them all (and perhaps later ones, read again next time).
	now, err := s.ObjectsVersion(ctx)
	if err != nil || now == since || len(types) == 0 {
		return now, err
	}
	args := []any{since}
	ph := make([]string, len(types))
	for i, t := range types {
		args = append(args, t)
		ph[i] = "$" + strconv.Itoa(i+2)
	}
	in := strings.Join(ph, ", ")
	// UNION ALL, made distinct here: with UNION, SQLite merges the two
	// sides in key order and walks the whole table's key index to do so.
	rows, err := s.db.QueryContext(ctx, `SELECT collection_id, object_id FROM stix_objects WHERE changed > $1 AND type IN (`+in+`)
		UNION ALL SELECT collection_id, object_id FROM stix_deletions WHERE changed > $1 AND type IN (`+in+`)`, args...)
	if err != nil {
		return 0, err
	}
	type key struct{ coll, id string }
	var keys []key
	seen := map[key]bool{}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.coll, &k.id); err != nil {
			rows.Close()
			return 0, err
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	// Then the latest version of each, by object id in batches.
	var sc objectScanner
	for start := 0; start < len(keys); start += 500 {
		batch := keys[start:min(start+500, len(keys))]
		latest := make(map[key]*taxii.StoredObject, len(batch))
		args := make([]any, len(batch))
		for i, k := range batch {
			args[i] = k.id
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+objectCols+` FROM stix_objects WHERE is_latest AND object_id IN (`+s.placeholders(1, len(batch))+`)`, args...)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			o, err := sc.scan(rows)
			if err != nil {
				rows.Close()
				return 0, err
			}
			latest[key{o.CollectionID, o.ID}] = &o
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		for _, k := range batch {
			if err := fn(k.coll, k.id, latest[k]); err != nil {
				return 0, err
			}
		}
	}
	return now, nil
}

func (s *DB) DeleteObject(ctx context.Context, collectionID, objectID string, q *taxii.Query, onlyAddedBy string) (int, error) {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	// Serialize with writers of the collection.
	if _, err := tx.ExecContext(ctx, `UPDATE collections SET last_added = last_added WHERE id = $1`, collectionID); err != nil {
		return 0, err
	}
	where := []string{"collection_id = $1", "object_id = $2"}
	args := []any{collectionID, objectID}
	if onlyAddedBy != "" {
		args = append(args, onlyAddedBy)
		where = append(where, "added_by_org = $3")
	}
	where, args = objectFilter(&taxii.Query{Versions: q.Versions, Times: q.Times, SpecVersions: q.SpecVersions}, where, args)
	if _, err := tx.ExecContext(ctx, `DELETE FROM object_refs WHERE collection_id = $1 AND object_id = $2 AND version IN
		(SELECT version FROM stix_objects WHERE `+strings.Join(where, " AND ")+`)`, args...); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM stix_objects WHERE `+strings.Join(where, " AND "), args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if n > 0 {
		change, err := bumpObjectsCounter(ctx, tx.Tx)
		if err != nil {
			return 0, err
		}
		typ, _, _ := strings.Cut(objectID, "--")
		if _, err := tx.ExecContext(ctx, `INSERT INTO stix_deletions (changed, collection_id, object_id, type) VALUES ($1, $2, $3, $4)`,
			change, collectionID, objectID, typ); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE stix_objects SET
		is_latest = (version = (SELECT MAX(version) FROM stix_objects s2 WHERE s2.collection_id = $1 AND s2.object_id = $2)),
		is_first = (version = (SELECT MIN(version) FROM stix_objects s2 WHERE s2.collection_id = $1 AND s2.object_id = $2))
		WHERE collection_id = $1 AND object_id = $2`, collectionID, objectID); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// recipientsColumn renders recipients as ",kind:id,kind:id," so that one
// LIKE finds a reader among them.
func recipientsColumn(rs []sharing.Recipient) string {
	if len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte(',')
	for _, r := range rs {
		b.WriteString(string(r.Kind) + ":" + r.ID + ",")
	}
	return b.String()
}

type statusDetails struct {
	Successes []taxii.StatusDetail `json:"successes,omitempty"`
	Failures  []taxii.StatusDetail `json:"failures,omitempty"`
	Pendings  []taxii.StatusDetail `json:"pendings,omitempty"`
}

func (s *DB) CreateStatus(ctx context.Context, st *taxii.Status, envelope []byte) error {
	d, _ := json.Marshal(statusDetails{st.Successes, st.Failures, st.Pendings})
	_, err := s.db.ExecContext(ctx, `INSERT INTO taxii_status (id, collection_id, org_id, status, request_timestamp, total_count, success_count, failure_count, pending_count, details, envelope)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		st.ID, st.CollectionID, st.OrgID, st.Status, micros(st.RequestTimestamp), st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount, d, envelope)
	return err
}

// putStatus writes st in tx: a new row, or the update of a queued one,
// whose envelope is dropped once st is complete. A status already
// complete is left as it is (another replica that worked the same queued
// envelope would report every object as already present).
func (s *DB) putStatus(ctx context.Context, tx *sql.Tx, st *taxii.Status) error {
	d, _ := json.Marshal(statusDetails{st.Successes, st.Failures, st.Pendings})
	_, err := s.txExec(ctx, tx, `INSERT INTO taxii_status (id, collection_id, org_id, status, request_timestamp, total_count, success_count, failure_count, pending_count, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, success_count = excluded.success_count, failure_count = excluded.failure_count,
		pending_count = excluded.pending_count, details = excluded.details,
		envelope = CASE WHEN excluded.status = 'complete' THEN NULL ELSE taxii_status.envelope END
		WHERE taxii_status.status = 'pending'`,
		st.ID, st.CollectionID, st.OrgID, st.Status, micros(st.RequestTimestamp), st.TotalCount, st.SuccessCount, st.FailureCount, st.PendingCount, d)
	return err
}

const statusCols = `id, collection_id, org_id, status, request_timestamp, total_count, success_count, failure_count, pending_count, details`

func scanStatus(row interface{ Scan(...any) error }, extra ...any) (*taxii.Status, error) {
	var st taxii.Status
	var ts int64
	var d []byte
	dest := append([]any{&st.ID, &st.CollectionID, &st.OrgID, &st.Status, &ts, &st.TotalCount, &st.SuccessCount, &st.FailureCount, &st.PendingCount, &d}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	st.RequestTimestamp = fromMicros(ts)
	var sd statusDetails
	if err := json.Unmarshal(d, &sd); err != nil {
		return nil, err
	}
	st.Successes, st.Failures, st.Pendings = sd.Successes, sd.Failures, sd.Pendings
	return &st, nil
}

func (s *DB) Status(ctx context.Context, id string) (*taxii.Status, error) {
	st, err := scanStatus(s.db.QueryRowContext(ctx, `SELECT `+statusCols+` FROM taxii_status WHERE id = $1`, id))
	return st, notFound(err, "no status %q", id)
}

func (s *DB) PendingStatuses(ctx context.Context) ([]taxii.PendingJob, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+statusCols+`, envelope FROM taxii_status WHERE status = 'pending' ORDER BY request_timestamp LIMIT 100`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []taxii.PendingJob
	for rows.Next() {
		var env []byte
		st, err := scanStatus(rows, &env)
		if err != nil {
			return nil, err
		}
		out = append(out, taxii.PendingJob{Status: st, Envelope: env})
	}
	return out, rows.Err()
}

func (s *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var b [32]byte
	rand.Read(b[:])
	if _, err := s.db.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, "secret:"+name, hex.EncodeToString(b[:])); err != nil {
		return nil, err
	}
	var v string
	if err := s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, "secret:"+name).Scan(&v); err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
