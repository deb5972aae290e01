package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
)

// writer is the one connection that every write transaction of the store
// takes in turn, when the adapter asks for it (OneWriter; SQLite, which
// runs one writer at a time anyway).
//
// Writers then wait for each other here, in Go, instead of in SQLite's
// busy handler, which polls with sleeps of up to 100 ms and serves the
// waiting connections in no order: with 8 writers some waited 1.9 s of a 2 s
// run, and one that lost for busyTimeout got SQLITE_BUSY. And the
// connection keeps its cache of pages from one transaction to the next:
// SQLite empties a connection's cache whenever another connection has
// written, so with writes spread over the pool every transaction read
// again the index pages it changes.
type writer struct {
	db    *sql.DB
	setup func(context.Context, *sql.Conn) error
	turn  chan struct{} // holds a token while a writer has the connection

	conn   *sql.Conn // guarded by turn; nil until first use, or after it broke
	closed bool      // guarded by turn

	mu sync.Mutex
	// failed is the error of a sync that failed: no write is taken after
	// it, as the log may have lost what it held, and commits reported
	// after it could be lost with it in a crash.
	failed error
	// afterCommit, when set, runs after each commit, outside the turn, and
	// the commit reports its error (the adapter's sync of the log).
	afterCommit func() error
}

// OneWriter has every write transaction of the store (beginWrite) run on
// one connection of its database, in turn. setup runs on the connection
// when it is opened (its pragmas); afterCommit, when not nil, runs after
// each commit, once the next writer may go on, and a commit is reported
// done only when it returned nil. After an afterCommit error the store
// takes no more writes: it must be reopened.
func (s *DB) OneWriter(setup func(context.Context, *sql.Conn) error, afterCommit func() error) {
	s.w = &writer{db: s.db, setup: setup, turn: make(chan struct{}, 1), afterCommit: afterCommit}
}

// writeTx is a write transaction. Commit and Rollback end the writer's
// turn; Rollback after Commit does nothing, as with sql.Tx.
type writeTx struct {
	*sql.Tx
	w    *writer
	ctx  context.Context
	once sync.Once
}

// beginWrite begins a write transaction: on the store's one writer
// connection when it has one, waiting for its turn no longer than ctx
// allows.
func (s *DB) beginWrite(ctx context.Context) (*writeTx, error) {
	w := s.w
	if w == nil {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &writeTx{Tx: tx}, nil
	}
	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("sqlstore: waiting to write: %w", ctx.Err())
	}
	tx, err := w.begin(ctx)
	if err != nil {
		<-w.turn
		return nil, err
	}
	return &writeTx{Tx: tx, w: w, ctx: ctx}, nil
}

// begin begins a transaction on the connection, opening it first if need
// be, and once more if it broke since the last use.
func (w *writer) begin(ctx context.Context) (*sql.Tx, error) {
	w.mu.Lock()
	failed := w.failed
	w.mu.Unlock()
	if failed != nil {
		return nil, fmt.Errorf("sqlstore: no writes since a sync of the store failed (%w); reopen it", failed)
	}
	for attempt := 0; ; attempt++ {
		if w.closed {
			return nil, errors.New("sqlstore: the store is closed")
		}
		if w.conn == nil {
			c, err := w.db.Conn(ctx)
			if err != nil {
				return nil, err
			}
			w.conn = c
			if err := w.setup(ctx, c); err != nil {
				w.drop()
				return nil, fmt.Errorf("sqlstore: set up the writer connection: %w", err)
			}
		}
		// Not ctx: database/sql rolls a transaction back by itself when its
		// context ends, in the background, and on this connection that
		// ROLLBACK could come after the turn passed on, in the next
		// writer's transaction. Statements still end with ctx, and
		// Commit checks it.
		tx, err := w.conn.BeginTx(context.WithoutCancel(ctx), nil)
		if err == nil {
			return tx, nil
		}
		if attempt == 0 && (errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn)) {
			w.drop()
			continue
		}
		return nil, err
	}
}

// drop closes the connection so that it does not go back to the pool
// with the writer's settings. The caller has the turn.
func (w *writer) drop() {
	w.conn.Raw(func(any) error { return driver.ErrBadConn })
	w.conn.Close()
	w.conn = nil
}

func (t *writeTx) end() {
	if t.w != nil {
		t.once.Do(func() { <-t.w.turn })
	}
}

// Commit commits, ends the turn and, with afterCommit, waits for it. A
// transaction whose context ended is rolled back instead, as sql.Tx does.
func (t *writeTx) Commit() error {
	if t.w == nil {
		return t.Tx.Commit()
	}
	if err := t.ctx.Err(); err != nil {
		t.Rollback()
		return err
	}
	err := t.Tx.Commit()
	t.end()
	if err == nil && t.w.afterCommit != nil {
		if err = t.w.afterCommit(); err != nil {
			t.w.mu.Lock()
			if t.w.failed == nil {
				t.w.failed = err
			}
			t.w.mu.Unlock()
		}
	}
	return err
}

// Rollback rolls back and ends the turn.
func (t *writeTx) Rollback() error {
	err := t.Tx.Rollback()
	t.end()
	return err
}

// closeWriter gives the writer connection back; Close calls it.
func (s *DB) closeWriter() {
	if s.w == nil {
		return
	}
	s.w.turn <- struct{}{}
	if s.w.conn != nil {
		s.w.drop()
	}
	s.w.closed = true
	<-s.w.turn
}
