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
		from = batch[len(batch)-1].Seq + 1
	}
}

// Recorder appends entries by group commit (see the package comment).
type Recorder struct {
	store Store
	log   *slog.Logger
	in    chan queued
	done  chan struct{}
	once  sync.Once
}

// queued is an entry and, when someone waits for it, where to say it is stored.
type queued struct {
	e      Entry
	stored chan error
}

// maxBatch bounds the entries of one commit.
const maxBatch = 1000

// NewRecorder starts a recorder; Close flushes and stops it.
func NewRecorder(store Store, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{store: store, log: log, in: make(chan queued, 65536), done: make(chan struct{})}
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
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.in <- queued{e: e}
}

// RecordSync queues an entry and waits until it is stored, or ctx ends: then
// it returns ctx's error, and the entry is still stored with a later commit.
func (r *Recorder) RecordSync(ctx context.Context, e Entry) error {
	if r == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	q := queued{e: e, stored: make(chan error, 1)}
	select {
	case r.in <- q:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-q.stored:
		return err
	case <-ctx.Done():
		return ctx.Err()
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
	batch := make([]queued, 0, 64)
	entries := make([]Entry, 0, 64)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		q, ok := <-r.in
		if !ok {
			return
		}
		batch = append(batch[:0], q)
		waited := q.stored != nil
		if !waited {
			timer.Reset(Linger)
		}
		// Everything that queued up while the last commit ran goes into
		// this one; entries nobody waits for linger for company.
		closed := false
	more:
		for len(batch) < maxBatch {
			if waited {
				select {
				case q, ok := <-r.in:
					if !ok {
						closed = true
						break more
					}
					batch = append(batch, q)
				default:
					break more
				}
				continue
			}
			select {
			case q, ok := <-r.in:
				if !ok {
					closed = true
					break more
				}
				batch = append(batch, q)
				waited = q.stored != nil
			case <-timer.C:
				break more
			}
		}
		timer.Stop()
		entries = entries[:0]
		for _, q := range batch {
			entries = append(entries, q.e)
		}
		r.flush(entries)
		for _, q := range batch {
			if q.stored != nil {
				q.stored <- nil
			}
		}
		if closed {
			return
		}
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

// Close flushes what is queued and stops the recorder.
func (r *Recorder) Close() {
	if r == nil {
		return
	}
	r.once.Do(func() { close(r.in) })
	<-r.done
}
