package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
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
// reported failed, and no write is taken after it.
func TestOneWriterCommitReportsTheSync(t *testing.T) {
	s := newOneWriterDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.insert(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	bad := errors.New("disk gone")
	s.syncErr.Store(&bad)
	if err := s.insert(ctx, 2, 2); !errors.Is(err, bad) {
		t.Fatalf("commit with a failed sync: %v, want %v", err, bad)
	}
	s.syncErr.Store(nil)
	err := s.insert(ctx, 3, 3)
	if !errors.Is(err, bad) || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("a write after a failed sync: %v, want a refusal naming it", err)
	}
}

// TestOneWriterCancelKeepsTheNextWriterWhole: writers whose context ends
// at any point of their transaction leave the next writer's transaction
// whole. database/sql's own rollback of a transaction whose context ended
// runs in the background, and on the one connection it undid the next
// writer's BEGIN: its statements then committed one by one.
func TestOneWriterCancelKeepsTheNextWriterWhole(t *testing.T) {
	s := newOneWriterDB(t)
	bg := context.Background()
	end := time.Now().Add(time.Second)
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	for w := range 2 { // whole writers: three rows a transaction
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(end); n++ {
				err := func() error {
					tx, err := s.beginWrite(bg)
					if err != nil {
						return err
					}
					defer tx.Rollback()
					for range 3 {
						if _, err := tx.ExecContext(bg, "INSERT INTO t VALUES (?, ?)", w, n); err != nil {
							return err
						}
					}
					return tx.Commit()
				}()
				if err != nil {
					errc <- fmt.Errorf("writer %d, transaction %d: %w", w, n, err)
					return
				}
			}
		}()
	}
	for c := range 2 { // writers whose context ends, at a different point each time
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(end); n++ {
				ctx, cancel := context.WithTimeout(bg, time.Duration(n%7)*300*time.Microsecond)
				tx, err := s.beginWrite(ctx)
				if err != nil {
					cancel()
					continue
				}
				// A statement long enough to be cut short, often.
				tx.ExecContext(ctx, "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 5000) INSERT INTO t SELECT ?, i FROM r", 10+c)
				if n%2 == 0 {
					tx.Commit()
				}
				tx.Rollback()
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	rows, err := s.db.Query("SELECT w, n, count(*) FROM t WHERE w < 10 GROUP BY w, n HAVING count(*) <> 3")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var w, n, c int
		if err := rows.Scan(&w, &n, &c); err != nil {
			t.Fatal(err)
		}
		t.Errorf("writer %d, transaction %d: %d rows of 3 stored", w, n, c)
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
