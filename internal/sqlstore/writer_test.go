package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// oneWriterDB is a store over a fresh SQLite file, with OneWriter set up
// to count how often it opened the writer connection and synced.
type oneWriterDB struct {
	*DB
	setups, syncs atomic.Int64
	syncErr       atomic.Pointer[error]
}

func newOneWriterDB(t *testing.T) *oneWriterDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "w.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (w INTEGER, n INTEGER)"); err != nil {
		t.Fatal(err)
	}
	s := &oneWriterDB{DB: &DB{db: db, adb: db}}
	s.OneWriter(func(ctx context.Context, c *sql.Conn) error {
		s.setups.Add(1)
		_, err := c.ExecContext(ctx, "PRAGMA synchronous = NORMAL")
		return err
	}, func() error {
		s.syncs.Add(1)
		if p := s.syncErr.Load(); p != nil {
			return *p
		}
		return nil
	})
	t.Cleanup(func() { s.Close() })
	return s
}

func (s *oneWriterDB) insert(ctx context.Context, w, n int) error {
	tx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "INSERT INTO t VALUES (?, ?)", w, n); err != nil {
		return err
	}
	return tx.Commit()
}

// TestOneWriterTakesTurns: eight writers share the one connection; none
// fails, none is starved, every commit is stored and synced, and the
// connection was set up once.
func TestOneWriterTakesTurns(t *testing.T) {
	s := newOneWriterDB(t)
	ctx := context.Background()
	written := make([]int, 8)
	errc := make(chan error, len(written))
	end := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	for w := range written {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if err := s.insert(ctx, w, written[w]); err != nil {
					errc <- err
					return
				}
				written[w]++
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	total, least, most := 0, written[0], written[0]
	for w, n := range written {
		var got int
		if err := s.db.QueryRow("SELECT count(*) FROM t WHERE w = ?", w).Scan(&got); err != nil || got != n {
			t.Errorf("writer %d: %d rows stored of %d committed, %v", w, got, n, err)
		}
		total += n
		least, most = min(least, n), max(most, n)
	}
	// SQLite's busy handler left some writers with almost nothing here.
	t.Logf("writes per writer: %v", written)
	if least == 0 || least < most/4 {
		t.Errorf("writes per writer from %d to %d: a writer was starved (%v)", least, most, written)
	}
	if got := s.syncs.Load(); got != int64(total) {
		t.Errorf("%d syncs after %d commits", got, total)
	}
	if got := s.setups.Load(); got != 1 {
		t.Errorf("writer connection set up %d times, want once", got)
	}
}

// TestOneWriterWaitEndsWithContext: a writer that waits for its turn
// longer than its context allows gets an error, and the turn is not lost.
func TestOneWriterWaitEndsWithContext(t *testing.T) {
	s := newOneWriterDB(t)
	ctx := context.Background()
	held, err := s.beginWrite(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := s.insert(short, 1, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting past the deadline: %v, want the deadline's error", err)
	}
	if err := held.Rollback(); err != nil {
		t.Fatal(err)
	}
	done, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	if err := s.insert(done, 2, 2); err != nil {
		t.Fatalf("after the wait ended: %v", err)
	}
}

// TestOneWriterCommitReportsTheSync: a commit whose sync failed is
// reported failed, and the next writer still gets its turn.
func TestOneWriterCommitReportsTheSync(t *testing.T) {
	s := newOneWriterDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	bad := errors.New("disk gone")
	s.syncErr.Store(&bad)
	if err := s.insert(ctx, 1, 1); !errors.Is(err, bad) {
		t.Fatalf("commit with a failed sync: %v, want %v", err, bad)
	}
	s.syncErr.Store(nil)
	if err := s.insert(ctx, 2, 2); err != nil {
		t.Fatalf("the next write: %v", err)
	}
}

// TestOneWriterReopensABrokenConnection: when the writer connection broke
// between two writes, the next write opens and sets up another.
func TestOneWriterReopensABrokenConnection(t *testing.T) {
	s := newOneWriterDB(t)
	ctx := context.Background()
	if err := s.insert(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	s.w.conn.Raw(func(any) error { return driver.ErrBadConn })
	if err := s.insert(ctx, 2, 2); err != nil {
		t.Fatalf("after the connection broke: %v", err)
	}
	if got := s.setups.Load(); got != 2 {
		t.Errorf("writer connection set up %d times, want twice", got)
	}
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM t").Scan(&n); err != nil || n != 2 {
		t.Errorf("%d rows, %v; want 2", n, err)
	}
}

// TestOneWriterAfterClose: a write after Close fails instead of waiting.
func TestOneWriterAfterClose(t *testing.T) {
	s := newOneWriterDB(t)
	s.closeWriter()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.insert(ctx, 1, 1); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("write after close: %v, want a prompt error", err)
	}
}
