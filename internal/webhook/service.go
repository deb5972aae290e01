package webhook

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

// Sender posts a delivery. It returns the HTTP status and a short excerpt
// of the answer (never the whole body); err for failures to reach the
// endpoint. It follows no redirects and bounds its time.
type Sender interface {
	Send(ctx context.Context, url string, header map[string]string, body []byte) (status int, excerpt string, err error)
}

// Options configure a Service.
type Options struct {
	Store  Store
	Hub    *taxii.Service
	Alerts *alert.Service
	Sender Sender
	// BaseURL is the hub's public URL, for the links of notices.
	BaseURL           string
	AllowHTTPLoopback bool
	Backoff           time.Duration // first retry delay (default 10 s), doubled per attempt
	MaxBackoff        time.Duration // cap (default 1 h)
	DisableAfter      int           // consecutive failures that disable an endpoint (default 10)
	Lease             time.Duration // default 2 min
	Poll              time.Duration // default 1 s
	Batch             int           // deliveries claimed at once (default 16)
	Workers           int           // deliveries sent at once (default 4)
	Owner             string        // this worker's name in leases (default random)
	Logger            *slog.Logger
	Now               func() time.Time
}

// Service registers endpoints and runs the outbox.
type Service struct {
	o    Options
	wake chan struct{}

	mu       sync.Mutex
	scanned  int64 // hub objects version last scanned
	scanAt   time.Time
	prunedAt time.Time
}

// Retention is how long finished deliveries stay in the outbox (GET
// /api/v1/webhooks/{id} shows them).
const Retention = 30 * 24 * time.Hour

// NewService returns a Service.
func NewService(o Options) *Service {
	if o.Backoff <= 0 {
		o.Backoff = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.DisableAfter <= 0 {
		o.DisableAfter = 10
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 16
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Owner == "" {
		o.Owner = "worker-" + randHex(6)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{o: o, wake: make(chan struct{}, 1), scanned: -1}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// deliveryID is deterministic, so that replicas that queue the same event
// queue it once.
func deliveryID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "whd_" + hex.EncodeToString(h.Sum(nil)[:16])
}

func orgReader(orgID string) *identity.Principal {
	return &identity.Principal{OrgID: orgID, Role: identity.RoleReader, KeyID: "webhook"}
}

// Limits of registration.
const (
	MaxEndpointsPerOrg = 20
	MaxCollections     = 50
)

// Registration is what an org admin sends.
type Registration struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Collections []string `json:"collections,omitempty"`
}

// Register stores an endpoint of p's organization and returns it with its
// signing secret, which is shown this once.
func (s *Service) Register(ctx context.Context, p *identity.Principal, r Registration) (*Endpoint, string, error) {
	if !p.Can(identity.PermManageOrg) {
		return nil, "", errs.E(errs.Forbidden, "registering a webhook needs an admin key of your organization")
	}
	if err := ValidateURL(r.URL, s.o.AllowHTTPLoopback); err != nil {
		return nil, "", err
	}
	if len(r.Events) == 0 {
		return nil, "", errs.E(errs.Invalid, "events: name at least one of alert, objects, sightings")
	}
	seen := map[string]bool{}
	for _, ev := range r.Events {
		switch ev {
		case EventAlert, EventObjects, EventSightings:
		default:
			return nil, "", errs.E(errs.Invalid, "events: %q is not one of alert, objects, sightings", ev)
		}
		if seen[ev] {
			return nil, "", errs.E(errs.Invalid, "events: %q named twice", ev)
		}
		seen[ev] = true
	}
	if seen[EventObjects] != (len(r.Collections) > 0) {
		return nil, "", errs.E(errs.Invalid, "collections: name the collections (1 to %d) exactly when events has objects", MaxCollections)
	}
	if len(r.Collections) > MaxCollections {
		return nil, "", errs.E(errs.Invalid, "collections: at most %d", MaxCollections)
	}
	var colls []string
	for _, c := range r.Collections {
		v, err := s.o.Hub.Collection(ctx, orgReader(p.OrgID), c)
		if err != nil {
			return nil, "", err
		}
		if !v.CanRead {
			return nil, "", errs.E(errs.Forbidden, "your organization may not read collection %s", c)
		}
		colls = append(colls, v.ID)
	}
	have, err := s.o.Store.Endpoints(ctx, p.OrgID)
	if err != nil {
		return nil, "", err
	}
	if len(have) >= MaxEndpointsPerOrg {
		return nil, "", errs.E(errs.Conflict, "your organization has %d webhooks, the most allowed; delete one first", len(have))
	}
	secret := "whsec_" + randHex(32)
	e := &Endpoint{ID: "wh_" + randHex(12), OrgID: p.OrgID, URL: r.URL, Events: r.Events, Collections: colls, Secret: secret,
		CreatedAt: s.o.Now().UTC().Truncate(time.Microsecond), CreatedBy: p.KeyID}
	if err := s.o.Store.CreateEndpoint(ctx, e); err != nil {
		return nil, "", err
	}
	return e, secret, nil
}

// List returns the endpoints of p's organization, with their health.
func (s *Service) List(ctx context.Context, p *identity.Principal) ([]Endpoint, error) {
	if !p.Can(identity.PermManageOrg) {
		return nil, errs.E(errs.Forbidden, "listing webhooks needs an admin key of your organization")
	}
	return s.o.Store.Endpoints(ctx, p.OrgID)
}

// Get returns one endpoint of p's organization with its latest deliveries.
func (s *Service) Get(ctx context.Context, p *identity.Principal, id string) (*Endpoint, []Delivery, error) {
	if !p.Can(identity.PermManageOrg) {
		return nil, nil, errs.E(errs.Forbidden, "reading webhooks needs an admin key of your organization")
	}
	e, err := s.o.Store.Endpoint(ctx, id)
	if err != nil || e.OrgID != p.OrgID {
		return nil, nil, errs.E(errs.NotFound, "no webhook %q", id)
	}
	ds, err := s.o.Store.Deliveries(ctx, id, 20)
	return e, ds, err
}

// Delete removes an endpoint of p's organization; its queued deliveries
// are dropped.
func (s *Service) Delete(ctx context.Context, p *identity.Principal, id string) error {
	if _, _, err := s.Get(ctx, p, id); err != nil {
		return err
	}
	return s.o.Store.DeleteEndpoint(ctx, id)
}

// EnqueueAlert queues a for the addressee's endpoints that want alerts
// (alert.Options.OnRaise). Should it fail, or the process stop before it
// runs, Scan queues the alert later.
func (s *Service) EnqueueAlert(ctx context.Context, a *alert.Alert) error {
	eps, err := s.o.Store.Endpoints(ctx, a.ToOrg)
	if err != nil {
		return err
	}
	var ds []Delivery
	for _, e := range eps {
		if e.Disabled || !wants(e, EventAlert) || a.CreatedAt.Before(e.CreatedAt) {
			continue
		}
		ds = append(ds, s.alertDelivery(e, a))
	}
	if len(ds) == 0 {
		return nil
	}
	if err := s.o.Store.Enqueue(ctx, ds); err != nil {
		return err
	}
	s.Wake()
	return nil
}

func (s *Service) alertDelivery(e Endpoint, a *alert.Alert) Delivery {
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	return Delivery{ID: deliveryID(e.ID, EventAlert, a.ID), EndpointID: e.ID, OrgID: e.OrgID, Event: EventAlert, SubjectID: a.ID,
		CreatedAt: now, NextAt: now, State: Pending}
}

// catchUpAlerts queues the alerts raised to e's organization since the last
// scan; those EnqueueAlert queued already are ignored (same delivery id).
func (s *Service) catchUpAlerts(ctx context.Context, e Endpoint) error {
	at, _, ok, err := s.o.Store.Cursor(ctx, e.ID, "alerts")
	if err != nil {
		return err
	}
	if !ok {
		at = e.CreatedAt
	}
	as, err := s.o.Alerts.Since(ctx, e.OrgID, at)
	if err != nil || len(as) == 0 {
		return err
	}
	var ds []Delivery
	for i := range as {
		ds = append(ds, s.alertDelivery(e, &as[i]))
	}
	if err := s.o.Store.Enqueue(ctx, ds); err != nil {
		return err
	}
	return s.o.Store.SetCursor(ctx, e.ID, "alerts", as[0].CreatedAt, 0) // the newest
}

// Wake makes the worker look at the outbox now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func wants(e Endpoint, ev string) bool {
	for _, x := range e.Events {
		if x == ev {
			return true
		}
	}
	return false
}

// Scan queues the objects added since the last scan for the endpoints that
// want them. It is cheap when nothing was added.
func (s *Service) Scan(ctx context.Context) error {
	st := s.o.Hub.Store()
	v, err := st.ObjectsVersion(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	// Endpoints registered meanwhile, and alerts whose queueing failed, are
	// scanned for at least every 30 s.
	skip := v == s.scanned && s.o.Now().Sub(s.scanAt) < 30*time.Second
	s.mu.Unlock()
	if skip {
		return nil
	}
	eps, err := s.o.Store.Endpoints(ctx, "")
	if err != nil {
		return err
	}
	var all []taxii.Collection
	for _, e := range eps {
		if e.Disabled {
			continue
		}
		if wants(e, EventAlert) {
			if err := s.catchUpAlerts(ctx, e); err != nil {
				return err
			}
		}
		if wants(e, EventObjects) {
			for _, c := range e.Collections {
				if err := s.scan(ctx, e, c, EventObjects); err != nil {
					return err
				}
			}
		}
		if wants(e, EventSightings) {
			if all == nil {
				if all, err = st.ListCollections(ctx); err != nil {
					return err
				}
			}
			for _, c := range all {
				if err := s.scan(ctx, e, c.ID, EventSightings); err != nil {
					return err
				}
			}
		}
	}
	s.mu.Lock()
	s.scanned, s.scanAt = v, s.o.Now()
	s.mu.Unlock()
	return nil
}

func (s *Service) scan(ctx context.Context, e Endpoint, collectionID, event string) error {
	st := s.o.Hub.Store()
	at, seq, ok, err := s.o.Store.Cursor(ctx, e.ID, collectionID+"/"+event)
	if err != nil {
		return err
	}
	if !ok {
		at, seq = e.CreatedAt, 0 // what was added before the endpoint is not news
	}
	q := &taxii.Query{Limit: 500}
	if event == EventSightings {
		q.Types = []string{"sighting"}
	}
	after := &taxii.Position{DateAdded: at, Seq: seq}
	for {
		objs, more, err := st.Objects(ctx, collectionID, q, after, &taxii.Visibility{All: true})
		if errs.Is(err, errs.NotFound) {
			return nil // the collection was deleted
		}
		if err != nil {
			return err
		}
		now := s.o.Now().UTC().Truncate(time.Microsecond)
		var ds []Delivery
		for _, o := range objs {
			if event == EventSightings && (o.SightedOwner != e.OrgID || o.AddedByOrg == e.OrgID) {
				continue
			}
			ds = append(ds, Delivery{ID: deliveryID(e.ID, event, collectionID, o.ID, o.Version.String()), EndpointID: e.ID, OrgID: e.OrgID, Event: event,
				SubjectID: o.ID, CollectionID: collectionID, CreatedAt: now, NextAt: now, State: Pending})
		}
		if len(ds) > 0 {
			if err := s.o.Store.Enqueue(ctx, ds); err != nil {
				return err
			}
		}
		if len(objs) > 0 {
			last := objs[len(objs)-1]
			after = &taxii.Position{DateAdded: last.DateAdded, Seq: last.Seq}
			if err := s.o.Store.SetCursor(ctx, e.ID, collectionID+"/"+event, last.DateAdded, last.Seq); err != nil {
				return err
			}
		}
		if !more || len(objs) == 0 {
			return nil
		}
	}
}

// Notice is what a delivery carries when the content may not leave.
type Notice struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Collection string `json:"collection,omitempty"`
	Marking    string `json:"marking"`
	Link       string `json:"link"`
}

// Payload is the body of a delivery.
type Payload struct {
	DeliveryID string          `json:"delivery_id"`
	Event      string          `json:"event"`
	SentAt     time.Time       `json:"sent_at"`
	Content    string          `json:"content"` // "full" or "notice"
	Alert      *alert.Alert    `json:"alert,omitempty"`
	Object     json.RawMessage `json:"object,omitempty"`
	Notice     *Notice         `json:"notice,omitempty"`
}

// render decides, now, what d may carry to its endpoint's organization:
// nothing (ok false) when it may no longer read the subject; the content
// when sharing.MayLeave allows it to leave to that organization; else a
// notice.
func (s *Service) render(ctx context.Context, e *Endpoint, d *Delivery, now time.Time) ([]byte, bool, error) {
	p := Payload{DeliveryID: d.ID, Event: d.Event, SentAt: now.UTC()}
	dst := sharing.Destination{OrgID: e.OrgID, Community: true} // a member organization's own endpoint
	switch d.Event {
	case EventAlert:
		a, err := s.o.Alerts.Get(ctx, orgReader(e.OrgID), d.SubjectID)
		if errs.Is(err, errs.NotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if a.ToOrg != e.OrgID {
			return nil, false, nil
		}
		if ok, err := s.o.Alerts.AddresseeMaySee(ctx, a); err != nil || !ok {
			return nil, false, err
		}
		it := sharing.Item{Level: a.Level(), Owner: a.FromOrg}
		if sharing.MayLeave(it, dst, func(o string) bool { return o == a.ToOrg }) {
			p.Content, p.Alert = "full", a
		} else {
			p.Content = "notice"
			p.Notice = &Notice{ID: a.ID, Type: "alert", Marking: a.Marking, Link: s.o.BaseURL + "/api/v1/alerts/" + a.ID}
		}
	default:
		c, err := s.o.Hub.Store().Collection(ctx, d.CollectionID)
		if errs.Is(err, errs.NotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		pg, err := s.o.Hub.Object(ctx, orgReader(e.OrgID), d.CollectionID, d.SubjectID, &taxii.Query{})
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		o := pg.Objects[len(pg.Objects)-1]
		it := sharing.Item{Level: sharing.Effective(o.Level, c.Default()), Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients, SightedOwner: o.SightedOwner}
		// The organization reads it: it is one the object was shared with.
		if sharing.MayLeave(it, dst, func(string) bool { return true }) {
			p.Content, p.Object = "full", o.Raw
		} else {
			p.Content = "notice"
			p.Notice = &Notice{ID: o.ID, Type: o.Type, Collection: c.ID, Marking: it.Level.String(),
				Link: s.o.BaseURL + "/taxii2/hub/collections/" + c.ID + "/objects/" + o.ID + "/"}
		}
	}
	b, err := json.Marshal(p)
	return b, true, err
}

func (s *Service) backoff(attempts int) time.Duration {
	d := s.o.Backoff
	for i := 1; i < attempts && d < s.o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.o.MaxBackoff)
}

// excerptMax bounds what is kept of an answer or an error.
const excerptMax = 200

func excerpt(s string) string {
	if len(s) > excerptMax {
		return s[:excerptMax] + "…"
	}
	return s
}

// deliver attempts one claimed delivery and records the outcome.
func (s *Service) deliver(ctx context.Context, d *Delivery) error {
	now := s.o.Now()
	e, err := s.o.Store.Endpoint(ctx, d.EndpointID)
	switch {
	case errs.Is(err, errs.NotFound):
		d.State = Dropped
		return s.o.Store.Finish(ctx, s.o.Owner, d)
	case err != nil:
		return err
	case e.Disabled:
		d.State, d.LastError = Dropped, "the endpoint is disabled"
		return s.o.Store.Finish(ctx, s.o.Owner, d)
	}
	body, ok, err := s.render(ctx, e, d, now)
	if err != nil {
		return err
	}
	if !ok {
		d.State, d.LastError = Withheld, "the organization may no longer read it: nothing was sent"
		return s.o.Store.Finish(ctx, s.o.Owner, d)
	}
	hdr := map[string]string{
		"Content-Type":  "application/json",
		"User-Agent":    "trawl-webhook/1",
		HeaderDelivery:  d.ID,
		HeaderEvent:     d.Event,
		HeaderTimestamp: strconv.FormatInt(now.Unix(), 10),
		HeaderSignature: Sign(e.Secret, now, body),
	}
	status, ex, sendErr := s.o.Sender.Send(ctx, e.URL, hdr, body)
	d.Attempts++
	d.LastStatus = status
	good := sendErr == nil && status >= 200 && status < 300
	if sendErr != nil {
		ex = sendErr.Error()
	}
	d.LastError = excerpt(ex)
	if good {
		d.State, d.LastError = Delivered, ""
	} else {
		d.NextAt = now.Add(s.backoff(d.Attempts)).UTC().Truncate(time.Microsecond)
		s.o.Logger.Warn("webhook delivery failed", "delivery", d.ID, "endpoint", e.ID, "status", status, "attempt", d.Attempts, "retry_at", d.NextAt)
	}
	if err := s.o.Store.RecordAttempt(ctx, e.ID, good, status, d.LastError, now, s.o.DisableAfter); err != nil {
		return err
	}
	return s.o.Store.Finish(ctx, s.o.Owner, d)
}

// RunOnce scans for new objects and sends every delivery that is due; it
// returns how many it attempted or decided. Once an hour it prunes
// deliveries finished more than Retention ago.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	if err := s.Scan(ctx); err != nil {
		return 0, err
	}
	s.mu.Lock()
	prune := s.o.Now().Sub(s.prunedAt) > time.Hour
	if prune {
		s.prunedAt = s.o.Now()
	}
	s.mu.Unlock()
	if prune {
		if _, err := s.o.Store.Prune(ctx, s.o.Now().Add(-Retention)); err != nil {
			return 0, err
		}
	}
	n := 0
	for {
		now := s.o.Now()
		ds, err := s.o.Store.Claim(ctx, s.o.Owner, now, now.Add(s.o.Lease), s.o.Batch)
		if err != nil || len(ds) == 0 {
			return n, err
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, s.o.Workers)
		errc := make(chan error, len(ds))
		for i := range ds {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if err := s.deliver(ctx, &ds[i]); err != nil {
					errc <- err
				}
			}()
		}
		wg.Wait()
		close(errc)
		if err := <-errc; err != nil {
			return n, err
		}
		n += len(ds)
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
}

// Run works the outbox until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.o.Poll)
	defer t.Stop()
	for {
		if _, err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Error("webhook outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}
