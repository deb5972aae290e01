package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
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
	cases := []struct {
		name   string
		tamper string
		seq    int64
		kind   string
	}{
		{"edited", `UPDATE audit_log SET actor = 'key_innocent' WHERE seq = 4`, 4, "edited"},
		{"deleted", `DELETE FROM audit_log WHERE seq = 6`, 6, "missing"},
		{"reordered", `UPDATE audit_log SET seq = CASE seq WHEN 3 THEN 1003 WHEN 7 THEN 3 END WHERE seq IN (3, 7); UPDATE audit_log SET seq = 7 WHERE seq = 1003`, 3, "reordered"},
		{"truncated head", `DELETE FROM audit_log WHERE seq < 3`, 1, "missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := fresh(t, h)
			if err := db.AppendAudit(ctx, entries(10, "x")); err != nil {
				t.Fatal(err)
			}
			if v, _ := audit.Verify(ctx, db); len(v.Problems) != 0 {
				t.Fatalf("untouched log has problems: %v", v.Problems)
			}
			if _, err := db.SQL().Exec(c.tamper); err != nil {
				t.Fatal(err)
			}
			v, err := audit.Verify(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Problems) == 0 || v.Problems[0].Seq != c.seq || v.Problems[0].Kind != c.kind {
				t.Fatalf("problems %v; want the first at entry %d, %s", v.Problems, c.seq, c.kind)
			}
		})
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
