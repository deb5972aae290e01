package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"time"
)

// WALLimit is the size of a write-ahead log past which the store
// checkpoints it in full and truncates it.
//
// SQLite's own checkpoint, after a commit that leaves more than 1,000
// pages in the log, copies what it can without waiting. When writes never
// pause it never finishes before the next write begins, the log is never
// started again from its beginning, and it grows without bound: 12 GB of
// log for 1.4 GB of data, in an ingest of a million objects with random ids.
//
// The main database turns that checkpoint off (wal_autocheckpoint=0) and
// leaves them all to boundWAL, past this limit or when writes pause. A
// transaction of 1,000 random ids changes some 1,000 pages of the id key,
// and SQLite's checkpoint after each commit copied every one of them into
// the database file again; a checkpoint of a larger log copies each page
// once for all the transactions that changed it.
const WALLimit = 256 << 20

// checkpointWait is how long a truncating checkpoint waits for the writer
// and for older readers. It holds the write lock while it waits for the
// readers, so writers wait as long; it must stay far below busyTimeoutMS.
const checkpointWait = 100 * time.Millisecond

// boundWAL checks the size of db's log (walPath) every interval and, past
// limit, empties it (truncateWAL). With quiet set it also empties a log
// not written since the last check, whatever its size: for a
// database whose connections do not checkpoint on their own
// (wal_autocheckpoint=0). An attempt that cannot finish, with a long read
// open, is made again at the next check. The returned function stops it.
func boundWAL(db *sql.DB, walPath string, limit int64, interval time.Duration, quiet bool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		var last os.FileInfo
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			fi, err := os.Stat(walPath)
			if err != nil {
				continue
			}
			// Written since the last check: a log started again from its
			// beginning keeps its size.
			written := last == nil || fi.Size() != last.Size() || !fi.ModTime().Equal(last.ModTime())
			last = fi
			if fi.Size() <= limit && (!quiet || written || fi.Size() == 0) {
				continue
			}
			// The outcome shows in the file's size at the next check.
			_ = truncateWAL(ctx, db, quiet && written)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// truncateWAL copies the log into the database and empties it. A passive
// checkpoint first copies, without blocking anyone, every frame no reader
// still needs; only when that reaches the end of the log does a TRUNCATE
// checkpoint take the write lock, copy what was added since and empty the
// file, waiting at most checkpointWait (twice) for the writer and for
// readers of older snapshots: writers are held back no longer than that
// plus the copy, and never until their own busy timeout runs out.
//
// With restart set the log is not emptied but left for the next writer to
// write again from its start (RESTART), which it shortens to what it
// writes when journal_size_limit is set: emptying it changes the log's
// header under every connection, and each then drops its page cache,
// where a restart by the writer leaves the writer's cache as it is.
func truncateWAL(ctx context.Context, db *sql.DB, restart bool) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", checkpointWait.Milliseconds())); err != nil {
		return err
	}
	defer func() {
		// The connection goes back to the pool: its usual wait again, or
		// it must not be used at all.
		if _, rerr := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeoutMS)); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
			err = rerr
		}
	}()
	var busy, logFrames, copied int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied); err != nil {
		return err
	}
	if logFrames != copied {
		return nil // a reader still needs part of the log
	}
	mode := "TRUNCATE"
	if restart {
		mode = "RESTART"
	}
	_, err = conn.ExecContext(ctx, "PRAGMA wal_checkpoint("+mode+")")
	return err
}
