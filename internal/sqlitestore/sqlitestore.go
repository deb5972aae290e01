// Package sqlitestore opens trawl's relational store in an embedded SQLite
// database (pure Go, no cgo): the zero-setup default inside the data dir.
//
// The database runs in WAL mode, and a write is reported done only once
// it is on disk, so it survives a crash or kill -9 of the process and of
// the machine; readers never block the writer. Write transactions take
// turns on one connection (sqlstore.OneWriter), which syncs the log after
// the next writer has begun; other connections commit with
// synchronous=FULL. The log is checkpointed by boundWAL alone: past
// WALLimit, and when writes pause. The audit log is in a second file
// beside it (AuditPath: trawl-audit.db).
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/trawlhq/trawl/internal/sqlstore"
)

// FileName is the database file inside the data dir.
const FileName = "trawl.db"

// Dialect is the SQLite dialect of sqlstore.
var Dialect = sqlstore.Dialect{
	Name:      "sqlite",
	Types:     map[string]string{"BYTES": "BLOB", "SERIAL": "INTEGER PRIMARY KEY AUTOINCREMENT"},
	Anonymous: true,
	IsUnique: func(err error) bool {
		var e *sqlite.Error
		if errors.As(err, &e) {
			c := e.Code()
			return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
		}
		return false
	},
}

// busyTimeoutMS is how long a statement waits for a lock held by another
// connection before it fails with SQLITE_BUSY.
const busyTimeoutMS = 10_000

// WriterCacheKiB is the page cache of the connection that writes
// (sqlstore.OneWriter), in KiB. It keeps the pages of the indexes that
// writes change, of which the id key is scattered: a transaction of 1,000
// new random ids changes about 1,000 of its pages.
const WriterCacheKiB = 64 << 10

// AuditWALLimit is WALLimit for the audit log's database, whose
// connections also checkpoint on their own.
const AuditWALLimit = 64 << 20

// MaxIdleConns is how many connections the store keeps open between uses.
const MaxIdleConns = 32

// Open opens (creating if needed) the store in dir and migrates it.
func Open(ctx context.Context, dir string) (*sqlstore.DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlitestore: create data dir: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dir, FileName))
}

// OpenFile opens the store in the database file path, with the audit log
// in the file beside it (AuditPath).
func OpenFile(ctx context.Context, path string) (*sqlstore.DB, error) {
	// Its checkpoints are boundWAL's alone (WALLimit). journal_size_limit:
	// a connection that writes a log again from its start, once boundWAL
	// restarted it, cuts the file to what it wrote.
	db, err := openDB(path, MaxIdleConns, "wal_autocheckpoint(0)", "journal_size_limit(0)")
	if err != nil {
		return nil, err
	}
	adb, err := openDB(AuditPath(path), 4)
	if err != nil {
		db.Close()
		return nil, err
	}
	s, err := sqlstore.OpenSplit(ctx, db, adb, Dialect)
	if err != nil {
		db.Close()
		adb.Close()
		return nil, err
	}
	wal, err := logFile(ctx, db)
	var auditWAL string
	if err == nil {
		auditWAL, err = logFile(ctx, adb)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	// Writes take turns on one connection (sqlstore.OneWriter), which
	// commits without waiting for the disk (synchronous=NORMAL): the log is
	// synced after the turn has passed to the next writer, so the sync no
	// longer holds every writer back, and a commit is still reported done
	// only once it is on disk.
	ls := &logSync{path: wal}
	s.OneWriter(func(ctx context.Context, c *sql.Conn) error {
		for _, p := range []string{fmt.Sprintf("PRAGMA cache_size = %d", -WriterCacheKiB), "PRAGMA synchronous = NORMAL"} {
			if _, err := c.ExecContext(ctx, p); err != nil {
				return err
			}
		}
		// While this connection is open SQLite keeps the log file, so the
		// file opened now is the log for as long as the connection lasts.
		return ls.open()
	}, ls.sync)
	s.OnClose(boundWAL(db, wal, WALLimit, time.Second, true))
	s.OnClose(boundWAL(adb, auditWAL, AuditWALLimit, time.Second, false))
	s.OnClose(ls.close)
	return s, nil
}

// logFile is the write-ahead log of db's main database, named as SQLite
// names it: beside the file it opened, symbolic links followed.
func logFile(ctx context.Context, db *sql.DB) (string, error) {
	var file string
	if err := db.QueryRowContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file); err != nil {
		return "", fmt.Errorf("sqlitestore: name of the database file: %w", err)
	}
	if file == "" {
		return "", errors.New("sqlitestore: the database has no file")
	}
	return file + "-wal", nil
}

// logSync makes what was committed to a database durable: it syncs the
// write-ahead log (path), which holds every commit made since the last
// checkpoint. A checkpoint syncs what it copies into the database file
// before the log may be written again from its start, so a commit that is
// no longer in the log is already on disk; SQLite finds the commits in
// the log again after a crash, in order, up to the first incomplete one.
//
// The file stays open from one sync to the next, so that a failed
// write-back of the log is reported to the next sync whoever wrote it.
type logSync struct {
	path string
	mu   sync.Mutex
	f    *os.File // nil before open and after close
}

// open opens the log anew, closing the file opened before.
func (l *logSync) open() error {
	f, err := os.OpenFile(l.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sqlitestore: open the log to sync it: %w", err)
	}
	l.swap(f)
	return nil
}

// swap puts f in place of the file open before, and closes that one.
func (l *logSync) swap(f *os.File) {
	l.mu.Lock()
	old := l.f
	l.f = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
}

func (l *logSync) sync() error {
	l.mu.Lock()
	f := l.f
	l.mu.Unlock()
	if f == nil {
		return errors.New("sqlitestore: sync the log: not open")
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sqlitestore: sync the log: %w", err)
	}
	return nil
}

func (l *logSync) close() { l.swap(nil) }

// AuditPath is the file of the audit log of the store in path: trawl.db's
// is trawl-audit.db. Its writes, one per request, would otherwise make
// every reader of the store's file read its pages again (sqlstore.OpenSplit).
func AuditPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-audit" + ext
}

// openDB opens the database in path with the store's pragmas and more.
func openDB(path string, idle int, more ...string) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range append([]string{"journal_mode(WAL)", "synchronous(FULL)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "foreign_keys(1)"}, more...) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate") // writers queue at BEGIN instead of failing at COMMIT
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	// Keep connections open: database/sql keeps 2 idle by default, so with
	// more concurrent requests than that each request opened a connection
	// (file, pragmas, the schema parsed again) and prepared its statements
	// anew. WAL lets readers run beside the one writer.
	db.SetMaxIdleConns(idle)
	return db, nil
}
