package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// memStore keeps the log in memory; gate, when set, holds every append
// until it is closed.
type memStore struct {
	mu      sync.Mutex
	entries []Entry
	appends int
	gate    chan struct{}
}

func (m *memStore) AppendAudit(ctx context.Context, entries []Entry) error {
	if m.gate != nil {
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var lastSeq int64
	var lastHash string
	if n := len(m.entries); n > 0 {
		lastSeq, lastHash = m.entries[n-1].Seq, m.entries[n-1].Hash
	}
	Chain(lastSeq, lastHash, entries)
	m.entries = append(m.entries, entries...)
	m.appends++
	return nil
}

func (m *memStore) AuditRange(ctx context.Context, from int64, limit int) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	for _, e := range m.entries {
		if e.Seq >= from && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) targets() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, e := range m.entries {
		out[e.Target]++
	}
	return out
}

func TestRecordSyncReturnsOnceStored(t *testing.T) {
	m := &memStore{}
	r := NewRecorder(m, nil)
	defer r.Close()
	for i := range 20 {
		target := fmt.Sprint("sync-", i)
		if err := r.RecordSync(context.Background(), Entry{Actor: "key_a", Target: target}); err != nil {
			t.Fatal(err)
		}
		if m.targets()[target] != 1 {
			t.Fatalf("RecordSync returned before %s was stored", target)
		}
	}
}

func TestRecordIsStoredWithinLingerOrWithTheNextSync(t *testing.T) {
	m := &memStore{}
	r := NewRecorder(m, nil)
	defer r.Close()
	t0 := time.Now()
	r.Record(Entry{Actor: "key_a", Target: "alone"})
	for m.targets()["alone"] == 0 {
		if time.Since(t0) > 2*time.Second {
			t.Fatal("an entry nobody waits for was not stored within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
	if d := time.Since(t0); d < Linger/2 {
		t.Errorf("stored after %s: it should have lingered about %s for company", d, Linger)
	}
	// Entries nobody waits for ride along with the next synced one, in order.
	before := m.appends
	r.Record(Entry{Actor: "key_a", Target: "rider-1"})
	r.Record(Entry{Actor: "key_a", Target: "rider-2"})
	if err := r.RecordSync(context.Background(), Entry{Actor: "key_a", Target: "driver"}); err != nil {
		t.Fatal(err)
	}
	got := m.targets()
	if got["rider-1"] != 1 || got["rider-2"] != 1 || got["driver"] != 1 {
		t.Fatalf("after the synced entry: %v", got)
	}
	if m.appends != before+1 {
		t.Errorf("the riders and the synced entry took %d commits, want 1", m.appends-before)
	}
	m.mu.Lock()
	n := len(m.entries)
	order := []string{m.entries[n-3].Target, m.entries[n-2].Target, m.entries[n-1].Target}
	m.mu.Unlock()
	if order[0] != "rider-1" || order[1] != "rider-2" || order[2] != "driver" {
		t.Errorf("stored in the order %v", order)
	}
}

func TestConcurrentRecordersLoseNothing(t *testing.T) {
	m := &memStore{}
	r := NewRecorder(m, nil)
	const workers, each = 8, 600
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := Entry{Actor: "key_a", Target: fmt.Sprintf("w%d-%d", w, i)}
				if i%3 == 0 {
					if err := r.RecordSync(context.Background(), e); err != nil {
						t.Error(err)
					}
				} else {
					r.Record(e)
				}
			}
		}()
	}
	wg.Wait()
	r.Close()
	got := m.targets()
	if len(got) != workers*each {
		t.Fatalf("%d distinct entries stored, want %d", len(got), workers*each)
	}
	for target, n := range got {
		if n != 1 {
			t.Fatalf("%s stored %d times", target, n)
		}
	}
	v, err := Verify(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if v.Checked != workers*each || len(v.Problems) != 0 {
		t.Fatalf("verify: %d checked, problems %v", v.Checked, v.Problems)
	}
	// Within one worker, entries keep the order they were recorded in.
	last := map[int]int{}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.entries {
		var w, i int
		fmt.Sscanf(e.Target, "w%d-%d", &w, &i)
		if prev, ok := last[w]; ok && i <= prev {
			t.Fatalf("worker %d: entry %d stored after %d", w, i, prev)
		}
		last[w] = i
	}
}

func TestFullQueueBlocksAndNothingIsDropped(t *testing.T) {
	m := &memStore{gate: make(chan struct{})}
	r := NewRecorder(m, nil)
	// The first entry is taken into a commit that the store holds.
	r.Record(Entry{Target: "first"})
	time.Sleep(3 * Linger)
	for i := range maxQueue {
		r.Record(Entry{Target: fmt.Sprint("q", i)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := r.RecordSync(ctx, Entry{Target: "sync-too-late"})
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RecordSync on a full queue: %v, want the context's deadline", err)
	}
	returned := make(chan struct{})
	go func() {
		r.Record(Entry{Target: "overflow"})
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("Record returned while the queue was full")
	case <-time.After(100 * time.Millisecond):
	}
	close(m.gate)
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Record still blocked after the store caught up")
	}
	r.Close()
	got := m.targets()
	// The caller that gave up waiting for room still has its entry stored.
	if len(got) != maxQueue+3 || got["overflow"] != 1 || got["first"] != 1 || got["sync-too-late"] != 1 {
		t.Fatalf("%d entries stored, want %d (overflow %d, sync-too-late %d)", len(got), maxQueue+3, got["overflow"], got["sync-too-late"])
	}
}

func TestRecordAfterCloseIsStored(t *testing.T) {
	m := &memStore{}
	r := NewRecorder(m, nil)
	r.Record(Entry{Target: "before"})
	r.Close()
	r.Record(Entry{Target: "after"})
	if err := r.RecordSync(context.Background(), Entry{Target: "after-sync"}); err != nil {
		t.Fatal(err)
	}
	got := m.targets()
	if got["before"] != 1 || got["after"] != 1 || got["after-sync"] != 1 {
		t.Fatalf("stored: %v", got)
	}
}

func TestVerifyEndsWhenASeqIsEditedToTheLargest(t *testing.T) {
	m := &memStore{}
	r := NewRecorder(m, nil)
	for i := range 5 {
		r.Record(Entry{Target: fmt.Sprint(i)})
	}
	r.Close()
	m.entries[4].Seq = math.MaxInt64
	done := make(chan *Verifier)
	go func() {
		v, _ := Verify(context.Background(), m)
		done <- v
	}()
	select {
	case v := <-done:
		if len(v.Problems) == 0 {
			t.Fatal("an edited seq went unnoticed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Verify did not end")
	}
}
