// Package audit keeps a tamper-evident log of who did what on the hub: every
// authenticated request (every key use, every write, every administrative
// action), the ids of the non-CLEAR objects each read returned, and the
// operator's local administrative commands.
//
// Words:
//   - Entry: one record, numbered by Seq from 1 without gaps.
//   - Chain: each entry's Hash is SHA-256 over the previous entry's Hash and
//     the entry's own fields, so editing, deleting or reordering any entry
//     breaks every hash after it; Verify says which entry and how.
//   - Recorder: appends entries by group commit: a flush starts as soon as
//     an entry is queued and takes everything that arrived while the
//     previous flush ran, so one commit serves many concurrent requests and
//     no timer delays anyone who waits. RecordSync returns once the entry
//     is stored, so that a request's entry is durable before its response
//     is sent; Record's entries, which nobody waits for, ride along with
//     the next such commit or are committed within Linger.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"
)

// Entry is one audit record.
type Entry struct {
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`  // an API key id, or "cli"
	OrgID  string    `json:"org_id"` // the actor's organization, if any
	Action string    `json:"action"` // e.g. "GET /taxii2/hub/collections/{coll}/objects/", "admin.key.create"
	Target string    `json:"target"` // the path or object acted on
	Status int       `json:"status"` // HTTP status, or 0
	Detail string    `json:"detail,omitempty"`
	Prev   string    `json:"prev"` // hex hash of the entry before ("" for the first)
	Hash   string    `json:"hash"` // hex hash of this entry
}

// ComputeHash returns the hash e must carry given the previous hash.
func ComputeHash(prev string, e *Entry) string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(prev)
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.Time.UnixMicro()))
	h.Write(n[:])
	field(e.Actor)
	field(e.OrgID)
	field(e.Action)
	field(e.Target)
	binary.BigEndian.PutUint64(n[:], uint64(e.Status))
	h.Write(n[:])
	field(e.Detail)
	return hex.EncodeToString(h.Sum(nil))
}

// Store keeps the log.
//
// Append assigns Seq, Prev and Hash to the entries, continuing the chain from
// the last stored entry, and stores them atomically; concurrent appenders
// (several replicas) are serialized by the store.
type Store interface {
	AppendAudit(ctx context.Context, entries []Entry) error
	// AuditRange returns up to limit entries with Seq ≥ from, in Seq order.
	AuditRange(ctx context.Context, from int64, limit int) ([]Entry, error)
}

// Chain fills in Seq, Prev and Hash of entries that follow the entry with
// lastSeq and lastHash.
func Chain(lastSeq int64, lastHash string, entries []Entry) {
	for i := range entries {
		lastSeq++
		entries[i].Seq = lastSeq
		entries[i].Time = entries[i].Time.UTC().Truncate(time.Microsecond)
		entries[i].Prev = lastHash
		entries[i].Hash = ComputeHash(lastHash, &entries[i])
		lastHash = entries[i].Hash
	}
}

// Problem is a break in the chain.
type Problem struct {
	Seq    int64  `json:"seq"`
	Kind   string `json:"kind"` // edited, missing, reordered
	Detail string `json:"detail"`
}

func (p Problem) String() string { return fmt.Sprintf("entry %d: %s: %s", p.Seq, p.Kind, p.Detail) }

// Verifier checks entries fed to it in the order the store returns them.
type Verifier struct {
	lastSeq  int64
	lastHash string
	Checked  int64
	Problems []Problem
}

// Add checks the next entry.
func (v *Verifier) Add(e Entry) {
	v.Checked++
	switch {
	case e.Seq < v.lastSeq+1:
		v.Problems = append(v.Problems, Problem{e.Seq, "reordered", fmt.Sprintf("comes after entry %d", v.lastSeq)})
	case e.Seq > v.lastSeq+1:
		v.Problems = append(v.Problems, Problem{v.lastSeq + 1, "missing", fmt.Sprintf("entries %d to %d are gone", v.lastSeq+1, e.Seq-1)})
	}
	if e.Prev != v.lastHash && e.Seq == v.lastSeq+1 {
		v.Problems = append(v.Problems, Problem{e.Seq, "reordered", "its link to the previous entry does not match: entries were moved or replaced"})
	}
	if want := ComputeHash(e.Prev, &e); want != e.Hash {
		v.Problems = append(v.Problems, Problem{e.Seq, "edited", "its content does not match its hash"})
	}
	v.lastSeq, v.lastHash = e.Seq, e.Hash
}

// Verify reads the whole log from store and checks the chain.
func Verify(ctx context.Context, store Store) (*Verifier, error) {
	v := &Verifier{}
	from := int64(1)
	for {
		batch, err := store.AuditRange(ctx, from, 10000)
		if err != nil {
			return nil, err
		}
		if len(batch) == 0 {
			return v, nil
		}
		if v.Checked == 0 && batch[0].Seq != 1 {
			v.Problems = append(v.Problems, Problem{1, "missing", fmt.Sprintf("the log starts at entry %d", batch[0].Seq)})
			v.lastSeq, v.lastHash = batch[0].Seq-1, batch[0].Prev
		}
		for _, e := range batch {
			v.Add(e)
		}
		last := batch[len(batch)-1].Seq
		if last == math.MaxInt64 { // an edited seq: nothing can follow
			return v, nil
		}
		from = last + 1
	}
}

// Recorder appends entries by group commit (see the package comment).
//
// Entries queue in a slice under a mutex rather than in a channel: a
// request adds its entry with one lock, and wakes the committer only when
// the queue was empty or it is the first to wait, instead of handing every
// entry to the committer goroutine (at 20,000 key uses a second, that
// handoff cost as much as storing the entries).
type Recorder struct {
	store Store
	log   *slog.Logger
	wake  chan struct{} // one pending signal: the queue has entries, or someone waits
	done  chan struct{}

	mu      sync.Mutex
	pending []Entry
	commit  *commit       // the commit the pending entries will be in
	urgent  bool          // someone waits for a pending entry
	room    chan struct{} // closed when a full queue has room again
	closed  bool
}

// commit is one flush; done is closed once its entries are stored.
type commit struct{ done chan struct{} }

// maxBatch bounds the entries of one transaction, and maxQueue the entries
// held in memory: beyond it, Record blocks until the store catches up.
const (
	maxBatch = 1000
	maxQueue = 65536
)

// NewRecorder starts a recorder; Close flushes and stops it.
func NewRecorder(store Store, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{store: store, log: log, wake: make(chan struct{}, 1), done: make(chan struct{}),
		commit: &commit{done: make(chan struct{})}, room: make(chan struct{})}
	go r.run()
	return r
}

// Record queues an entry and returns without waiting for it to be stored
// (it is, with the next commit). It blocks only when the queue is full (the
// store is far behind): an audit log that silently drops entries would not
// be one.
func (r *Recorder) Record(e Entry) {
	if r == nil {
		return
	}
	r.enqueue(context.Background(), e, false)
}

// RecordSync queues an entry and waits until it is stored, or ctx ends: then
// it returns ctx's error, and the entry is still stored with a later commit.
func (r *Recorder) RecordSync(ctx context.Context, e Entry) error {
	if r == nil {
		return nil
	}
	c, err := r.enqueue(ctx, e, true)
	if err != nil || c == nil {
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enqueue queues e and returns the commit it will be in. In a full queue it
// waits for room until ctx ends; then e joins the queue beyond its bound
// (one entry per caller who gave up) and ctx's error is returned. After
// Close, e is stored at once and the commit is nil. With urgent, the
// committer stops lingering: someone waits for e.
func (r *Recorder) enqueue(ctx context.Context, e Entry, urgent bool) (*commit, error) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	var gaveUp error
	r.mu.Lock()
	for len(r.pending) >= maxQueue && !r.closed && gaveUp == nil {
		room := r.room
		r.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			gaveUp, urgent = ctx.Err(), false
		}
		r.mu.Lock()
	}
	if r.closed {
		r.mu.Unlock()
		r.flush([]Entry{e})
		return nil, gaveUp
	}
	r.pending = append(r.pending, e)
	c, wake := r.commit, len(r.pending) == 1 || gaveUp != nil
	if urgent {
		wake = wake || !r.urgent
		r.urgent = true
	}
	r.mu.Unlock()
	if wake {
		r.signal()
	}
	return c, gaveUp
}

func (r *Recorder) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Linger bounds how long an entry nobody waits for stays in memory before
// its commit: such entries ride along with the next commit someone waits
// for, or are committed Linger after the first of them was queued. Without
// it, a steady stream of them (key uses of CLEAR reads) would keep a
// synced commit running back to back.
const Linger = 50 * time.Millisecond

func (r *Recorder) run() {
	defer close(r.done)
	var spare []Entry
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		r.mu.Lock()
		if len(r.pending) == 0 {
			closed := r.closed
			r.mu.Unlock()
			if closed {
				return
			}
			<-r.wake
			continue
		}
		if !r.urgent && !r.closed {
			// Nobody waits yet: linger for company, until someone waits
			// (a wake can also be left from when the queue filled).
			timer.Reset(Linger)
			for lingered := false; !lingered && !r.urgent && !r.closed; {
				r.mu.Unlock()
				select {
				case <-r.wake:
				case <-timer.C:
					lingered = true
				}
				r.mu.Lock()
			}
			timer.Stop()
		}
		// Everything queued so far goes into this commit; what arrives
		// while it runs goes into the next.
		entries, c := r.pending, r.commit
		if len(entries) >= maxQueue {
			close(r.room)
			r.room = make(chan struct{})
		}
		r.pending, r.commit, r.urgent = spare[:0], &commit{done: make(chan struct{})}, false
		r.mu.Unlock()
		for start := 0; start < len(entries); start += maxBatch {
			r.flush(entries[start:min(start+maxBatch, len(entries))])
		}
		close(c.done)
		clear(entries) // drop the strings for the collector
		spare = entries[:0]
	}
}

// flush stores entries, retrying until the store takes them.
func (r *Recorder) flush(entries []Entry) {
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := r.store.AppendAudit(ctx, entries)
		cancel()
		if err == nil {
			return
		}
		r.log.Error("audit: append failed; retrying", "entries", len(entries), "err", err)
		time.Sleep(time.Duration(min(attempt+1, 10)) * 100 * time.Millisecond)
	}
}

// Close flushes what is queued and stops the recorder. Entries recorded
// after Close are stored at once, each in its own commit.
func (r *Recorder) Close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.signal()
	<-r.done
}
