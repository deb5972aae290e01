package sqlstore

import (
	"bytes"
	"context"
	"crypto/rand"
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
// main database otherwise, and audit_store (migration 0018). Each
// statement may run again.
var auditSchema = []string{
	`CREATE TABLE IF NOT EXISTS audit_log (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, org_id TEXT NOT NULL,
		action TEXT NOT NULL, target TEXT NOT NULL, status INTEGER NOT NULL, detail TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, appends BIGINT NOT NULL)`,
	`INSERT INTO audit_head (id, appends) SELECT 1, 0 WHERE NOT EXISTS (SELECT 1 FROM audit_head WHERE id = 1)`,
	`CREATE TABLE IF NOT EXISTS audit_blocks (first_seq BIGINT PRIMARY KEY, last_seq BIGINT NOT NULL, last_hash TEXT NOT NULL, entries {{BYTES}} NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS audit_store (id TEXT NOT NULL)`,
}

// ErrAuditFile is returned by OpenSplit when the audit database is not
// the one the main database was opened with: missing, emptied, or
// another store's. A store whose log has gone must not carry on as if it
// had none.
var ErrAuditFile = errors.New("sqlstore: the audit log's database is not this store's")

// prepareAuditDB creates the audit database's tables, checks that it is
// the main database's (both hold the id of the pair in audit_store), and
// moves into it the entries the main database holds (written before the
// split): first a copy of those the audit database lacks, in one
// transaction, then the deletion from the main database of exactly the
// entries the audit database now holds alike, in another. A crash between
// the two leaves entries in both; the next open copies nothing and deletes
// them. An entry held by both but not alike stops the open with nothing
// deleted. Entries are copied as stored, rows and blocks alike, so that
// whatever was edited stays for Verify to find.
func (s *DB) prepareAuditDB(ctx context.Context) error {
	var mainID string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM audit_store`).Scan(&mainID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
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
	var auditID string
	err = tx.QueryRowContext(ctx, `SELECT id FROM audit_store`).Scan(&auditID)
	switch {
	case err != nil && !errors.Is(err, sql.ErrNoRows):
		return err
	case mainID != "" && auditID == "":
		return fmt.Errorf("%w: it holds no log, and this store's log (%s) was moved into it; restore it from the backup of the main database", ErrAuditFile, mainID)
	case mainID != "" && auditID != mainID:
		return fmt.Errorf("%w: it is the log %s, this store's is %s", ErrAuditFile, auditID, mainID)
	case auditID == "":
		var b [16]byte
		rand.Read(b[:])
		auditID = hex.EncodeToString(b[:])
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_store (id) VALUES ($1)`, auditID); err != nil {
			return err
		}
	}
	rowKeys, err := s.copyAuditRows(ctx, tx)
	if err != nil {
		return err
	}
	blockKeys, err := s.copyAuditBlocks(ctx, tx)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: audit database: %w", err)
	}
	mtx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer mtx.Rollback()
	if mainID == "" {
		if _, err := mtx.ExecContext(ctx, `INSERT INTO audit_store (id) VALUES ($1)`, auditID); err != nil {
			return err
		}
	}
	for _, k := range rowKeys {
		if _, err := mtx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq = $1 AND hash = $2`, k.seq, k.hash); err != nil {
			return err
		}
	}
	for _, k := range blockKeys {
		if _, err := mtx.ExecContext(ctx, `DELETE FROM audit_blocks WHERE first_seq = $1 AND last_hash = $2`, k.seq, k.hash); err != nil {
			return err
		}
	}
	return mtx.Commit()
}

// auditKey names a row (seq, hash) or a block (first_seq, last_hash) that
// the audit database holds alike.
type auditKey struct {
	seq  int64
	hash string
}

// copyAuditRows copies into tx the main database's audit rows that it
// lacks and returns the keys of all the main database's rows, which tx
// now holds alike.
func (s *DB) copyAuditRows(ctx context.Context, tx *sql.Tx) ([]auditKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, actor, org_id, action, target, status, detail, prev, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (seq, at, actor, org_id, action, target, status, detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)
	if err != nil {
		return nil, err
	}
	defer ins.Close()
	get, err := tx.PrepareContext(ctx, `SELECT seq, at, actor, org_id, action, target, status, detail, prev, hash FROM audit_log WHERE seq = $1`)
	if err != nil {
		return nil, err
	}
	defer get.Close()
	var keys []auditKey
	for rows.Next() {
		var e, h auditRow
		if err := rows.Scan(e.dest()...); err != nil {
			return nil, err
		}
		seq, hash := e.seq, e.hash
		err := get.QueryRowContext(ctx, seq).Scan(h.dest()...)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := ins.ExecContext(ctx, e.seq, e.at, e.actor, e.org, e.action, e.target, e.status, e.detail, e.prev, e.hash); err != nil {
				return nil, fmt.Errorf("sqlstore: copy audit entry %d: %w", seq, err)
			}
		case err != nil:
			return nil, err
		case h != e:
			return nil, fmt.Errorf("%w: audit entry %d is in both databases, not alike; nothing was deleted: compare them before removing either", ErrAuditFile, seq)
		}
		keys = append(keys, auditKey{seq, hash})
	}
	return keys, rows.Err()
}

// auditRow is a row of audit_log as stored.
type auditRow struct {
	seq, at                                        int64
	status                                         int
	actor, org, action, target, detail, prev, hash string
}

func (r *auditRow) dest() []any {
	return []any{&r.seq, &r.at, &r.actor, &r.org, &r.action, &r.target, &r.status, &r.detail, &r.prev, &r.hash}
}

// copyAuditBlocks is copyAuditRows for blocks.
func (s *DB) copyAuditBlocks(ctx context.Context, tx *sql.Tx) ([]auditKey, error) {
	blocks, err := s.db.QueryContext(ctx, `SELECT first_seq, last_seq, last_hash, entries FROM audit_blocks ORDER BY first_seq`)
	if err != nil {
		return nil, err
	}
	defer blocks.Close()
	var keys []auditKey
	for blocks.Next() {
		var first, last int64
		var hash string
		var b []byte
		if err := blocks.Scan(&first, &last, &hash, &b); err != nil {
			return nil, err
		}
		var hlast int64
		var hhash string
		var hb []byte
		err := tx.QueryRowContext(ctx, `SELECT last_seq, last_hash, entries FROM audit_blocks WHERE first_seq = $1`, first).Scan(&hlast, &hhash, &hb)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_blocks (first_seq, last_seq, last_hash, entries) VALUES ($1, $2, $3, $4)`, first, last, hash, b); err != nil {
				return nil, fmt.Errorf("sqlstore: copy audit block from entry %d: %w", first, err)
			}
		case err != nil:
			return nil, err
		case hlast != last || hhash != hash || !bytes.Equal(hb, b):
			return nil, fmt.Errorf("%w: the audit block from entry %d is in both databases, not alike; nothing was deleted: compare them before removing either", ErrAuditFile, first)
		}
		keys = append(keys, auditKey{first, hash})
	}
	return keys, blocks.Err()
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
	b   []byte
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

func (r *blockReader) str() string { return string(r.next(r.uvarint())) }
