package sqlitestore

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestBoundWALTruncatesTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := openDB(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // one connection, so that its settings hold for every statement
	// Without automatic checkpoints the log only grows, as under writes
	// that never pause.
	for _, q := range []string{"PRAGMA wal_autocheckpoint=0", "CREATE TABLE t (b BLOB)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for range 64 {
		if _, err := db.Exec("INSERT INTO t VALUES (randomblob(32768))"); err != nil {
			t.Fatal(err)
		}
	}
	wal := path + "-wal"
	size := func() int64 {
		fi, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	if s := size(); s < 2<<20 {
		t.Fatalf("log of %d bytes after 2 MB of writes", s)
	}
	const limit = 512 << 10
	// Above the log's size: left alone.
	stop := boundWAL(db, wal, 64<<20, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	stop()
	if s := size(); s < 2<<20 {
		t.Fatalf("log of %d bytes checkpointed below the limit", s)
	}
	stop = boundWAL(db, wal, limit, 5*time.Millisecond)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for size() > limit {
		if time.Now().After(deadline) {
			t.Fatalf("log still %d bytes, limit %d", size(), limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t WHERE length(b) = 32768").Scan(&n); err != nil || n != 64 {
		t.Fatalf("after the checkpoint: %d rows, %v", n, err)
	}
}
