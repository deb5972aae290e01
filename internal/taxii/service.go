package taxii

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/stix"
)

// Directory resolves the names that objects and readers carry: recipients
// (x_trawl_recipients) and sharing groups (x_trawl_sharing_group).
type Directory interface {
	OrgByName(ctx context.Context, name string) (*identity.Org, error)
	UserByEmail(ctx context.Context, email string) (*identity.User, error)
	Group(ctx context.Context, idOrName string) (*sharing.Group, error)
	GroupsOf(ctx context.Context, orgID string) ([]string, error)
}

// Options configure a Service.
type Options struct {
	Store     Store
	Directory Directory
	// Validate checks one STIX object fully (the stix package); nil checks
	// only what TAXII itself needs (id, type, spec_version, timestamps).
	Validate func(raw []byte) error
	// Parse, if set, replaces Validate: it validates and returns the parsed
	// object, whose properties are then read without decoding it again.
	Parse func(raw []byte) (*stix.Object, error)
	// MaxPage caps limit (default 1000).
	MaxPage int
	// SyncObjects: envelopes with at most this many objects are stored
	// before the 202 answer; larger ones are queued (default 1000: the
	// queue is worked by one goroutine, one envelope after another, while
	// envelopes answered after they are stored are validated side by side,
	// each in the request's goroutine).
	SyncObjects int
	Logger      *slog.Logger
	Now         func() time.Time
}

// Service applies TAXII's rules over a Store: who may read and write which
// collection, validation, paging, and the queue of large envelopes.
type Service struct {
	o       Options
	store   Store
	cursors *Cursors
	log     *slog.Logger
	wake    chan struct{}
	running sync.Mutex

	mu       sync.Mutex
	watchers []func()
}

// OnWrite registers fn to be called after objects are added or deleted on
// this replica (other replicas' writes are seen by polling the store).
func (s *Service) OnWrite(fn func()) {
	s.mu.Lock()
	s.watchers = append(s.watchers, fn)
	s.mu.Unlock()
}

func (s *Service) changed() {
	s.mu.Lock()
	ws := s.watchers
	s.mu.Unlock()
	for _, fn := range ws {
		fn()
	}
}

// NewService returns a Service; it reads the shared cursor secret.
func NewService(ctx context.Context, o Options) (*Service, error) {
	if o.MaxPage <= 0 {
		o.MaxPage = 1000
	}
	if o.SyncObjects <= 0 {
		o.SyncObjects = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	secret, err := o.Store.Secret(ctx, "taxii-cursor")
	if err != nil {
		return nil, fmt.Errorf("taxii: cursor secret: %w", err)
	}
	return &Service{o: o, store: o.Store, cursors: NewCursors(secret), log: o.Logger, wake: make(chan struct{}, 1)}, nil
}

// MaxPage is the largest page the service returns.
func (s *Service) MaxPage() int { return s.o.MaxPage }

// View is a collection as one caller sees it.
type View struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// access computes what p may do with c. p is nil for anonymous callers.
func (s *Service) access(ctx context.Context, p *identity.Principal, c *Collection) (read, write bool, err error) {
	if p == nil {
		// A sharing-group restriction narrows a public collection too.
		return c.Public && c.ShareGroup == "", false, nil
	}
	read, write = c.Public, false
	if c.ShareGroup != "" && p.OrgID != c.OwnerOrgID {
		member, err := s.inGroup(ctx, p.OrgID, c.ShareGroup)
		if err != nil || !member {
			return false, false, err
		}
	}
	if p.OrgID == c.OwnerOrgID {
		read, write = true, true
	} else {
		grants, err := s.store.Grants(ctx, c.ID)
		if err != nil {
			return false, false, err
		}
		for _, g := range grants {
			if g.OrgID == p.OrgID {
				read, write = read || g.CanRead, g.CanWrite
			}
		}
	}
	return read && p.Can(identity.PermRead), write && p.Can(identity.PermWrite), nil
}

func (s *Service) inGroup(ctx context.Context, orgID, groupID string) (bool, error) {
	if s.o.Directory == nil {
		return false, nil
	}
	groups, err := s.o.Directory.GroupsOf(ctx, orgID)
	if err != nil {
		return false, err
	}
	for _, g := range groups {
		if g == groupID {
			return true, nil
		}
	}
	return false, nil
}

// visibility is the filter for p's reads of c. Group membership is read
// afresh for every request, so that a removal takes effect at once.
func (s *Service) visibility(ctx context.Context, p *identity.Principal, c *Collection) (*Visibility, error) {
	v := &Visibility{Default: c.Default()}
	if p == nil {
		v.Anonymous = true
		return v, nil
	}
	v.OrgID, v.UserID = p.OrgID, p.UserID
	if s.o.Directory != nil {
		groups, err := s.o.Directory.GroupsOf(ctx, p.OrgID)
		if err != nil {
			return nil, err
		}
		v.Groups = groups
	}
	return v, nil
}

func (s *Service) view(c *Collection, read, write bool) View {
	return View{ID: c.ID, Title: c.Title, Description: c.Description, Alias: c.Alias, CanRead: read, CanWrite: write, MediaTypes: []string{MediaSTIX}}
}

// Collections lists the collections p may read or write.
func (s *Service) Collections(ctx context.Context, p *identity.Principal) ([]View, error) {
	all, err := s.store.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	out := []View{}
	for i := range all {
		r, w, err := s.access(ctx, p, &all[i])
		if err != nil {
			return nil, err
		}
		if r || w {
			out = append(out, s.view(&all[i], r, w))
		}
	}
	return out, nil
}

// collection finds a collection p may use; one p may not see at all is
// reported missing, like one that does not exist.
func (s *Service) collection(ctx context.Context, p *identity.Principal, id string) (*Collection, bool, bool, error) {
	c, err := s.store.Collection(ctx, id)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, false, false, errs.E(errs.NotFound, "no collection %q", id)
		}
		return nil, false, false, err
	}
	r, w, err := s.access(ctx, p, c)
	if err != nil {
		return nil, false, false, err
	}
	if !r && !w {
		return nil, false, false, errs.E(errs.NotFound, "no collection %q", id)
	}
	return c, r, w, nil
}

// Collection describes one collection.
func (s *Service) Collection(ctx context.Context, p *identity.Principal, id string) (*View, error) {
	c, r, w, err := s.collection(ctx, p, id)
	if err != nil {
		return nil, err
	}
	v := s.view(c, r, w)
	return &v, nil
}

func (s *Service) readable(ctx context.Context, p *identity.Principal, id string) (*Collection, error) {
	c, r, _, err := s.collection(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !r {
		if p == nil {
			return nil, errs.E(errs.Unauthorized, "collection %s needs an API key to read", id)
		}
		return nil, errs.E(errs.Forbidden, "your key may not read collection %s", id)
	}
	return c, nil
}

func (s *Service) writable(ctx context.Context, p *identity.Principal, id string) (*Collection, error) {
	c, _, w, err := s.collection(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !w {
		if p == nil {
			return nil, errs.E(errs.Unauthorized, "writing to collection %s needs an API key", id)
		}
		return nil, errs.E(errs.Forbidden, "your key may not write to collection %s", id)
	}
	return c, nil
}

// Page is one page of objects.
type Page struct {
	Objects []StoredObject
	More    bool
	Next    string
}

// Objects returns one page of the collection's objects matching q.
func (s *Service) Objects(ctx context.Context, p *identity.Principal, collectionID string, q *Query) (*Page, error) {
	c, err := s.readable(ctx, p, collectionID)
	if err != nil {
		return nil, err
	}
	return s.page(ctx, p, c, q)
}

func (s *Service) page(ctx context.Context, p *identity.Principal, c *Collection, q *Query) (*Page, error) {
	v, err := s.visibility(ctx, p, c)
	if err != nil {
		return nil, err
	}
	var after *Position
	if q.Next != "" {
		pos, err := s.cursors.Decode(q.Next, c.ID, q)
		if err != nil {
			return nil, err
		}
		after = &pos
	}
	objs, more, err := s.store.Objects(ctx, c.ID, q, after, v)
	if err != nil {
		return nil, err
	}
	pg := &Page{More: more}
	if more && len(objs) > 0 {
		last := objs[len(objs)-1]
		pg.Next = s.cursors.Encode(c.ID, q, Position{DateAdded: last.DateAdded, Seq: last.Seq})
	}
	if pg.Objects, err = s.redact(ctx, v, objs); err != nil {
		return nil, err
	}
	return pg, nil
}

// redact applies what a reader may not see inside the objects it may see:
// ids of hidden objects leave object_refs lists, and properties under
// granular markings the reader may not see are removed.
func (s *Service) redact(ctx context.Context, v *Visibility, objs []StoredObject) ([]StoredObject, error) {
	objs, err := s.stripRefs(ctx, v, objs, true)
	if err != nil {
		return nil, err
	}
	rd := sharing.Reader{Anonymous: v.Anonymous, OrgID: v.OrgID, UserID: v.UserID, Groups: map[string]bool{}}
	for _, g := range v.Groups {
		rd.Groups[g] = true
	}
	for i := range objs {
		o := &objs[i]
		if o.NoGranular {
			continue
		}
		def := v.Default
		if v.PerCollection {
			def = o.CollectionDefault
		}
		o.Raw = redactGranular(o.Raw, rd, sharing.Item{Level: sharing.Effective(o.Level, def), Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients, SightedOwner: o.SightedOwner})
	}
	return objs, nil
}

// Object returns versions of one object (q selects them; last by default).
// An object with no matching version is reported missing.
func (s *Service) Object(ctx context.Context, p *identity.Principal, collectionID, objectID string, q *Query) (*Page, error) {
	c, err := s.readable(ctx, p, collectionID)
	if err != nil {
		return nil, err
	}
	if !ValidID(objectID) {
		return nil, errs.E(errs.NotFound, "no object %q in this collection", objectID)
	}
	q.IDs = []string{objectID}
	pg, err := s.page(ctx, p, c, q)
	if err != nil {
		return nil, err
	}
	if len(pg.Objects) == 0 && q.Next == "" {
		return nil, errs.E(errs.NotFound, "no object %q in this collection", objectID)
	}
	return pg, nil
}

// Export returns the latest version of every object of a collection that
// may leave the hub for dst (sharing.MayLeave): CLEAR to anyone, GREEN within
// the community, AMBER only to organizations it was shared with, never
// AMBER+STRICT or RED. Properties under narrower granular markings are
// removed as for a reader of the destination organization.
func (s *Service) Export(ctx context.Context, collectionID string, dst sharing.Destination) ([]json.RawMessage, error) {
	var out []json.RawMessage
	var after *Position
	for {
		page, err := s.ExportPage(ctx, collectionID, dst, after, s.o.MaxPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Objects...)
		if !page.More || page.Next == nil {
			return out, nil
		}
		after = page.Next
	}
}

// SightingsSummary is what a caller may know of the sightings of an object.
type SightingsSummary struct {
	Of        string            `json:"of"`
	Sightings int               `json:"sightings"` // sighting objects the caller may read
	Count     int               `json:"count"`     // the sum of their count properties (1 when absent)
	Objects   []json.RawMessage `json:"objects"`
}

// Sightings gathers, over every collection p may read, the sightings of
// objectID that p may see: counts never include hidden sightings.
func (s *Service) Sightings(ctx context.Context, p *identity.Principal, objectID string) (*SightingsSummary, error) {
	if !ValidID(objectID) {
		return nil, errs.E(errs.Invalid, "%q is not a STIX id", objectID)
	}
	views, err := s.Collections(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &SightingsSummary{Of: objectID, Objects: []json.RawMessage{}}
	for _, v := range views {
		if !v.CanRead {
			continue
		}
		c, err := s.store.Collection(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		q := &Query{Limit: s.o.MaxPage, Types: []string{"sighting"}, SightingOf: objectID}
		for {
			pg, err := s.page(ctx, p, c, q)
			if err != nil {
				return nil, err
			}
			for _, o := range pg.Objects {
				var sg struct {
					Count *int `json:"count"`
				}
				json.Unmarshal(o.Raw, &sg)
				n := 1
				if sg.Count != nil {
					n = *sg.Count
				}
				out.Sightings++
				out.Count += n
				out.Objects = append(out.Objects, o.Raw)
			}
			if !pg.More {
				break
			}
			q.Next = pg.Next
		}
	}
	return out, nil
}

// DeleteObject deletes the versions of an object that q selects (all
// versions when q has no match[version]). A collection's owner may delete
// any object; other writers only what their organization added.
func (s *Service) DeleteObject(ctx context.Context, p *identity.Principal, collectionID, objectID string, q *Query, explicitVersion bool) error {
	c, err := s.writable(ctx, p, collectionID)
	if err != nil {
		return err
	}
	if !explicitVersion {
		q.Versions = VersionAll
	}
	q.IDs = []string{objectID}
	onlyOrg := ""
	if p.OrgID != c.OwnerOrgID {
		onlyOrg = p.OrgID
	}
	n, err := s.store.DeleteObject(ctx, c.ID, objectID, q, onlyOrg)
	if err != nil {
		return err
	}
	if n == 0 {
		return errs.E(errs.NotFound, "no object %q in this collection", objectID)
	}
	s.changed()
	return nil
}

// common holds the properties TAXII itself needs from every object.
type common struct {
	ID          string   `json:"id"`
	Type        string   `json:"type"`
	SpecVersion string   `json:"spec_version"`
	Created     string   `json:"created"`
	Modified    string   `json:"modified"`
	Markings    []string `json:"object_marking_refs"`
	Group       string   `json:"x_trawl_sharing_group"`
	Recipients  []string `json:"x_trawl_recipients"`
	SightingOf  string   `json:"sighting_of_ref"`
	SourceRef   string   `json:"source_ref"`
	TargetRef   string   `json:"target_ref"`
	Observed    []string `json:"observed_data_refs"`
	WhereSeen   []string `json:"where_sighted_refs"`
}

// names are the unresolved sharing properties of an object.
type names struct {
	group      string
	recipients []string
}

// Extract reads the properties a TAXII server needs from one object and
// checks them; the full STIX rules are Options.Validate's.
func Extract(raw []byte) (NewObject, error) {
	o, _, err := extract(raw)
	return o, err
}

// extract is Extract that also returns the sharing names to resolve.
func extract(raw []byte) (NewObject, names, error) {
	var c common
	if err := json.Unmarshal(raw, &c); err != nil {
		return NewObject{}, names{}, errs.E(errs.Invalid, "not a JSON object with STIX common properties: %v", err)
	}
	n := names{group: c.Group, recipients: c.Recipients}
	o := NewObject{ID: c.ID, Type: c.Type, SpecVersion: c.SpecVersion, Markings: c.Markings, Raw: raw, Level: sharing.Unmarked}
	setRefs(&o, c)
	indexFields(&o, rawProps(raw))
	for _, m := range c.Markings {
		if t, ok := stix.TLPOf(m); ok {
			if l, err := sharing.ParseLevel(string(t)); err == nil && l > o.Level {
				o.Level = l // the most restrictive marking wins
			}
		}
	}
	o, err := checkCommon(o, c)
	return o, n, err
}

// fromParsed validates raw with Options.Parse and takes what TAXII needs
// from the parsed object.
func (s *Service) fromParsed(raw []byte) (NewObject, names, error) {
	po, err := s.o.Parse(raw)
	if err != nil {
		var c struct {
			ID string `json:"id"`
		}
		json.Unmarshal(raw, &c) // for the status's id only
		return NewObject{ID: c.ID}, names{}, err
	}
	c := common{ID: po.ID, Type: po.Type, SpecVersion: po.SpecVersion, Markings: po.MarkingRefs}
	for _, p := range []struct {
		name string
		dst  any
	}{
		{"x_trawl_sharing_group", &c.Group}, {"x_trawl_recipients", &c.Recipients}, {"sighting_of_ref", &c.SightingOf},
		{"source_ref", &c.SourceRef}, {"target_ref", &c.TargetRef}, {"observed_data_refs", &c.Observed}, {"where_sighted_refs", &c.WhereSeen},
	} {
		if v := po.Prop(p.name); v != nil {
			if err := json.Unmarshal(v, p.dst); err != nil {
				return NewObject{ID: po.ID}, names{}, errs.E(errs.Invalid, "property %q: %v", p.name, err)
			}
		}
	}
	o := NewObject{ID: c.ID, Type: c.Type, SpecVersion: c.SpecVersion, Markings: c.Markings, Raw: raw, Level: sharing.Unmarked}
	if t, ok := po.TLP(); ok {
		if l, err := sharing.ParseLevel(string(t)); err == nil {
			o.Level = l
		}
	}
	if o.SpecVersion == "" {
		o.SpecVersion = "2.1"
	}
	o.Version = po.Version().Truncate(time.Microsecond)
	setRefs(&o, c)
	indexFields(&o, po.Prop)
	return o, names{group: c.Group, recipients: c.Recipients}, nil
}

// setRefs records what a relationship or sighting points at.
func setRefs(o *NewObject, c common) {
	switch c.Type {
	case "sighting":
		o.SightingOf = c.SightingOf
		o.Refs = append(append([]string{c.SightingOf}, c.Observed...), c.WhereSeen...)
	case "relationship":
		o.Refs = []string{c.SourceRef, c.TargetRef}
	}
}

func checkCommon(o NewObject, c common) (NewObject, error) {
	if !ValidID(c.ID) {
		return o, errs.E(errs.Invalid, "property \"id\": %q is not type--UUID", c.ID)
	}
	if !strings.HasPrefix(c.ID, c.Type+"--") {
		return o, errs.E(errs.Invalid, "property \"type\": %q does not match the id's type", c.Type)
	}
	if o.SpecVersion == "" {
		o.SpecVersion = "2.1" // SCOs may omit it
	}
	if o.SpecVersion != "2.1" {
		return o, errs.E(errs.Invalid, "property \"spec_version\": want \"2.1\", got %q (convert STIX 2.0 with `trawl import stix`)", o.SpecVersion)
	}
	var created time.Time
	for _, f := range []struct{ name, val string }{{"created", c.Created}, {"modified", c.Modified}} {
		if f.val == "" {
			continue
		}
		t, err := ParseTime(f.val)
		if err != nil {
			return o, errs.E(errs.Invalid, "property %q: %q is not an RFC 3339 timestamp", f.name, f.val)
		}
		if f.name == "created" {
			created = t
		}
		o.Version = t.Truncate(time.Microsecond)
	}
	if !created.IsZero() && o.Version.Before(created.Truncate(time.Microsecond)) {
		return o, errs.E(errs.Invalid, "property \"modified\": before \"created\"")
	}
	return o, nil
}

var aliasRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// CreateCollection creates a collection owned by ownerOrgID.
func (s *Service) CreateCollection(ctx context.Context, ownerOrgID, title, description, alias, defaultTLP string, public bool) (*Collection, error) {
	title = strings.TrimSpace(title)
	if title == "" || len(title) > 200 {
		return nil, errs.E(errs.Invalid, "taxii: a collection needs a title of 1-200 characters")
	}
	if len(description) > 4000 {
		return nil, errs.E(errs.Invalid, "taxii: description longer than 4000 characters")
	}
	if alias != "" && (!aliasRE.MatchString(alias) || ValidUUID(alias)) {
		return nil, errs.E(errs.Invalid, "taxii: alias %q must be 2-63 characters of a-z, 0-9 and '-'", alias)
	}
	if defaultTLP == "" {
		defaultTLP = "amber"
	}
	known := false
	for _, t := range DefaultTLPs {
		known = known || t == defaultTLP
	}
	if !known {
		return nil, errs.E(errs.Invalid, "taxii: default TLP %q: want clear, green, amber, amber+strict or red", defaultTLP)
	}
	if public && defaultTLP != "clear" {
		return nil, errs.E(errs.Invalid, "taxii: a public collection serves TLP:CLEAR only; give it --default-tlp clear")
	}
	c := &Collection{ID: newUUID(), Alias: alias, Title: title, Description: description, OwnerOrgID: ownerOrgID,
		DefaultTLP: defaultTLP, Public: public, CreatedAt: s.o.Now().UTC().Truncate(time.Microsecond)}
	if err := s.store.CreateCollection(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Grant sets what an organization may do with a collection.
func (s *Service) Grant(ctx context.Context, g Grant) error {
	if _, err := s.store.Collection(ctx, g.CollectionID); err != nil {
		return err
	}
	return s.store.SetGrant(ctx, g)
}

// Restrict makes a collection readable and writable only by the members of
// a sharing group (and its owner), whatever its grants say; an empty group
// lifts the restriction. It takes effect on the next request.
func (s *Service) Restrict(ctx context.Context, collectionID, group string) error {
	c, err := s.store.Collection(ctx, collectionID)
	if err != nil {
		return err
	}
	id := ""
	if group != "" {
		if s.o.Directory == nil {
			return errs.E(errs.Invalid, "taxii: sharing groups are not available")
		}
		g, err := s.o.Directory.Group(ctx, group)
		if err != nil {
			return err
		}
		id = g.ID
	}
	if err := s.store.SetCollectionGroup(ctx, c.ID, id); err != nil {
		return err
	}
	s.changed()
	return nil
}

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

// Add stores an envelope POSTed to a collection and returns its status:
// complete for small envelopes, pending (processed after the answer) for
// large ones. The envelope must already fit the request size limit.
func (s *Service) Add(ctx context.Context, p *identity.Principal, collectionID string, body []byte) (*Status, error) {
	c, err := s.writable(ctx, p, collectionID)
	if err != nil {
		return nil, err
	}
	objects, err := stix.SplitEnvelope(body)
	if err != nil {
		return nil, err
	}
	st := &Status{ID: newUUID(), Status: "pending", RequestTimestamp: s.o.Now().UTC().Truncate(time.Microsecond),
		TotalCount: len(objects), PendingCount: len(objects), CollectionID: c.ID, OrgID: p.OrgID}
	if len(objects) <= s.o.SyncObjects {
		if err := s.process(ctx, st, objects, true); err != nil {
			return nil, err
		}
		return st, nil
	}
	if err := s.store.CreateStatus(ctx, st, body); err != nil {
		return nil, err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return st, nil
}

// Import stores objects into a collection on behalf of an organization,
// with the same validation as a POST but without a caller's permission
// check: for the operator's local commands (import, pull --into).
func (s *Service) Import(ctx context.Context, orgID, collectionID string, raws []json.RawMessage) (*Status, error) {
	c, err := s.store.Collection(ctx, collectionID)
	if err != nil {
		return nil, err
	}
	st := &Status{ID: newUUID(), RequestTimestamp: s.o.Now().UTC().Truncate(time.Microsecond), TotalCount: len(raws), CollectionID: c.ID, OrgID: orgID}
	for start := 0; start < len(raws); start += 1000 {
		part := &Status{CollectionID: c.ID, OrgID: orgID}
		if err := s.process(ctx, part, raws[start:min(start+1000, len(raws))], false); err != nil {
			return nil, err
		}
		st.Successes = append(st.Successes, part.Successes...)
		st.Failures = append(st.Failures, part.Failures...)
	}
	st.Status, st.SuccessCount, st.FailureCount = "complete", len(st.Successes), len(st.Failures)
	return st, nil
}

// process validates and stores objects, filling in st, which it writes
// with them when save is set.
func (s *Service) process(ctx context.Context, st *Status, raws []json.RawMessage, save bool) error {
	var objs []NewObject
	st.Successes, st.Failures, st.Pendings = nil, nil, nil
	for i, raw := range raws {
		var o NewObject
		var n names
		var err error
		if s.o.Parse != nil {
			o, n, err = s.fromParsed(raw)
		} else {
			o, n, err = extract(raw)
			if err == nil && s.o.Validate != nil {
				err = s.o.Validate(raw)
			}
		}
		if err == nil {
			err = s.resolve(ctx, st.OrgID, &o, n)
		}
		if err != nil {
			st.Failures = append(st.Failures, StatusDetail{ID: o.ID, Version: versionString(o.Version), Message: fmt.Sprintf("object %d: %s", i, errs.MessageOf(err))})
			continue
		}
		objs = append(objs, o)
	}
	complete := func(added time.Time, res []AddResult) *Status {
		st.Successes = nil
		for _, r := range res {
			o := objs[r.Index]
			v := o.Version
			if v.IsZero() {
				v = added
			}
			d := StatusDetail{ID: o.ID, Version: FormatTime(v)}
			if !r.Created {
				d.Message = "this version was already present"
			}
			st.Successes = append(st.Successes, d)
		}
		st.Status, st.PendingCount = "complete", 0
		st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
		return st
	}
	if save {
		// Written with the objects: a status is never missing or still
		// pending for objects that were stored.
		if err := s.store.AddObjectsStatus(ctx, st.CollectionID, st.OrgID, objs, complete); err != nil {
			return err
		}
	} else if len(objs) > 0 {
		added, res, err := s.store.AddObjects(ctx, st.CollectionID, st.OrgID, objs)
		if err != nil {
			return err
		}
		complete(added, res)
	} else {
		complete(time.Time{}, nil)
	}
	if len(objs) > 0 {
		s.changed()
	}
	return nil
}

// resolve turns an object's x_trawl_sharing_group and x_trawl_recipients
// into ids. A writer may restrict an object only to a group its organization
// belongs to (or owns).
func (s *Service) resolve(ctx context.Context, writerOrg string, o *NewObject, n names) error {
	if n.group == "" && len(n.recipients) == 0 {
		return nil
	}
	if s.o.Directory == nil {
		return errs.E(errs.Invalid, "x_trawl_sharing_group and x_trawl_recipients are not supported on this hub")
	}
	if n.group != "" {
		g, err := s.o.Directory.Group(ctx, n.group)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Invalid, "property \"x_trawl_sharing_group\": no sharing group %q", n.group)
		}
		if err != nil {
			return err
		}
		member := g.OwnerOrgID == writerOrg
		for _, m := range g.Members {
			member = member || m == writerOrg
		}
		if !member {
			return errs.E(errs.Invalid, "property \"x_trawl_sharing_group\": your organization is not a member of %q", n.group)
		}
		o.Group = g.ID
	}
	if len(n.recipients) > 200 {
		return errs.E(errs.Invalid, "property \"x_trawl_recipients\": at most 200 recipients")
	}
	for _, r := range n.recipients {
		kind, name, ok := strings.Cut(r, ":")
		var id string
		var err error
		switch {
		case !ok:
			return errs.E(errs.Invalid, "property \"x_trawl_recipients\": %q: want org:NAME, user:EMAIL or group:NAME", r)
		case kind == "org":
			var org *identity.Org
			if org, err = s.o.Directory.OrgByName(ctx, name); err == nil {
				id = org.ID
			}
		case kind == "user":
			var u *identity.User
			if u, err = s.o.Directory.UserByEmail(ctx, strings.ToLower(name)); err == nil {
				id = u.ID
			}
		case kind == "group":
			var g *sharing.Group
			if g, err = s.o.Directory.Group(ctx, name); err == nil {
				id = g.ID
			}
		default:
			return errs.E(errs.Invalid, "property \"x_trawl_recipients\": %q: want org:NAME, user:EMAIL or group:NAME", r)
		}
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Invalid, "property \"x_trawl_recipients\": no %s %q", kind, name)
		}
		if err != nil {
			return err
		}
		o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientKind(kind), ID: id})
	}
	return nil
}

func versionString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}

// Status returns a status resource to the organization that posted it.
func (s *Service) Status(ctx context.Context, p *identity.Principal, id string) (*Status, error) {
	st, err := s.store.Status(ctx, id)
	if err != nil || p == nil || st.OrgID != p.OrgID {
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		return nil, errs.E(errs.NotFound, "no status %q", id)
	}
	return st, nil
}

// Run processes queued envelopes until ctx ends: those left pending by a
// crash or restart first, then each new one.
func (s *Service) Run(ctx context.Context) {
	for {
		s.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(30 * time.Second): // another replica may have queued work
		}
	}
}

// drain processes pending envelopes until none is left. The store hands
// them out in batches (PendingStatuses); a batch in which one fails ends
// the round, which the next POST or the half-minute tick starts again.
func (s *Service) drain(ctx context.Context) {
	s.running.Lock()
	defer s.running.Unlock()
	for {
		jobs, err := s.store.PendingStatuses(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("taxii: list pending envelopes", "err", err)
			}
			return
		}
		if len(jobs) == 0 {
			return
		}
		for _, j := range jobs {
			if err := s.processQueued(ctx, j); err != nil {
				if ctx.Err() == nil {
					s.log.Error("taxii: process envelope", "status", j.Status.ID, "err", err)
				}
				return
			}
		}
	}
}

// processQueued stores a queued envelope's objects and completes its
// status. An envelope that cannot be read (queued by an older trawl that
// read envelopes more loosely) completes with every object failed, so that
// it neither stays pending for ever nor holds up the queue.
func (s *Service) processQueued(ctx context.Context, j PendingJob) error {
	objects, err := stix.SplitEnvelope(j.Envelope)
	if err == nil {
		return s.process(ctx, j.Status, objects, true)
	}
	s.log.Warn("taxii: queued envelope unreadable; its status completes with every object failed", "status", j.Status.ID, "err", err)
	st := j.Status
	return s.store.AddObjectsStatus(ctx, st.CollectionID, st.OrgID, nil, func(time.Time, []AddResult) *Status {
		st.Successes, st.Pendings = nil, nil
		st.Failures = []StatusDetail{{Message: "the envelope could not be read: " + errs.MessageOf(err)}}
		st.Status, st.PendingCount, st.SuccessCount, st.FailureCount = "complete", 0, 0, st.TotalCount
		return st
	})
}

// Drain processes the queue now (for tests and one-shot commands).
func (s *Service) Drain(ctx context.Context) { s.drain(ctx) }

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// NewUUID returns a random (version 4) UUID.
func NewUUID() string { return newUUID() }

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// ValidUUID reports whether s is a lower-case UUID.
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }
