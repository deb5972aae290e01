package sqlitestore

import (
	"context"
	"database/sql"
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
const WALLimit = 64 << 20

// boundWAL checks the size of db's log (walPath) every interval and, past
// limit, checkpoints it with TRUNCATE: new writers wait (up to the busy
// timeout) while the log is copied into the database and emptied. A
// checkpoint that cannot finish (a writer or reader holds on longer than
// the busy timeout) is tried again at the next check. The returned
// function stops it.
func boundWAL(db *sql.DB, walPath string, limit int64, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if fi, err := os.Stat(walPath); err != nil || fi.Size() <= limit {
				continue
			}
			// The answer (busy, log and checkpointed frames) is not needed:
			// the file's size says at the next check whether it worked.
			cctx, done := context.WithTimeout(ctx, time.Minute)
			_, _ = db.ExecContext(cctx, "PRAGMA wal_checkpoint(TRUNCATE)")
			done()
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
