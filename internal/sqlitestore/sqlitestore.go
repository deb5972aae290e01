// Package sqlitestore opens trawl's relational store in an embedded SQLite
// database (pure Go, no cgo): the zero-setup default inside the data dir.
//
// The database runs in WAL mode with synchronous=FULL, so a committed write
// survives a crash or kill -9 of the process and of the machine, and readers
// never block the writer.
package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

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

// MaxIdleConns is how many connections the store keeps open between uses.
const MaxIdleConns = 32

// Open opens (creating if needed) the store in dir and migrates it.
func Open(ctx context.Context, dir string) (*sqlstore.DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlitestore: create data dir: %w", err)
	}
	return OpenFile(ctx, filepath.Join(dir, FileName))
}

// OpenFile opens the store in one database file.
func OpenFile(ctx context.Context, path string) (*sqlstore.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
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
	db.SetMaxIdleConns(MaxIdleConns)
	s, err := sqlstore.Open(ctx, db, Dialect)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
