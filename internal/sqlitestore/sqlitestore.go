// Package sqlitestore opens trawl's relational store in an embedded SQLite
// database (pure Go, no cgo): the zero-setup default inside the data dir.
//
// The database runs in WAL mode with synchronous=FULL, so a committed write
// survives a crash or kill -9 of the process and of the machine, and readers
// never block the writer. A log past WALLimit is checkpointed in full and
// emptied, with writers held back meanwhile (boundWAL). The audit log is
// in a second file beside it (AuditPath: trawl-audit.db), with the same
// settings.
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
	db, err := openDB(path, MaxIdleConns)
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
	s.OnClose(boundWAL(db, path+"-wal", WALLimit, time.Second))
	s.OnClose(boundWAL(adb, AuditPath(path)+"-wal", WALLimit, time.Second))
	return s, nil
}

// AuditPath is the file of the audit log of the store in path: trawl.db's
// is trawl-audit.db. Its writes, one per request, would otherwise make
// every reader of the store's file read its pages again (sqlstore.OpenSplit).
func AuditPath(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-audit" + ext
}

func openDB(path string, idle int) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS), "foreign_keys(1)"} {
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
