package sqlitestore

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// openTestDB opens the database t.db in the test's temporary directory
// with openDB's arguments, to be closed when the test ends, and returns it
// and its file's path.
func openTestDB(t *testing.T, idle int, more ...string) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	db, err := openDB(path, idle, more...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// waitWALUnder waits up to 10 s for the log wal to be at most limit bytes,
// and fails the test if it is not (when names the moment, for the message).
func waitWALUnder(t *testing.T, wal string, limit int64, when string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() <= limit {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log still %d bytes %s, limit %d", fi.Size(), when, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBoundWALTruncatesTheLog(t *testing.T) {
	db, path := openTestDB(t, 1)
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
	stop := boundWAL(db, wal, 64<<20, 5*time.Millisecond, false)
	time.Sleep(50 * time.Millisecond)
	stop()
	if s := size(); s < 2<<20 {
		t.Fatalf("log of %d bytes checkpointed below the limit", s)
	}
	stop = boundWAL(db, wal, limit, 5*time.Millisecond, false)
	defer stop()
	waitWALUnder(t, wal, limit, "with the bound on")
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t WHERE length(b) = 32768").Scan(&n); err != nil || n != 64 {
		t.Fatalf("after the checkpoint: %d rows, %v", n, err)
	}
}

// TestBoundWALLetsWritersPastALongRead: a read that holds an old snapshot
// keeps the log from being emptied, and writers must not wait for it (a
// checkpoint that holds the write lock while it waits for readers would
// make them fail after their busy timeout).
func TestBoundWALLetsWritersPastALongRead(t *testing.T) {
	db, path := openTestDB(t, 8)
	if _, err := db.Exec("CREATE TABLE t (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	insert := func() {
		t.Helper()
		t0 := time.Now()
		if _, err := db.Exec("INSERT INTO t VALUES (randomblob(16384))"); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(t0); d > time.Second {
			t.Fatalf("a write waited %s", d)
		}
	}
	for range 16 {
		insert()
	}
	// An open statement keeps its snapshot until it is closed.
	rows, err := db.Query("SELECT length(b) FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no row")
	}
	const limit = 64 << 10
	wal := path + "-wal"
	stop := boundWAL(db, wal, limit, 5*time.Millisecond, false)
	defer stop()
	for start := time.Now(); time.Since(start) < 1500*time.Millisecond; {
		insert()
	}
	rows.Close()
	waitWALUnder(t, wal, limit, "after the read ended")
}

// TestBoundWALUnderManyWriters: the checkpoints that bound the log race
// with eight writers and two readers; no write fails, none is lost, and
// the database is whole afterwards. (A write may wait more than a second
// here, with the bound or without it: SQLite's busy handler sleeps and
// retries, and serves writers in no order.)
func TestBoundWALUnderManyWriters(t *testing.T) {
	db, path := openTestDB(t, 10)
	if _, err := db.Exec("CREATE TABLE t (w INTEGER, b BLOB)"); err != nil {
		t.Fatal(err)
	}
	const limit = 256 << 10
	wal := path + "-wal"
	stop := boundWAL(db, wal, limit, 5*time.Millisecond, false)
	defer stop()
	var wg sync.WaitGroup
	written := make([]int, 8)
	errc := make(chan error, 10)
	end := time.Now().Add(1500 * time.Millisecond)
	for w := range written {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) || written[w] == 0 {
				if _, err := db.Exec("INSERT INTO t VALUES (?, randomblob(16384))", w); err != nil {
					errc <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
				written[w]++
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				var n int
				if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil {
					errc <- fmt.Errorf("reader: %w", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for w, n := range written {
		var got int
		if err := db.QueryRow("SELECT count(*) FROM t WHERE w = ?", w).Scan(&got); err != nil || got != n || n == 0 {
			t.Errorf("writer %d: %d rows stored of %d written, %v", w, got, n, err)
		}
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}
	waitWALUnder(t, wal, limit, "after the writers stopped")
}

// TestBoundWALEmptiesAQuietLog: with quiet set, a log under the limit
// that stopped growing is emptied, as SQLite's own checkpoints would have
// done for a database that has them off.
func TestBoundWALEmptiesAQuietLog(t *testing.T) {
	db, path := openTestDB(t, 1, "wal_autocheckpoint(0)")
	for _, q := range []string{"CREATE TABLE t (b BLOB)", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 32) INSERT INTO t SELECT randomblob(32768) FROM n"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	wal := path + "-wal"
	if fi, err := os.Stat(wal); err != nil || fi.Size() < 1<<20 {
		t.Fatalf("log after 1 MB of writes: %v, %v", fi, err)
	}
	stop := boundWAL(db, wal, 64<<20, 5*time.Millisecond, true)
	defer stop()
	waitWALUnder(t, wal, 0, "with writes stopped")
	var n int
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 32 {
		t.Fatalf("after the checkpoint: %d rows, %v", n, err)
	}
}

// TestLogSync: the log is synced through the file opened last; before
// it is opened, after it is closed, and when it is missing, a sync fails.
func TestLogSync(t *testing.T) {
	db, path := openTestDB(t, 1)
	if _, err := db.Exec("CREATE TABLE t (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	ls := &logSync{path: path + "-wal"}
	if err := ls.sync(); err == nil {
		t.Error("sync before open succeeded")
	}
	for range 2 {
		if err := ls.open(); err != nil {
			t.Fatal(err)
		}
		if err := ls.sync(); err != nil {
			t.Fatalf("sync: %v", err)
		}
	}
	ls.close()
	if err := ls.sync(); err == nil {
		t.Error("sync after close succeeded")
	}
	missing := &logSync{path: path + "-not-a-log"}
	if err := missing.open(); err == nil {
		t.Error("opened a log that does not exist")
	}
}

// TestLogFileFollowsLinks: a store opened through a symbolic link has its
// log beside the file linked to, and that is the log it syncs and bounds.
func TestLogFileFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "real"), 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "real", "t.db")
	link := filepath.Join(dir, "t.db")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	s, err := OpenFile(t.Context(), link)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wal, err := logFile(t.Context(), s.SQL())
	if err != nil {
		t.Fatal(err)
	}
	want, err := filepath.EvalSymlinks(target)
	if err != nil {
		t.Fatal(err)
	}
	if wal != want+"-wal" {
		t.Errorf("log %q, want %q", wal, want+"-wal")
	}
	if _, err := os.Stat(wal); err != nil {
		t.Errorf("the log: %v", err)
	}
	if _, err := os.Stat(link + "-wal"); err == nil {
		t.Errorf("a log beside the link too")
	}
}

// TestRestartWALLeavesTheLogToTheWriter: a checkpoint with restart set
// copies the log but leaves the file as it is, with no new header for the
// connections to notice; the next writer, with journal_size_limit set as
// the store's connections have it, writes it again from its start and
// cuts it to what it wrote.
func TestRestartWALLeavesTheLogToTheWriter(t *testing.T) {
	db, path := openTestDB(t, 4, "wal_autocheckpoint(0)", "journal_size_limit(0)")
	w, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.ExecContext(t.Context(), "CREATE TABLE t (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	insert := func() {
		t.Helper()
		if _, err := w.ExecContext(t.Context(), "INSERT INTO t VALUES (randomblob(65536))"); err != nil {
			t.Fatal(err)
		}
	}
	wal := path + "-wal"
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	for range 64 {
		insert()
	}
	before := size()
	if err := truncateWAL(t.Context(), db, true); err != nil {
		t.Fatal(err)
	}
	if got := size(); got != before {
		t.Fatalf("log of %d bytes is %d after a restarting checkpoint; want it left alone", before, got)
	}
	insert()
	if got := size(); got > 256<<10 || got == 0 {
		t.Fatalf("log of %d bytes after the next write of 64 KB (%d before)", got, before)
	}
	if err := truncateWAL(t.Context(), db, false); err != nil {
		t.Fatal(err)
	}
	if got := size(); got != 0 {
		t.Fatalf("log of %d bytes after an emptying checkpoint", got)
	}
	var n int
	var check string
	if err := db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 65 {
		t.Fatalf("%d rows, %v; want 65", n, err)
	}
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check: %q, %v", check, err)
	}
}
