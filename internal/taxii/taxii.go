package taxii

import (
	"context"
	"encoding/json"
	"time"

	"github.com/trawlhq/trawl/internal/sharing"
)

// Media types of TAXII 2.1 and STIX 2.1.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// TLP levels a collection may default to (see ../shared/DESIGN.md).
var DefaultTLPs = []string{"clear", "green", "amber", "amber+strict", "red"}

// Collection is a TAXII collection.
type Collection struct {
	ID          string    `json:"id"`
	Alias       string    `json:"alias,omitempty"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	OwnerOrgID  string    `json:"owner_org_id"`
	DefaultTLP  string    `json:"default_tlp"`
	Public      bool      `json:"public"`
	ShareGroup  string    `json:"share_group,omitempty"` // readable only by this sharing group's members (and the owner)
	CreatedAt   time.Time `json:"created_at"`
}

// Default returns the level that applies to the collection's unmarked objects.
func (c *Collection) Default() sharing.Level {
	l, err := sharing.ParseLevel(c.DefaultTLP)
	if err != nil {
		return sharing.Amber
	}
	return l
}

// Visibility is the reader a query is filtered for: only objects that
// sharing.CanRead allows are returned, inside the query, so that paging and
// counts never see the others.
type Visibility struct {
	All       bool // no filter: the operator's local tools
	Anonymous bool
	OrgID     string
	UserID    string
	Groups    []string // sharing groups of the reader's organization
	Default   sharing.Level
	// PerCollection: unmarked objects take their own collection's default
	// (for reads across collections), not Default.
	PerCollection bool
	// AnyCollection: judging refs (HiddenRefs) for an export to an unknown
	// party, whose reach is the level alone (CLEAR goes anywhere), not the
	// collections an anonymous reader may read.
	AnyCollection bool
}

// Grant gives an organization access to a collection.
type Grant struct {
	CollectionID string `json:"collection_id"`
	OrgID        string `json:"org_id"`
	CanRead      bool   `json:"can_read"`
	CanWrite     bool   `json:"can_write"`
}

// NewObject is a validated object to store.
type NewObject struct {
	ID          string
	Type        string
	SpecVersion string
	Version     time.Time // modified, else created; zero: the date added is used
	Markings    []string
	Level       sharing.Level // its own TLP level (Unmarked when none)
	Group       string        // sharing group id it is restricted to
	Recipients  []sharing.Recipient
	SightingOf  string   // for sightings: the sighted object's id
	Refs        []string // the objects it points at: source/target, sighting refs, or object_refs
	// ObjectRefs: Refs is the object's object_refs list, from which the ids
	// of objects a reader may not see are removed on every read.
	ObjectRefs bool
	SearchText string // lower-cased name, description, pattern, value, address
	Raw        json.RawMessage
}

// StoredObject is a version of an object as stored.
type StoredObject struct {
	Seq          int64
	CollectionID string
	ID           string
	Type         string
	SpecVersion  string
	Version      time.Time
	DateAdded    time.Time
	AddedByOrg   string
	Level        sharing.Level // from its marking refs, which are in Raw
	Group        string
	Recipients   []sharing.Recipient
	// SightedOwner, for sightings, is the organization that shared the
	// sighted object (see sharing.Item).
	SightedOwner string
	// CollectionDefault is the level of the collection's unmarked objects
	// (filled in by reads across collections).
	CollectionDefault sharing.Level
	Raw               json.RawMessage
	// NoGranular is set by a store that checked, when Raw was written,
	// that it has no granular markings (MayHaveGranular was false): there
	// is then nothing to redact. Unset, Raw is checked when read.
	NoGranular bool
}

// AddResult says what happened to one object of a write.
type AddResult struct {
	Index   int    // position in the request
	Created bool   // false: the same id and version existed (idempotent)
	Message string // for failures
}

// Position is where a page ended: the keyset of the paging order.
type Position struct {
	DateAdded time.Time
	Seq       int64
}

// Store keeps collections, objects and statuses.
//
// Implementations are safe for concurrent use. AddObjects is atomic and, for
// one collection, serialized with other writes so that date_added grows in
// commit order. Absent records give errs.NotFound.
type Store interface {
	CreateCollection(ctx context.Context, c *Collection) error
	// Collection finds a collection by id or alias.
	Collection(ctx context.Context, idOrAlias string) (*Collection, error)
	ListCollections(ctx context.Context) ([]Collection, error)
	SetGrant(ctx context.Context, g Grant) error
	// SetCollectionGroup restricts a collection to a sharing group ("" lifts it).
	SetCollectionGroup(ctx context.Context, collectionID, groupID string) error
	Grants(ctx context.Context, collectionID string) ([]Grant, error)

	// AddObjects stores objects in one transaction, all with one date_added
	// (returned), keeping older versions and marking first and last ones.
	AddObjects(ctx context.Context, collectionID, orgID string, objs []NewObject) (time.Time, []AddResult, error)
	// AddObjectsStatus is AddObjects (nothing stored when objs is empty)
	// that, in the same transaction, writes the status that status returns
	// when given AddObjects' answer: a new status, or the update of a queued
	// one (its envelope dropped once complete). A POST's objects and its
	// status are stored together or not at all, with one commit.
	AddObjectsStatus(ctx context.Context, collectionID, orgID string, objs []NewObject, status func(time.Time, []AddResult) *Status) error
	// Objects returns up to q.Limit objects that v may see, after pos (nil:
	// from the start), in (date_added, seq) order, and whether more follow.
	Objects(ctx context.Context, collectionID string, q *Query, after *Position, v *Visibility) ([]StoredObject, bool, error)
	// ScanLatest calls fn with the latest version of every object of type typ
	// in every collection (no visibility filter: for building indexes that
	// apply the sharing rule themselves).
	ScanLatest(ctx context.Context, typ string, fn func(o StoredObject) error) error
	// ObjectsVersion is the hub's change counter: it grows by one with every
	// committed transaction that adds or deletes objects, on every replica
	// alike, and costs O(1) to read.
	ObjectsVersion(ctx context.Context) (int64, error)
	// ObjectChanges calls fn once for every object of one of types added,
	// re-versioned or deleted after the counter value since, with its latest
	// version now (nil when none is left), and returns the counter value the
	// calls are complete up to. An object may be reported again by the next
	// call; applying fn's answers in turn is idempotent.
	ObjectChanges(ctx context.Context, since int64, types []string, fn func(collectionID, objectID string, latest *StoredObject) error) (int64, error)
	// DeleteObject deletes the versions of an object that q matches (only
	// those added by onlyAddedBy, unless it is "") and returns how many.
	DeleteObject(ctx context.Context, collectionID, objectID string, q *Query, onlyAddedBy string) (int, error)
	// HiddenRefs returns those of ids that name objects stored on the hub
	// (any collection, any version) of which v may see no latest version in
	// a collection it may read: what is removed from object_refs lists.
	HiddenRefs(ctx context.Context, v *Visibility, ids []string) (map[string]bool, error)

	CreateStatus(ctx context.Context, s *Status, envelope []byte) error
	Status(ctx context.Context, id string) (*Status, error)
	// PendingStatuses lists statuses whose envelopes still wait, with them.
	PendingStatuses(ctx context.Context) ([]PendingJob, error)

	// Secret returns the named server secret, creating it on first use; all
	// replicas sharing the store share it.
	Secret(ctx context.Context, name string) ([]byte, error)
}

// PendingJob is a queued envelope.
type PendingJob struct {
	Status   *Status
	Envelope []byte
}

// Status is a TAXII status resource.
type Status struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"` // pending or complete
	RequestTimestamp time.Time       `json:"request_timestamp"`
	TotalCount       int             `json:"total_count"`
	SuccessCount     int             `json:"success_count"`
	Successes        []StatusDetail  `json:"successes,omitempty"`
	FailureCount     int             `json:"failure_count"`
	Failures         []StatusDetail  `json:"failures,omitempty"`
	PendingCount     int             `json:"pending_count"`
	Pendings         []StatusDetail  `json:"pendings,omitempty"`
	CollectionID     string          `json:"-"`
	OrgID            string          `json:"-"`
	Extra            json.RawMessage `json:"-"`
}

// StatusDetail is one object's outcome.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// FormatTime renders a timestamp as TAXII and STIX write them: RFC 3339 in
// UTC with at least millisecond precision.
func FormatTime(t time.Time) string {
	return string(AppendTime(make([]byte, 0, len("2006-01-02T15:04:05.000000Z")), t))
}

// Search selects the latest versions of objects across collections (the
// REST list and search). Collections must list the collections the reader
// may read; an empty list selects nothing.
type Search struct {
	Collections []string
	Types       []string
	Text        string // lower-cased; matched inside name, description, pattern, value, address
	AddedBy     string // organization id
	Limit       int
}

// Searcher is a Store that can search across collections.
type Searcher interface {
	// SearchObjects returns up to s.Limit latest versions that v may see,
	// with seq after afterSeq, in seq order, and whether more follow.
	SearchObjects(ctx context.Context, s *Search, afterSeq int64, v *Visibility) ([]StoredObject, bool, error)
	// CountObjects counts what SearchObjects would return over all pages.
	CountObjects(ctx context.Context, s *Search, v *Visibility) (int, error)
}

// AppendTime appends t as FormatTime writes it. Years 0 to 9999 are
// written digit by digit: a TAXII page's audit entry names the version of
// each of its objects, and the layout interpreter of time.AppendFormat
// took a twentieth of serving the page.
func AppendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		if t.Nanosecond()%int(time.Millisecond) == 0 {
			return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
		}
		return t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	}
	h, mi, s := t.Clock()
	digits := func(v, n int) {
		for i := n - 1; i >= 0; i-- {
			b = append(b, 0)
		}
		for i := len(b) - 1; n > 0; i, n = i-1, n-1 {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	digits(y, 4)
	b = append(b, '-')
	digits(int(mo), 2)
	b = append(b, '-')
	digits(d, 2)
	b = append(b, 'T')
	digits(h, 2)
	b = append(b, ':')
	digits(mi, 2)
	b = append(b, ':')
	digits(s, 2)
	b = append(b, '.')
	if ns := t.Nanosecond(); ns%int(time.Millisecond) == 0 {
		digits(ns/int(time.Millisecond), 3)
	} else {
		digits(ns/int(time.Microsecond), 6) // truncated, as the layout does
	}
	return append(b, 'Z')
}
