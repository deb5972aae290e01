package storetest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/sqlstore"
)

func auditTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"AuditChain", testAuditChain},
		{"AuditTamperFound", testAuditTamper},
		{"AuditRowsBeforeBlocks", testAuditRowsBeforeBlocks},
		{"AuditLargeAppendSplits", testAuditLargeAppendSplits},
		{"AuditGroupCommit", testAuditGroupCommit},
	}
}

func entries(n int, tag string) []audit.Entry {
	out := make([]audit.Entry, n)
	for i := range out {
		out[i] = audit.Entry{Time: time.Now(), Actor: "key_" + tag, OrgID: "org_a", Action: "GET /taxii2/hub/collections/", Target: fmt.Sprintf("/x/%s/%d", tag, i), Status: 200}
	}
	return out
}

func testAuditChain(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	a, b := open(t, h, loc), open(t, h, loc)
	// Two replicas append at once: one chain, no gaps.
	var wg sync.WaitGroup
	for i, db := range []audit.Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				if err := db.AppendAudit(ctx, entries(7, fmt.Sprintf("%d-%d", i, j))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	v, err := audit.Verify(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if v.Checked != 4*5*7 || len(v.Problems) != 0 {
		t.Fatalf("checked %d entries, problems %v", v.Checked, v.Problems)
	}
	got, _ := a.AuditRange(ctx, 5, 3)
	if len(got) != 3 || got[0].Seq != 5 || got[0].Prev != mustEntry(t, a, 4).Hash {
		t.Fatalf("range: %+v", got)
	}
}

func mustEntry(t *testing.T, s audit.Store, seq int64) audit.Entry {
	t.Helper()
	e, err := s.AuditRange(context.Background(), seq, 1)
	if err != nil || len(e) != 1 {
		t.Fatalf("entry %d: %v", seq, err)
	}
	return e[0]
}

func testAuditTamper(t *testing.T, h Harness) {
	ctx := context.Background()
	// Each tamper rewrites the stored log as someone with write access to
	// the database could: the entries decoded from their blocks, changed,
	// and stored again (as one block).
	swapSeqs := func(es []audit.Entry, a, b int64) []audit.Entry {
		for i := range es {
			switch es[i].Seq {
			case a:
				es[i].Seq = b
			case b:
				es[i].Seq = a
			}
		}
		sort.Slice(es, func(i, j int) bool { return es[i].Seq < es[j].Seq })
		return es
	}
	drop := func(es []audit.Entry, keep func(seq int64) bool) []audit.Entry {
		var out []audit.Entry
		for _, e := range es {
			if keep(e.Seq) {
				out = append(out, e)
			}
		}
		return out
	}
	cases := []struct {
		name   string
		tamper func([]audit.Entry) []audit.Entry
		seq    int64
		kind   string
	}{
		{"edited", func(es []audit.Entry) []audit.Entry { es[3].Actor = "key_innocent"; return es }, 4, "edited"},
		{"deleted", func(es []audit.Entry) []audit.Entry { return drop(es, func(seq int64) bool { return seq != 6 }) }, 6, "missing"},
		{"reordered", func(es []audit.Entry) []audit.Entry { return swapSeqs(es, 3, 7) }, 3, "reordered"},
		{"truncated head", func(es []audit.Entry) []audit.Entry { return drop(es, func(seq int64) bool { return seq >= 3 }) }, 1, "missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := fresh(t, h)
			// Two appends: two blocks.
			if err := db.AppendAudit(ctx, entries(5, "x")); err != nil {
				t.Fatal(err)
			}
			if err := db.AppendAudit(ctx, entries(5, "y")); err != nil {
				t.Fatal(err)
			}
			if v, _ := audit.Verify(ctx, db); len(v.Problems) != 0 || v.Checked != 10 {
				t.Fatalf("untouched log: %d checked, problems %v", v.Checked, v.Problems)
			}
			rewriteAudit(t, db, c.tamper)
			v, err := audit.Verify(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Problems) == 0 || v.Problems[0].Seq != c.seq || v.Problems[0].Kind != c.kind {
				t.Fatalf("problems %v; want the first at entry %d, %s", v.Problems, c.seq, c.kind)
			}
		})
	}
	t.Run("garbled block", func(t *testing.T) {
		db := fresh(t, h)
		if err := db.AppendAudit(ctx, entries(5, "x")); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AuditSQL().Exec(`UPDATE audit_blocks SET entries = $1`, []byte{1, 5, 0}); err != nil {
			t.Fatal(err)
		}
		if _, err := audit.Verify(ctx, db); err == nil || !strings.Contains(err.Error(), "audit block from entry 1") {
			t.Fatalf("verify of a garbled block: %v, want an error naming the block", err)
		}
	})
}

// rewriteAudit replaces the stored blocks by one block of what tamper
// makes of their entries.
func rewriteAudit(t *testing.T, db *sqlstore.DB, tamper func([]audit.Entry) []audit.Entry) {
	t.Helper()
	rows, err := db.AuditSQL().Query(`SELECT entries FROM audit_blocks ORDER BY first_seq`)
	if err != nil {
		t.Fatal(err)
	}
	var all []audit.Entry
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		es, err := sqlstore.DecodeAuditBlock(b)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, es...)
	}
	rows.Close()
	all = tamper(all)
	b, err := sqlstore.EncodeAuditBlock(all)
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if _, err := db.AuditSQL().Exec(`DELETE FROM audit_blocks`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuditSQL().Exec(`INSERT INTO audit_blocks (first_seq, last_seq, last_hash, entries) VALUES ($1, $2, $3, $4)`, all[0].Seq, last.Seq, last.Hash, b); err != nil {
		t.Fatal(err)
	}
}

// testAuditRowsBeforeBlocks: a log whose first entries are rows (written
// before migration 0015) continues in blocks as one chain, read in order
// across the boundary, and an edited row is still found.
func testAuditRowsBeforeBlocks(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	old := entries(4, "old")
	audit.Chain(0, "", old)
	for _, e := range old {
		if _, err := db.AuditSQL().Exec(`INSERT INTO audit_log (seq, at, actor, org_id, action, target, status, detail, prev, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			e.Seq, e.Time.UnixMicro(), e.Actor, e.OrgID, e.Action, e.Target, e.Status, e.Detail, e.Prev, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AppendAudit(ctx, entries(3, "new")); err != nil {
		t.Fatal(err)
	}
	v, err := audit.Verify(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if v.Checked != 7 || len(v.Problems) != 0 {
		t.Fatalf("checked %d, problems %v", v.Checked, v.Problems)
	}
	got, err := db.AuditRange(ctx, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Seq != 3 || got[2].Seq != 5 || got[2].Prev != got[1].Hash || got[2].Actor != "key_new" {
		t.Fatalf("range across rows and blocks: %+v", got)
	}
	if _, err := db.AuditSQL().Exec(`UPDATE audit_log SET actor = 'key_innocent' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	if v, _ := audit.Verify(ctx, db); len(v.Problems) == 0 || v.Problems[0].Seq != 2 || v.Problems[0].Kind != "edited" {
		t.Fatalf("an edited row: problems %v", v.Problems)
	}
}

// testAuditLargeAppendSplits: one append of entries with large details
// (a TAXII page read names a thousand ids) is stored in several blocks of
// bounded size, one chain.
func testAuditLargeAppendSplits(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	es := entries(10, "big")
	for i := range es {
		es[i].Detail = "read " + strings.Repeat(fmt.Sprintf("indicator--%036d ", i), 30_000) // about 1.4 MB
	}
	if err := db.AppendAudit(ctx, es); err != nil {
		t.Fatal(err)
	}
	var blocks int
	if err := db.AuditSQL().QueryRow(`SELECT COUNT(*) FROM audit_blocks`).Scan(&blocks); err != nil {
		t.Fatal(err)
	}
	if blocks < 3 {
		t.Errorf("10 entries of 1.4 MB in %d blocks, want blocks of at most about 4 MB", blocks)
	}
	v, err := audit.Verify(ctx, db)
	if err != nil || v.Checked != 10 || len(v.Problems) != 0 {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	got, err := db.AuditRange(ctx, 4, 3)
	if err != nil || len(got) != 3 || got[0].Seq != 4 || got[0].Detail != es[3].Detail {
		t.Fatalf("range from a later block: %d entries, %v", len(got), err)
	}
}

// countingStore counts the commits of an audit store it wraps.
type countingStore struct {
	audit.Store
	mu      sync.Mutex
	commits int
}

func (c *countingStore) AppendAudit(ctx context.Context, es []audit.Entry) error {
	c.mu.Lock()
	c.commits++
	c.mu.Unlock()
	return c.Store.AppendAudit(ctx, es)
}

// testAuditGroupCommit: RecordSync returns only once its entry is stored;
// two replicas' recorders, each serving many concurrent callers, keep one
// chain; and one commit serves many callers.
func testAuditGroupCommit(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	stores := []*countingStore{{Store: open(t, h, loc)}, {Store: open(t, h, loc)}}
	recs := []*audit.Recorder{audit.NewRecorder(stores[0], nil), audit.NewRecorder(stores[1], nil)}
	const callers, each = 16, 10
	var wg sync.WaitGroup
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec, db := recs[c%2], stores[(c+1)%2] // read back through the other replica
			for i := range each {
				target := fmt.Sprintf("/sync/%d/%d", c, i)
				if err := rec.RecordSync(ctx, audit.Entry{Actor: "key_x", Action: "GET /api/v1/objects", Target: target, Status: 200}); err != nil {
					t.Error(err)
					return
				}
				// Stored before RecordSync returned: the log holds it.
				last, err := allEntries(ctx, db)
				if err != nil {
					t.Error(err)
					return
				}
				found := false
				for _, e := range last {
					found = found || e.Target == target
				}
				if !found {
					t.Errorf("entry %s not stored when RecordSync returned", target)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range recs {
		r.Close()
	}
	v, err := audit.Verify(ctx, stores[0])
	if err != nil {
		t.Fatal(err)
	}
	if v.Checked != callers*each || len(v.Problems) != 0 {
		t.Fatalf("checked %d entries (want %d), problems %v", v.Checked, callers*each, v.Problems)
	}
	commits := stores[0].commits + stores[1].commits
	t.Logf("%d entries in %d commits", callers*each, commits)
	if commits >= callers*each {
		t.Errorf("%d commits for %d entries from %d concurrent callers: no grouping", commits, callers*each, callers)
	}
}

// allEntries returns the whole log.
func allEntries(ctx context.Context, s audit.Store) ([]audit.Entry, error) {
	var all []audit.Entry
	from := int64(1)
	for {
		batch, err := s.AuditRange(ctx, from, 10000)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			break
		}
		all = append(all, batch...)
		from = batch[len(batch)-1].Seq + 1
	}
	return all, nil
}
