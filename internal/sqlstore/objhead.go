package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

// An object row's head (column head, migration 0017) holds in one value
// what its readers need besides collection_id, seq and raw. A page of 1,000
// objects read 13 columns a row before: with the SQLite driver, each
// column is two calls into the engine, each taking the connection's mutex,
// and an allocation, which made up about 40% of the store's part of a page.
// The columns stay for the queries' conditions and indexes; none of them
// changes after the row is written (only is_first and is_latest do, which
// are not in the head). Every byte of it is written with each object, so
// it is kept short: the type is taken from the id when it prefixes it, and
// the marking refs, which nothing reads from the row, stay in raw (and in
// column markings).

// objectHeadFormat is the first byte of a head.
const objectHeadFormat = 1

// headCols are an object row's columns as stored.
type headCols struct {
	id, typ, spec, org, group, recipients, sightedOwner string
	version, added, tlp                                 int64
	// noGranular: the raw object has no granular markings (see
	// taxii.StoredObject.NoGranular).
	noGranular bool
}

// Bits of a head's flags.
const (
	headNoGranular = 1 << iota
	headTypeInID   // the type is the id's prefix, before "--"; only its length is stored
	headFlags      = headNoGranular | headTypeInID
)

// appendObjectHead appends the head of the row with columns c to b.
func appendObjectHead(b []byte, c *headCols) []byte {
	b = append(b, objectHeadFormat)
	b = binary.AppendVarint(b, c.version)
	b = binary.AppendVarint(b, c.added)
	b = binary.AppendVarint(b, c.tlp)
	var flags uint64
	if c.noGranular {
		flags |= headNoGranular
	}
	typeInID := typePrefixes(c.id, len(c.typ)) && c.id[:len(c.typ)] == c.typ
	if typeInID {
		flags |= headTypeInID
	}
	b = binary.AppendUvarint(b, flags)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	str(c.id)
	if typeInID {
		b = binary.AppendUvarint(b, uint64(len(c.typ)))
	} else {
		str(c.typ)
	}
	for _, s := range [...]string{c.spec, c.org, c.group, c.recipients, c.sightedOwner} {
		str(s)
	}
	return b
}

// typePrefixes reports whether the first n bytes of id are followed by
// "--", as a type is in its objects' ids.
func typePrefixes(id string, n int) bool {
	return n > 0 && len(id) >= n+2 && id[n:n+2] == "--"
}

var errBadHead = errors.New("not a valid object head")

// decodeObjectHead reads head into c. The strings are pieces of one copy
// of head, which the caller may reuse afterwards.
func decodeObjectHead(head []byte, c *headCols) error {
	if len(head) == 0 || head[0] != objectHeadFormat {
		return errBadHead
	}
	// Read in place, not through blockReader, whose calls the compiler
	// does not inline: a page decodes a thousand heads.
	s := string(head)
	i := 1
	var v uint64
	var n int
	next := func() bool {
		v, n = binary.Uvarint(head[i:])
		i += n
		return n > 0
	}
	if !next() {
		return errBadHead
	}
	c.version = unzigzag(v)
	if !next() {
		return errBadHead
	}
	c.added = unzigzag(v)
	if !next() {
		return errBadHead
	}
	c.tlp = unzigzag(v)
	if !next() || v&^headFlags != 0 {
		return errBadHead
	}
	flags := v
	c.noGranular = flags&headNoGranular != 0
	str := func(p *string) bool {
		if !next() || v > uint64(len(s)-i) {
			return false
		}
		*p = s[i : i+int(v)]
		i += int(v)
		return true
	}
	if !str(&c.id) {
		return errBadHead
	}
	if flags&headTypeInID != 0 {
		if !next() || v > uint64(len(c.id)) || !typePrefixes(c.id, int(v)) {
			return errBadHead
		}
		c.typ = c.id[:v]
	} else if !str(&c.typ) {
		return errBadHead
	}
	if !str(&c.spec) || !str(&c.org) || !str(&c.group) || !str(&c.recipients) || !str(&c.sightedOwner) || i != len(s) {
		return errBadHead
	}
	return nil
}

// unzigzag undoes binary.AppendVarint's zig-zag encoding.
func unzigzag(u uint64) int64 {
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// fillObjectHeads writes the head of every row written before migration
// 0017, in its transaction. On PostgreSQL it then makes a row without one
// an error: a trawl older than the database still running (a replica not
// yet upgraded) fails to write instead of storing rows no reader can
// decode. SQLite, which one process serves, is left without the guard: a
// trigger cost 13% of every write (BenchmarkAddObjects), and such a row
// fails reads that meet it with an error, never with more than the
// reader may see.
func fillObjectHeads(ctx context.Context, tx *sql.Tx, d Dialect) error {
	type row struct {
		seq int64
		c   headCols
	}
	update, err := tx.PrepareContext(ctx, `UPDATE stix_objects SET head = $1 WHERE seq = $2`)
	if err != nil {
		return err
	}
	defer update.Close()
	var last int64
	for {
		rows, err := tx.QueryContext(ctx, `SELECT seq, object_id, type, spec_version, added_by_org, share_group, recipients, sighted_owner, version, date_added, tlp, raw
			FROM stix_objects WHERE seq > $1 AND head IS NULL ORDER BY seq LIMIT 1000`, last)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			c := &r.c
			var raw sql.RawBytes
			if err := rows.Scan(&r.seq, &c.id, &c.typ, &c.spec, &c.org, &c.group, &c.recipients, &c.sightedOwner, &c.version, &c.added, &c.tlp, &raw); err != nil {
				rows.Close()
				return err
			}
			c.noGranular = !taxii.MayHaveGranular(raw)
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		for i := range batch {
			if _, err := update.ExecContext(ctx, appendObjectHead(nil, &batch[i].c), batch[i].seq); err != nil {
				return err
			}
		}
		last = batch[len(batch)-1].seq
	}
	if d.Name == "sqlite" {
		return nil
	}
	_, err = tx.ExecContext(ctx, `ALTER TABLE stix_objects ADD CONSTRAINT stix_objects_head_required CHECK (head IS NOT NULL) NOT VALID`)
	return err
}

// pageCols are the columns an objectScanner reads from rows of the
// collection it is told; objectCols, from rows of any collection.
const (
	pageCols   = `seq, head, raw`
	objectCols = `collection_id, ` + pageCols
)

// objectScanner reads object rows. The raw bytes of a whole page share one
// growing buffer instead of an allocation each.
type objectScanner struct {
	collection string // "": the rows carry collection_id
	arena      []byte
	expect     int // rows still to come, when known (scanPage)
	// The destinations of Scan, here so that they are not allocated anew
	// for each row (they escape through Scan's arguments).
	coll      string
	seq       int64
	head, raw sql.RawBytes
}

func (sc *objectScanner) scan(rows *sql.Rows) (taxii.StoredObject, error) {
	var o taxii.StoredObject
	var err error
	if sc.collection != "" {
		err = rows.Scan(&sc.seq, &sc.head, &sc.raw)
		sc.coll = sc.collection
	} else {
		err = rows.Scan(&sc.coll, &sc.seq, &sc.head, &sc.raw)
	}
	if err != nil {
		return o, err
	}
	o.CollectionID, o.Seq = sc.coll, sc.seq
	head, raw := sc.head, sc.raw
	var c headCols
	if err := decodeObjectHead(head, &c); err != nil {
		return o, fmt.Errorf("sqlstore: object row %d: %w", o.Seq, err)
	}
	o.ID, o.Type, o.SpecVersion, o.AddedByOrg, o.Group, o.SightedOwner = c.id, c.typ, c.spec, c.org, c.group, c.sightedOwner
	o.Version, o.DateAdded, o.Level, o.NoGranular = fromMicros(c.version), fromMicros(c.added), sharing.Level(c.tlp), c.noGranular
	if cap(sc.arena)-len(sc.arena) < len(raw) {
		// A new buffer (zeroed on allocation, so its size costs): for the
		// rows still expected at this row's size, else a megabyte.
		size := 1 << 20
		if sc.expect > 0 {
			size = min(max(sc.expect*len(raw)*5/4, 64<<10), 8<<20)
		}
		sc.arena = make([]byte, 0, max(len(raw), size))
	}
	if sc.expect > 0 {
		sc.expect--
	}
	start := len(sc.arena)
	sc.arena = append(sc.arena, raw...)
	o.Raw = sc.arena[start:len(sc.arena):len(sc.arena)]
	if c.recipients != "" {
		for _, r := range strings.Split(strings.Trim(c.recipients, ","), ",") {
			if kind, id, ok := strings.Cut(r, ":"); ok {
				o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientKind(kind), ID: id})
			}
		}
	}
	return o, nil
}
