package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/sqlstore"
)

// TestAuditMovesToItsOwnFile: a store whose audit log is in its main file
// (written before the log had a file of its own) has the log moved on
// open, rows and blocks, in order and as stored; a move cut short between
// its copy and its deletion ends on the next open without duplicates; and
// an entry edited before the move is still found.
func TestAuditMovesToItsOwnFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	main := filepath.Join(dir, sqlitestore.FileName)
	es := make([]audit.Entry, 7)
	for i := range es {
		es[i] = audit.Entry{Time: time.Date(2026, 11, 27, 8, 0, i, 0, time.UTC), Actor: "key_a", OrgID: "org_a", Action: "GET /taxii2/", Target: fmt.Sprintf("/t/%d", i), Status: 200}
	}
	audit.Chain(0, "", es)
	block, err := sqlstore.EncodeAuditBlock(es[3:])
	if err != nil {
		t.Fatal(err)
	}
	// The old layout: rows 1-3 and a block of 4-7 in the main file, and no
	// audit file.
	oldLayout := func(db *sqlstore.DB) {
		t.Helper()
		for _, e := range es[:3] {
			if _, err := db.SQL().Exec(`INSERT INTO audit_log (seq, at, actor, org_id, action, target, status, detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				e.Seq, e.Time.UnixMicro(), e.Actor, e.OrgID, e.Action, e.Target, e.Status, e.Detail, e.Prev, e.Hash); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SQL().Exec(`INSERT INTO audit_blocks (first_seq, last_seq, last_hash, entries) VALUES ($1, $2, $3, $4)`, 4, 7, es[6].Hash, block); err != nil {
			t.Fatal(err)
		}
		// Before migration 0018, nothing named the audit file.
		if _, err := db.SQL().Exec(`DELETE FROM audit_store`); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sqlitestore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	oldLayout(db)
	db.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(sqlitestore.AuditPath(main) + suffix)
	}

	mainHolds := func(db *sqlstore.DB) int {
		t.Helper()
		var n, m int
		if err := db.SQL().QueryRow(`SELECT (SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM audit_blocks)`).Scan(&n, &m); err != nil {
			t.Fatal(err)
		}
		return n + m
	}
	check := func(db *sqlstore.DB, want int) {
		t.Helper()
		v, err := audit.Verify(ctx, db)
		if err != nil || v.Checked != int64(want) || len(v.Problems) != 0 {
			t.Fatalf("verify: %d checked, problems %v, %v; want %d", v.Checked, v.Problems, err, want)
		}
		got, err := db.AuditRange(ctx, 1, 100)
		if err != nil || len(got) != want {
			t.Fatalf("range: %d entries, %v; want %d", len(got), err, want)
		}
		for i, e := range got {
			if e.Seq != int64(i+1) || (i < len(es) && e.Hash != es[i].Hash) {
				t.Fatalf("entry %d: seq %d hash %s", i, e.Seq, e.Hash)
			}
		}
		if n := mainHolds(db); n != 0 {
			t.Fatalf("the main file still holds %d audit rows or blocks", n)
		}
	}

	db, err = sqlitestore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	check(db, 7)
	more := []audit.Entry{{Time: time.Now(), Actor: "key_b", Action: "POST", Target: "/x", Status: 202}, {Time: time.Now(), Actor: "key_b", Action: "POST", Target: "/y", Status: 202}}
	if err := db.AppendAudit(ctx, more); err != nil {
		t.Fatal(err)
	}
	check(db, 9)
	// A move cut short after its copy: the entries are in both files.
	oldLayout(db)
	db.Close()
	db, err = sqlitestore.Open(ctx, dir)
	if err != nil {
		t.Fatalf("reopen after a move cut short: %v", err)
	}
	check(db, 9)
	db.Close()

	// The audit file missing, or another store's: the store does not open,
	// and says why.
	other := t.TempDir()
	if db, err := sqlitestore.Open(ctx, other); err != nil {
		t.Fatal(err)
	} else {
		db.Close()
	}
	saved := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Rename(sqlitestore.AuditPath(main)+suffix, filepath.Join(saved, "a"+suffix))
	}
	if _, err := sqlitestore.Open(ctx, dir); !errors.Is(err, sqlstore.ErrAuditFile) {
		t.Fatalf("open without the audit file: %v, want ErrAuditFile", err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(sqlitestore.AuditPath(main) + suffix)
		os.Rename(sqlitestore.AuditPath(filepath.Join(other, sqlitestore.FileName))+suffix, sqlitestore.AuditPath(main)+suffix)
	}
	if _, err := sqlitestore.Open(ctx, dir); !errors.Is(err, sqlstore.ErrAuditFile) {
		t.Fatalf("open with another store's audit file: %v, want ErrAuditFile", err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(sqlitestore.AuditPath(main) + suffix)
		os.Rename(filepath.Join(saved, "a"+suffix), sqlitestore.AuditPath(main)+suffix)
	}
	db, err = sqlitestore.Open(ctx, dir)
	if err != nil {
		t.Fatalf("open with the audit file back: %v", err)
	}
	check(db, 9)

	// An entry in both files, not alike: the open stops, nothing deleted.
	if _, err := db.SQL().Exec(`INSERT INTO audit_log (seq, at, actor, org_id, action, target, status, detail, prev, hash) VALUES (2, 0, 'key_x', '', 'x', 'x', 200, '', '', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlitestore.Open(ctx, dir); !errors.Is(err, sqlstore.ErrAuditFile) {
		t.Fatalf("open with an entry in both files, not alike: %v, want ErrAuditFile", err)
	}

	// An entry edited in the main file before the move is found after it.
	dir2 := t.TempDir()
	db, err = sqlitestore.Open(ctx, dir2)
	if err != nil {
		t.Fatal(err)
	}
	oldLayout(db)
	if _, err := db.SQL().Exec(`UPDATE audit_log SET actor = 'key_innocent' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlitestore.Open(ctx, dir2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	v, err := audit.Verify(ctx, db)
	if err != nil || len(v.Problems) == 0 {
		t.Fatalf("an edited entry moved without a problem found: %+v, %v", v, err)
	}
}
