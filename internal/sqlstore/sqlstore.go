package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Dialect is what an adapter tells sqlstore about its database.
type Dialect struct {
	Name string // "sqlite" or "postgres"
	// Types replaces {{NAME}} in migrations, e.g. BYTES → BLOB or BYTEA.
	Types map[string]string
	// IsUnique reports whether err is a unique-constraint violation.
	IsUnique func(error) bool
	// Anonymous says the database binds plain "?" placeholders by position.
	// SQLite looks up every "$N" in a list, which is quadratic for the
	// thousands of values of a bulk insert; "?" costs nothing.
	Anonymous bool
	// Lock serializes migrations across processes on conn; it returns the
	// unlock function. Nil when transactions alone serialize (SQLite).
	Lock func(ctx context.Context, conn *sql.Conn) (func(), error)
}

// DB is a migrated relational store.
type DB struct {
	db      *sql.DB
	adb     *sql.DB // the audit log's: db, or a database of its own (OpenSplit)
	dialect Dialect
	stmts   stmtCache
	w       *writer  // OneWriter's, or nil
	stops   []func() // the adapter's background work, stopped by Close first
}

// OnClose has Close call stop before it closes the databases: for an
// adapter's background work on them.
func (s *DB) OnClose(stop func()) { s.stops = append(s.stops, stop) }

// ErrSchemaTooNew is returned by Open when the database was migrated by a
// newer trawl.
var ErrSchemaTooNew = errors.New("sqlstore: database schema is newer than this binary")

type migration struct {
	version int
	name    string
	sql     string
	// after, when set, runs in the migration's transaction after sql.
	after func(context.Context, *sql.Tx, Dialect) error
}

// goSteps are the parts of migrations written in Go, by version.
var goSteps = map[int]func(context.Context, *sql.Tx, Dialect) error{
	17: fillObjectHeads,
	19: keyObjectsByID,
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("sqlstore: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b), after: goSteps[v]})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlstore: migration %s out of sequence (want version %d)", m.name, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this binary migrates to.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // embedded at build time; covered by tests
	}
	return len(ms)
}

// Open migrates db to the latest schema and returns the store. It takes
// ownership of db.
func Open(ctx context.Context, db *sql.DB, d Dialect) (*DB, error) {
	return OpenSplit(ctx, db, db, d)
}

// OpenSplit is Open with the audit log in a database of its own, auditDB
// (SQLite: a second file). Every read of the hub writes an audit entry, and
// in SQLite any commit to a database file makes every other connection
// drop its cached pages of that file and look its pages up in a longer
// write-ahead log: with the log in the same file, each TAXII page was read
// from the operating system anew, about a sixth of its cost. Entries that
// db holds (written before the split) are moved into auditDB. It takes
// ownership of both; auditDB may be db (Open).
func OpenSplit(ctx context.Context, db, auditDB *sql.DB, d Dialect) (*DB, error) {
	s := &DB{db: db, adb: auditDB, dialect: d}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if auditDB != db {
		if err := s.prepareAuditDB(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *DB) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: connect: %w", err)
	}
	defer conn.Close()
	if s.dialect.Lock != nil {
		unlock, err := s.dialect.Lock(ctx, conn)
		if err != nil {
			return fmt.Errorf("sqlstore: lock for migration: %w", err)
		}
		defer unlock()
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("sqlstore: create schema_migrations: %w", err)
	}
	for {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlstore: begin migration: %w", err)
		}
		var cur int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&cur); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: read schema version: %w", err)
		}
		if cur > len(ms) {
			tx.Rollback()
			return fmt.Errorf("%w: the database is at version %d, this trawl knows up to %d; run a newer trawl", ErrSchemaTooNew, cur, len(ms))
		}
		if cur == len(ms) {
			return tx.Rollback()
		}
		m := ms[cur]
		if _, err := tx.ExecContext(ctx, s.rewrite(m.sql)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: apply migration %s: %w", m.name, err)
		}
		if m.after != nil {
			if err := m.after(ctx, tx, s.dialect); err != nil {
				tx.Rollback()
				return fmt.Errorf("sqlstore: apply migration %s: %w", m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlstore: record migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlstore: commit migration %s: %w", m.name, err)
		}
	}
}

func (s *DB) rewrite(q string) string {
	for k, v := range s.dialect.Types {
		q = strings.ReplaceAll(q, "{{"+k+"}}", v)
	}
	return q
}

// SchemaVersion returns the version the database is at.
func (s *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// Ping checks that the database answers, and the audit log's.
func (s *DB) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return errs.Wrap(errs.Unavailable, err, "database unavailable")
	}
	if err := s.adb.PingContext(ctx); err != nil {
		return errs.Wrap(errs.Unavailable, err, "audit database unavailable")
	}
	return nil
}

// Close closes the database, and the audit log's.
func (s *DB) Close() error {
	for _, stop := range s.stops {
		stop()
	}
	s.stops = nil
	s.closeWriter()
	s.stmts.close()
	err := s.db.Close()
	if s.adb != s.db {
		err = errors.Join(err, s.adb.Close())
	}
	return err
}

// SQL exposes the handle for adapters and tests.
func (s *DB) SQL() *sql.DB { return s.db }

// AuditSQL exposes the audit log's handle (SQL's unless OpenSplit) for
// tests.
func (s *DB) AuditSQL() *sql.DB { return s.adb }

// Dialect returns the dialect name.
func (s *DB) Dialect() string { return s.dialect.Name }

// conflictOr maps a unique violation to errs.Conflict with msg.
func (s *DB) conflictOr(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if s.dialect.IsUnique != nil && s.dialect.IsUnique(err) {
		return errs.Wrap(errs.Conflict, err, format, args...)
	}
	return err
}

// insertRows inserts rows in multi-row statements of at most perStmt rows:
// into is "table (col, ...)", and each row holds one value per column.
func (s *DB) insertRows(ctx context.Context, tx *sql.Tx, into string, cols, perStmt int, rows [][]any) error {
	for start := 0; start < len(rows); start += perStmt {
		chunk := rows[start:min(start+perStmt, len(rows))]
		var q strings.Builder
		q.WriteString("INSERT INTO " + into + " VALUES ")
		args := make([]any, 0, len(chunk)*cols)
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(" + s.placeholders(i*cols+1, cols) + ")")
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// queryJSON runs q, whose rows are one JSON document each, and decodes them.
func queryJSON[T any](ctx context.Context, db *sql.DB, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
