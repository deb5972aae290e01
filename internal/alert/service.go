package alert

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

// Source is one source object as an organization reads it.
type Source = taxii.Readable

// Sources resolves source ids as one organization reads the hub.
//
// ReadableBy returns those of ids that orgID may read now (collection access
// and the sharing rule, group membership read afresh), each with the
// narrowest level it reads it at; the ids it may not read are absent, as
// are ids that do not exist. It is safe for concurrent use.
// *taxii.Service implements it.
type Sources interface {
	ReadableBy(ctx context.Context, orgID string, ids []string) (map[string]Source, error)
}

var _ Sources = (*taxii.Service)(nil)

// Directory finds organizations.
type Directory interface {
	OrgByName(ctx context.Context, name string) (*identity.Org, error)
	OrgByID(ctx context.Context, id string) (*identity.Org, error)
}

// Options configure a Service.
type Options struct {
	Store     Store
	Sources   Sources
	Directory Directory
	Now       func() time.Time
	// OnRaise, if set, is called after an alert is stored (the webhook
	// outbox enqueues it there).
	OnRaise func(ctx context.Context, a *Alert) error
}

// Service applies the alert rules over a Store.
type Service struct{ o Options }

// NewService returns a Service.
func NewService(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{o: o}
}

// Request is an alert an analyst raises.
type Request struct {
	To       string    `json:"to"` // the addressee organization's name (or id)
	Kind     Kind      `json:"kind"`
	Subjects []Subject `json:"subjects"`
	Sources  []string  `json:"sources"`
	Marking  string    `json:"marking,omitempty"` // default: the narrowest source's level
	Note     string    `json:"note,omitempty"`
}

var (
	chainRE  = regexp.MustCompile(`^[a-z0-9]{2,16}$`)
	stixIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

// validate checks a request's shape; it says what to fix.
func (r *Request) validate() error {
	if _, err := ParseKind(string(r.Kind)); err != nil {
		return err
	}
	if len(r.Subjects) == 0 || len(r.Subjects) > MaxSubjects {
		return errs.E(errs.Invalid, "subjects: name 1 to %d addresses, got %d", MaxSubjects, len(r.Subjects))
	}
	for i, s := range r.Subjects {
		if !chainRE.MatchString(s.Chain) {
			return errs.E(errs.Invalid, "subjects[%d].chain %q: use a chain name such as btc or eth", i, s.Chain)
		}
		if !printable(s.Address, 200) {
			return errs.E(errs.Invalid, "subjects[%d].address: want 1 to 200 printable characters without spaces", i)
		}
		if len(s.Txid) > 128 || len(s.Service) > 200 {
			return errs.E(errs.Invalid, "subjects[%d]: txid or service too long", i)
		}
	}
	if len(r.Sources) == 0 || len(r.Sources) > MaxSources {
		return errs.E(errs.Invalid, "sources: name 1 to %d STIX ids the alert derives from (e.g. the indicator of the theft), got %d", MaxSources, len(r.Sources))
	}
	seen := map[string]bool{}
	for i, id := range r.Sources {
		if !stixIDRE.MatchString(id) {
			return errs.E(errs.Invalid, "sources[%d] %q is not a STIX id (type--UUID)", i, id)
		}
		if seen[id] {
			return errs.E(errs.Invalid, "sources[%d] %q is named twice", i, id)
		}
		seen[id] = true
	}
	if len(r.Note) > MaxNote {
		return errs.E(errs.Invalid, "note: at most %d bytes, got %d", MaxNote, len(r.Note))
	}
	return nil
}

func (s *Service) org(ctx context.Context, nameOrID string) (*identity.Org, error) {
	o, err := s.o.Directory.OrgByName(ctx, nameOrID)
	if errs.Is(err, errs.NotFound) {
		o, err = s.o.Directory.OrgByID(ctx, nameOrID)
	}
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.NotFound, "no organization %q", nameOrID)
	}
	return o, err
}

func actor(p *identity.Principal) string {
	if p.UserID != "" {
		return p.UserID
	}
	return "key:" + p.KeyID
}

// floor is the narrowest level among the sources as either side reads them.
func floor(views ...map[string]Source) sharing.Level {
	l := sharing.Clear
	for _, v := range views {
		for _, src := range v {
			l = max(l, src.Level)
		}
	}
	return l
}

// ErrAddresseeCannotRead is the cause when the addressee may not read a
// source (the request is refused; from-trace skips the organization).
var ErrAddresseeCannotRead = errors.New("alert: the addressee may not read every source")

// Unreadable returns the sources (in request order) that orgID may not read.
func (s *Service) Unreadable(ctx context.Context, orgID string, ids []string) ([]string, map[string]Source, error) {
	got, err := s.o.Sources.ReadableBy(ctx, orgID, ids)
	if err != nil {
		return nil, nil, err
	}
	var missing []string
	for _, id := range ids {
		if _, ok := got[id]; !ok {
			missing = append(missing, id)
		}
	}
	return missing, got, nil
}

// Raise stores an alert from p's organization to r.To. It refuses (404)
// sources p may not read, (403) an addressee that may not read every
// source, and (400) a marking wider than the narrowest source.
func (s *Service) Raise(ctx context.Context, p *identity.Principal, r Request) (*Alert, error) {
	if !p.Can(identity.PermWrite) {
		return nil, errs.E(errs.Forbidden, "raising an alert needs an analyst or admin key")
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	to, err := s.org(ctx, r.To)
	if err != nil {
		return nil, err
	}
	if to.ID == p.OrgID {
		return nil, errs.E(errs.Invalid, "to: an alert goes to another organization, not to your own")
	}
	from, err := s.o.Directory.OrgByID(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	missing, mine, err := s.Unreadable(ctx, p.OrgID, r.Sources)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, errs.E(errs.NotFound, "no object %q that your organization may read", missing[0])
	}
	missing, theirs, err := s.Unreadable(ctx, to.ID, r.Sources)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, errs.Wrap(errs.Forbidden, ErrAddresseeCannotRead,
			"organization %s may not read source %s: share it with them (collection grant or sharing group) or leave it out", to.Name, missing[0])
	}
	level := floor(mine, theirs)
	if r.Marking != "" {
		l, err := sharing.ParseLevel(r.Marking)
		if err != nil {
			return nil, errs.E(errs.Invalid, "marking: %v", errs.MessageOf(err))
		}
		if l < level {
			return nil, errs.E(errs.Invalid, "marking %s is wider than the sources' %s: use %s or narrower", l, level, level)
		}
		level = l
	}
	a := &Alert{
		ID: newID(), Kind: r.Kind, ToOrg: to.ID, ToName: to.Name, FromOrg: from.ID, FromName: from.Name, RaisedBy: actor(p),
		Subjects: r.Subjects, Sources: r.Sources, Marking: level.String(), Note: r.Note,
		CreatedAt: s.o.Now().UTC().Truncate(time.Microsecond), Status: StatusNew,
	}
	if err := s.o.Store.CreateAlert(ctx, a); err != nil {
		return nil, err
	}
	if s.o.OnRaise != nil {
		if err := s.o.OnRaise(ctx, a); err != nil {
			return a, err
		}
	}
	return a, nil
}

// AddresseeMaySee reports whether a's addressee may read every source now
// (what a delivery to it needs, whoever asks).
func (s *Service) AddresseeMaySee(ctx context.Context, a *Alert) (bool, error) {
	missing, _, err := s.Unreadable(ctx, a.ToOrg, a.Sources)
	return err == nil && len(missing) == 0, err
}

// visibility decides, for p's organization, which alerts it may see; it
// remembers, for one request, which sources the organization may read.
type visibility struct {
	s        *Service
	orgID    string
	readable map[string]bool // source id -> may read (known ones only)
}

func (s *Service) visibilityFor(p *identity.Principal) *visibility {
	return &visibility{s: s, orgID: p.OrgID, readable: map[string]bool{}}
}

// prefetch resolves, in one call, the sources of the alerts addressed to
// the organization that it has not resolved yet.
func (v *visibility) prefetch(ctx context.Context, as []Alert) error {
	var ids []string
	seen := map[string]bool{}
	for i := range as {
		if as[i].ToOrg != v.orgID || as[i].FromOrg == v.orgID {
			continue
		}
		for _, id := range as[i].Sources {
			if _, known := v.readable[id]; !known && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	got, err := v.s.o.Sources.ReadableBy(ctx, v.orgID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		_, ok := got[id]
		v.readable[id] = ok
	}
	return nil
}

func (v *visibility) sees(ctx context.Context, a *Alert) (bool, error) {
	if v.orgID == "" {
		return false, nil
	}
	if a.FromOrg == v.orgID {
		return true, nil
	}
	if a.ToOrg != v.orgID {
		return false, nil
	}
	if err := v.prefetch(ctx, []Alert{*a}); err != nil {
		return false, err
	}
	for _, id := range a.Sources {
		if !v.readable[id] {
			return false, nil
		}
	}
	return true, nil
}

// CanSee reports whether p may see a now: its raiser always; its addressee
// while it may read every source.
func (s *Service) CanSee(ctx context.Context, p *identity.Principal, a *Alert) (bool, error) {
	if !p.Can(identity.PermRead) {
		return false, nil
	}
	return s.visibilityFor(p).sees(ctx, a)
}

func notFound(id string) error { return errs.E(errs.NotFound, "no alert %q", id) }

// Get returns one alert p may see; any other is reported missing.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (*Alert, error) {
	if !ValidID(id) {
		return nil, notFound(id)
	}
	a, err := s.o.Store.Alert(ctx, id)
	if errs.Is(err, errs.NotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	ok, err := s.CanSee(ctx, p, a)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound(id)
	}
	return a, nil
}

// MaxPage caps a list's limit.
const MaxPage = 500

// List returns up to f.Limit alerts of p's organization that it may see,
// newest first, and whether more may follow.
func (s *Service) List(ctx context.Context, p *identity.Principal, f Filter) ([]Alert, bool, error) {
	if !p.Can(identity.PermRead) {
		return nil, false, errs.E(errs.Forbidden, "listing alerts needs a reader, analyst or admin key")
	}
	if f.Limit <= 0 || f.Limit > MaxPage {
		f.Limit = min(max(f.Limit, 0), MaxPage)
		if f.Limit == 0 {
			f.Limit = 100
		}
	}
	want := f.Limit
	f.OrgID = p.OrgID
	vis := s.visibilityFor(p)
	out := []Alert{}
	for {
		f.Limit = want - len(out) + 1
		batch, err := s.o.Store.ListAlerts(ctx, f)
		if err != nil {
			return nil, false, err
		}
		if err := vis.prefetch(ctx, batch); err != nil {
			return nil, false, err
		}
		for i := range batch {
			ok, err := vis.sees(ctx, &batch[i])
			if err != nil {
				return nil, false, err
			}
			if !ok {
				continue
			}
			if len(out) == want {
				return out, true, nil
			}
			out = append(out, batch[i])
		}
		if len(batch) < f.Limit {
			return out, false, nil
		}
		last := batch[len(batch)-1]
		f.Before, f.BeforeID = last.CreatedAt, last.ID
	}
}

// Since returns the alerts addressed to orgID created at or after t,
// without the visibility check (for the webhook outbox, which checks when
// it delivers).
func (s *Service) Since(ctx context.Context, orgID string, t time.Time) ([]Alert, error) {
	f := Filter{OrgID: orgID, Box: BoxInbox, Limit: MaxPage}
	var out []Alert
	for {
		batch, err := s.o.Store.ListAlerts(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, a := range batch {
			if a.CreatedAt.Before(t) {
				return out, nil
			}
			out = append(out, a)
		}
		if len(batch) < f.Limit {
			return out, nil
		}
		last := batch[len(batch)-1]
		f.Before, f.BeforeID = last.CreatedAt, last.ID
	}
}

// Ack records that the addressee acknowledged the alert (idempotent).
func (s *Service) Ack(ctx context.Context, p *identity.Principal, id string) (*Alert, error) {
	return s.move(ctx, p, id, StatusAcknowledged)
}

// Close closes the alert, by its addressee or its raiser (idempotent).
func (s *Service) Close(ctx context.Context, p *identity.Principal, id string) (*Alert, error) {
	return s.move(ctx, p, id, StatusClosed)
}

func (s *Service) move(ctx context.Context, p *identity.Principal, id string, to Status) (*Alert, error) {
	a, err := s.Get(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if !p.Can(identity.PermWrite) {
		return nil, errs.E(errs.Forbidden, "changing an alert's status needs an analyst or admin key")
	}
	if to == StatusAcknowledged && a.ToOrg != p.OrgID {
		return nil, errs.E(errs.Forbidden, "only the addressee (%s) acknowledges an alert", a.ToName)
	}
	if a.Status == to {
		return a, nil
	}
	from := []Status{StatusNew}
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	switch to {
	case StatusAcknowledged:
		if a.Status == StatusClosed {
			return nil, errs.E(errs.Conflict, "alert %s is closed", id)
		}
		a.AckedBy, a.AckedAt = actor(p), &now
	case StatusClosed:
		from = append(from, StatusAcknowledged)
		a.ClosedBy, a.ClosedAt = actor(p), &now
	}
	prev := a.Status
	a.Status = to
	if err := s.o.Store.SetAlertStatus(ctx, id, from, a); err != nil {
		if errs.Is(err, errs.Conflict) {
			return s.Get(ctx, p, id) // moved meanwhile by another request
		}
		a.Status = prev
		return nil, err
	}
	return a, nil
}

// MaxLabel is the longest service label.
const MaxLabel = 200

// ClaimService records that the organization holds the deposits of label.
func (s *Service) ClaimService(ctx context.Context, p *identity.Principal, org, label string) (*Claim, error) {
	if !p.Can(identity.PermManageHub) {
		return nil, errs.E(errs.Forbidden, "claiming a service label for an organization needs an admin key of the hub's operator")
	}
	return s.Claim(ctx, org, label)
}

// Claim records a claim without a caller (the CLI on the hub's machine).
func (s *Service) Claim(ctx context.Context, org, label string) (*Claim, error) {
	label = strings.TrimSpace(label)
	if label == "" || len(label) > MaxLabel || strings.IndexFunc(label, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return nil, errs.E(errs.Invalid, "label: want 1 to %d printable characters, the service name of the attribution tags (e.g. Binance)", MaxLabel)
	}
	o, err := s.org(ctx, org)
	if err != nil {
		return nil, err
	}
	c := Claim{Label: label, OrgID: o.ID, ClaimedAt: s.o.Now().UTC().Truncate(time.Microsecond)}
	if err := s.o.Store.ClaimService(ctx, c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Claims lists the service claims.
func (s *Service) Claims(ctx context.Context) ([]Claim, error) { return s.o.Store.ServiceClaims(ctx) }

// Unclaim removes the claim of a label.
func (s *Service) Unclaim(ctx context.Context, p *identity.Principal, label string) error {
	if p != nil && !p.Can(identity.PermManageHub) {
		return errs.E(errs.Forbidden, "removing a service claim needs an admin key of the hub's operator")
	}
	return s.o.Store.UnclaimService(ctx, label)
}

// Skipped is an organization holding deposits that got no alert.
type Skipped struct {
	Org      string `json:"org"`
	Deposits int    `json:"deposits"`
	Reason   string `json:"reason"`
}

// Unclaimed is a service whose deposits no organization claims.
type Unclaimed struct {
	Service  string `json:"service"`
	Deposits int    `json:"deposits"`
	Sats     uint64 `json:"sats"`
}

// FromDeposits is the outcome of RaiseDeposits.
type FromDeposits struct {
	Alerts    []Alert     `json:"alerts"`
	Skipped   []Skipped   `json:"skipped"`
	Unclaimed []Unclaimed `json:"unclaimed"`
}

// RaiseDeposits groups deposits (subjects with a Service) by the
// organization that claims the service and raises one deposit alert to
// each, skipping (and reporting) organizations that may not read every
// source and p's own organization.
func (s *Service) RaiseDeposits(ctx context.Context, p *identity.Principal, sources []string, marking, note string, deposits []Subject) (*FromDeposits, error) {
	if !p.Can(identity.PermWrite) {
		return nil, errs.E(errs.Forbidden, "raising alerts needs an analyst or admin key")
	}
	claims, err := s.o.Store.ServiceClaims(ctx)
	if err != nil {
		return nil, err
	}
	holder := map[string]string{}
	for _, c := range claims {
		holder[LabelKey(c.Label)] = c.OrgID
	}
	byOrg := map[string][]Subject{}
	unclaimed := map[string]*Unclaimed{}
	for _, d := range deposits {
		org, ok := holder[LabelKey(d.Service)]
		if d.Service == "" || !ok {
			u := unclaimed[d.Service]
			if u == nil {
				u = &Unclaimed{Service: d.Service}
				unclaimed[d.Service] = u
			}
			u.Deposits++
			u.Sats += d.Sats
			continue
		}
		byOrg[org] = append(byOrg[org], d)
	}
	res := &FromDeposits{Alerts: []Alert{}, Skipped: []Skipped{}, Unclaimed: []Unclaimed{}}
	orgs := make([]string, 0, len(byOrg))
	for o := range byOrg {
		orgs = append(orgs, o)
	}
	sort.Strings(orgs)
	for _, orgID := range orgs {
		subj := byOrg[orgID]
		if len(subj) > MaxSubjects {
			subj = subj[:MaxSubjects] // the largest first, as the trace lists them
		}
		o, err := s.o.Directory.OrgByID(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if orgID == p.OrgID {
			res.Skipped = append(res.Skipped, Skipped{Org: o.Name, Deposits: len(subj), Reason: "your own organization"})
			continue
		}
		a, err := s.Raise(ctx, p, Request{To: orgID, Kind: KindDeposit, Subjects: subj, Sources: sources, Marking: marking, Note: note})
		if errors.Is(err, ErrAddresseeCannotRead) {
			res.Skipped = append(res.Skipped, Skipped{Org: o.Name, Deposits: len(subj), Reason: errs.MessageOf(err)})
			continue
		}
		if err != nil {
			return nil, err
		}
		res.Alerts = append(res.Alerts, *a)
	}
	for _, u := range unclaimed {
		res.Unclaimed = append(res.Unclaimed, *u)
	}
	sort.Slice(res.Unclaimed, func(i, j int) bool { return res.Unclaimed[i].Sats > res.Unclaimed[j].Sats })
	return res, nil
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("alert--%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
