package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
)

var _ audit.Store = (*DB)(nil)

func (s *DB) AppendAudit(ctx context.Context, entries []audit.Entry) error {
	for attempt := 0; ; attempt++ {
		err := s.appendAudit(ctx, entries)
		// Another replica appended at the same time: the chain moved on.
		if err != nil && s.dialect.IsUnique(err) && attempt < 20 {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		return err
	}
}

func (s *DB) appendAudit(ctx context.Context, entries []audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	tx, err := s.adb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Take the head's lock first: another replica's append commits before
	// this one reads where the chain ends.
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET appends = appends + 1 WHERE id = 1`); err != nil {
		return err
	}
	lastSeq, lastHash, err := auditHead(ctx, tx)
	if err != nil {
		return err
	}
	audit.Chain(lastSeq, lastHash, entries)
	// Blocks of up to about 4 MB: a read of TAXII pages names a thousand
	// ids, and a reader of the log (verify, export) decodes whole blocks.
	for start := 0; start < len(entries); {
		end, size := start, 0
		for end < len(entries) && (end == start || size+encodedSize(&entries[end]) <= maxAuditBlock) {
			size += encodedSize(&entries[end])
			end++
		}
		part := entries[start:end]
		block, err := EncodeAuditBlock(part)
		if err != nil {
			return err
		}
		last := part[len(part)-1]
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_blocks (first_seq, last_seq, last_hash, entries) VALUES ($1, $2, $3, $4)`,
			part[0].Seq, last.Seq, last.Hash, block); err != nil {
			return err
		}
		start = end
	}
	return tx.Commit()
}

// auditSchema is the schema of an audit database of its own (OpenSplit):
// the tables of migrations 0004, 0013 and 0015, which hold the log in the
// main database otherwise. Each statement may run again.
var auditSchema = []string{
	`CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, org_id TEXT NOT NULL,
		action TEXT NOT NULL, target TEXT NOT NULL, status INTEGER NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, appends BIGINT NOT NULL)`,
	`INSERT INTO audit_head (id, appends) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)`,
	`CREATE TABLE IF NOT EXISTS audit_blocks (first_seq BIGINT PRIMARY KEY, last_seq BIGINT NOT NULL, last_hash TEXT NOT NULL, entries {{BYTES}} NOT NULL)`,
}

// prepareAuditDB creates the audit database's tables and moves into it
// the entries the main database holds: first a copy of those the audit
// database lacks (one transaction), then their deletion from the main one
// (another). A crash between the two leaves entries in both; the next open
// copies nothing and deletes them. Entries are copied as stored, rows and
// blocks alike, so that whatever was edited stays for Verify to find.
func (s *DB) prepareAuditDB(ctx context.Context) error {
	tx, err := s.adb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: audit database: %w", err)
	}
	defer tx.Rollback()
	for _, q := range auditSchema {
		if _, err := tx.ExecContext(ctx, s.rewrite(q)); err != nil {
			return fmt.Errorf("sqlstore: audit database schema: %w", err)
		}
	}
	have, err := lastAuditSeq(ctx, tx)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, actor, org_id, action, target, status, detail, prev, hash FROM audit_log WHERE seq > $1 ORDER BY seq`, have)
	if err != nil {
		return err
	}
	for rows.Next() {
		var seq, at int64
		var status int
		var actor, org, action, target, detail, prev, hash string
		if err := rows.Scan(&seq, &at, &actor, &org, &action, &target, &status, &detail, &prev, &hash); err != nil {
			rows.Close()
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, org_id, action, target, status, detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			seq, at, actor, org, action, target, status, detail, prev, hash); err != nil {
			rows.Close()
			return fmt.Errorf("sqlstore: copy audit entry %d: %w", seq, err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	blocks, err := s.db.QueryContext(ctx, `SELECT first_seq, last_seq, last_hash, entries FROM audit_blocks WHERE first_seq > $1 ORDER BY first_seq`, have)
	if err != nil {
		return err
	}
	for blocks.Next() {
		var first, last int64
		var hash string
		var b []byte
		if err := blocks.Scan(&first, &last, &hash, &b); err != nil {
			blocks.Close()
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_blocks (first_seq, last_seq, last_hash, entries) VALUES ($1, $2, $3, $4)`, first, last, hash, b); err != nil {
			blocks.Close()
			return fmt.Errorf("sqlstore: copy audit block from entry %d: %w", first, err)
		}
	}
	blocks.Close()
	if err := blocks.Err(); err != nil {
		return err
	}
	if have, err = lastAuditSeq(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: audit database: %w", err)
	}
	// Only what the audit database now holds leaves the main one.
	mtx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer mtx.Rollback()
	for _, q := range []string{`DELETE FROM audit_log WHERE seq <= $1`, `DELETE FROM audit_blocks WHERE first_seq <= $1`} {
		if _, err := mtx.ExecContext(ctx, q, have); err != nil {
			return err
		}
	}
	return mtx.Commit()
}

// lastAuditSeq is the largest seq the log's rows and blocks name (0 when
// empty), first and last seq of a block alike, so that a block edited to
// end before it begins is still counted as held.
func lastAuditSeq(ctx context.Context, tx *sql.Tx) (int64, error) {
	var rows, first, last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM audit_log`).Scan(&rows); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(first_seq), 0), COALESCE(MAX(last_seq), 0) FROM audit_blocks`).Scan(&first, &last); err != nil {
		return 0, err
	}
	return max(rows, first, last), nil
}

// maxAuditBlock bounds the encoded size of a block (one entry may exceed it).
const maxAuditBlock = 4 << 20

// encodedSize bounds the size of e in a block (EncodeAuditBlock): three
// varints, five lengths and their strings, the link flag and two digests.
func encodedSize(e *audit.Entry) int {
	return 8*binary.MaxVarintLen64 + 1 + 64 + len(e.Actor) + len(e.OrgID) + len(e.Action) + len(e.Target) + len(e.Detail)
}

// auditHead returns the last entry's seq and hash: the last block's, or
// the last row's of a log from before blocks.
func auditHead(ctx context.Context, tx *sql.Tx) (int64, string, error) {
	var seq int64
	var hash string
	err := tx.QueryRowContext(ctx, `SELECT last_seq, last_hash FROM audit_blocks ORDER BY first_seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return seq, hash, err
}

func (s *DB) AuditRange(ctx context.Context, from int64, limit int) ([]audit.Entry, error) {
	// The rows of a log from before blocks come first.
	rows, err := s.adb.QueryContext(ctx, `SELECT seq, at, actor, org_id, action, target, status, detail, prev, hash
		FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		var e audit.Entry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.OrgID, &e.Action, &e.Target, &e.Status, &e.Detail, &e.Prev, &e.Hash); err != nil {
			return nil, err
		}
		e.Time = fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) >= limit {
		return out, nil
	}
	// Then the blocks, from the one that holds from. An entry of a
	// tampered block may carry any seq: every decoded entry at or after
	// from is returned, in stored order, for Verify to judge.
	// Every block holds an entry at least, so limit+1 blocks are enough
	// (the first may begin before from); without the bound, PostgreSQL
	// would send the whole rest of the log.
	blocks, err := s.adb.QueryContext(ctx, `SELECT first_seq, entries FROM audit_blocks
		WHERE first_seq >= (SELECT COALESCE(MAX(first_seq), 0) FROM audit_blocks WHERE first_seq <= $1) ORDER BY first_seq LIMIT $2`, from, limit-len(out)+1)
	if err != nil {
		return nil, err
	}
	defer blocks.Close()
	for blocks.Next() && len(out) < limit {
		var first int64
		var b []byte
		if err := blocks.Scan(&first, &b); err != nil {
			return nil, err
		}
		es, err := DecodeAuditBlock(b)
		if err != nil {
			return nil, fmt.Errorf("audit block from entry %d: %w", first, err)
		}
		for _, e := range es {
			if e.Seq >= from && len(out) < limit {
				out = append(out, e)
			}
		}
	}
	return out, blocks.Err()
}

// auditBlockFormat is the first byte of an encoded block.
const auditBlockFormat = 1

// EncodeAuditBlock encodes entries as one block: the format byte, the
// count, then per entry its Seq, Time (µs) and Status as varints, its
// Actor, OrgID, Action, Target and Detail as a uvarint length and the
// bytes, and its Prev (none for the first entry of a log) and Hash as raw
// SHA-256 digests. Entries are stored as given: the chain is checked by
// audit.Verify on reading, as it is for rows.
func EncodeAuditBlock(entries []audit.Entry) ([]byte, error) {
	size := 1 + binary.MaxVarintLen64
	for i := range entries {
		size += encodedSize(&entries[i])
	}
	b := make([]byte, 0, size)
	b = append(b, auditBlockFormat)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	digest := func(seq int64, h string) error {
		var d [32]byte
		if len(h) != 2*len(d) { // checked first: Decode would write past d
			return fmt.Errorf("audit: entry %d has a hash that is no hex SHA-256 digest", seq)
		}
		if _, err := hex.Decode(d[:], []byte(h)); err != nil {
			return fmt.Errorf("audit: entry %d has a hash that is no hex SHA-256 digest", seq)
		}
		b = append(b, d[:]...)
		return nil
	}
	for i := range entries {
		e := &entries[i]
		b = binary.AppendVarint(b, e.Seq)
		b = binary.AppendVarint(b, e.Time.UnixMicro())
		b = binary.AppendVarint(b, int64(e.Status))
		str(e.Actor)
		str(e.OrgID)
		str(e.Action)
		str(e.Target)
		str(e.Detail)
		if e.Prev == "" {
			b = append(b, 0)
		} else {
			b = append(b, 1)
			if err := digest(e.Seq, e.Prev); err != nil {
				return nil, err
			}
		}
		if err := digest(e.Seq, e.Hash); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// DecodeAuditBlock is EncodeAuditBlock's inverse; it fails on bytes that
// are not a whole block.
func DecodeAuditBlock(b []byte) ([]audit.Entry, error) {
	bad := errors.New("not a valid audit block")
	if len(b) == 0 || b[0] != auditBlockFormat {
		return nil, bad
	}
	r := blockReader{b: b[1:]}
	count := r.uvarint()
	// An entry takes at least 38 bytes: a larger count is corruption.
	if r.bad || count == 0 || count > uint64(len(r.b))/38 {
		return nil, bad
	}
	out := make([]audit.Entry, 0, count)
	for range count {
		var e audit.Entry
		e.Seq = r.varint()
		e.Time = fromMicros(r.varint())
		e.Status = int(r.varint())
		e.Actor, e.OrgID, e.Action, e.Target, e.Detail = r.str(), r.str(), r.str(), r.str(), r.str()
		if flag := r.next(1); len(flag) == 1 && flag[0] == 1 {
			e.Prev = hex.EncodeToString(r.next(32))
		} else if len(flag) == 1 && flag[0] != 0 {
			r.bad = true
		}
		e.Hash = hex.EncodeToString(r.next(32))
		if r.bad {
			return nil, bad
		}
		out = append(out, e)
	}
	if len(r.b) != 0 {
		return nil, bad
	}
	return out, nil
}

// blockReader reads an encoded block; bad sticks once a read runs short.
type blockReader struct {
	b []byte
	// s, when set, holds the bytes b held at the start: str then returns
	// pieces of it instead of allocating each string.
	s   string
	bad bool
}

func (r *blockReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blockReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *blockReader) next(n uint64) []byte {
	if r.bad || n > uint64(len(r.b)) {
		r.bad, r.b = true, nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *blockReader) str() string {
	n := r.uvarint()
	at := len(r.s) - len(r.b)
	v := r.next(n)
	if r.s != "" && !r.bad {
		return r.s[at : at+len(v)]
	}
	return string(v)
}
