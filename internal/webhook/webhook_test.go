package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/webhook"
	"github.com/trawlhq/trawl/internal/webhookclient"
)

// receiver is a real HTTP endpoint on loopback that verifies what it gets.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	bodies []string
	ids    map[string]int // delivery id -> times received
	fail   int            // answer 500 to this many requests first
	status int            // else this (default 200)
	bad    []string       // verification failures
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, ids: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err := webhook.Verify(r.secret, req.Header.Get(webhook.HeaderTimestamp), req.Header.Get(webhook.HeaderSignature), b, time.Now()); err != nil {
			r.bad = append(r.bad, err.Error())
		}
		if r.fail > 0 {
			r.fail--
			http.Error(w, strings.Repeat("overloaded ", 100), 500)
			return
		}
		r.bodies = append(r.bodies, string(b))
		r.ids[req.Header.Get(webhook.HeaderDelivery)]++
		if r.status != 0 {
			w.WriteHeader(r.status)
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		r.t.Fatalf("receiver could not verify: %v", r.bad)
	}
	return append([]string(nil), r.bodies...)
}

// hub is a real store, TAXII service, alert service and outbox.
type hub struct {
	t      *testing.T
	db     *sqlstore.DB
	tx     *taxii.Service
	alerts *alert.Service
	hooks  *webhook.Service
	now    time.Time
	coll   string
}

var (
	fiu      = &identity.Principal{KeyID: "k_fiu", OrgID: "org_fiu", Role: identity.RoleAdmin}
	exchange = &identity.Principal{KeyID: "k_ex", OrgID: "org_ex", Role: identity.RoleAdmin}
)

func newHub(t *testing.T, dir string, o webhook.Options) *hub {
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
	if err != nil {
		t.Fatal(err)
	}
	h := &hub{t: t, db: db, tx: tx, now: time.Now().UTC()}
	o.Store, o.Hub, o.Sender, o.AllowHTTPLoopback, o.BaseURL = db, tx, webhookclient.New(5*time.Second, true), true, "https://hub.example"
	o.Now = func() time.Time { return h.now }
	h.alerts = alert.NewService(alert.Options{Store: db, Sources: tx, Directory: db, OnRaise: func(ctx context.Context, a *alert.Alert) error { return h.hooks.EnqueueAlert(ctx, a) }})
	o.Alerts = h.alerts
	h.hooks = webhook.NewService(o)
	return h
}

// seed makes the FIU, the exchange and a group "asia" of both, and a
// collection of the FIU granted to the exchange.
func (h *hub) seed() {
	ctx := context.Background()
	for _, o := range []struct{ id, name string }{{"org_fiu", "fiu"}, {"org_ex", "exchange"}} {
		if err := h.db.CreateOrg(ctx, &identity.Org{ID: o.id, Name: o.name, Title: o.name, CreatedAt: time.Now()}); err != nil {
			h.t.Fatal(err)
		}
	}
	if err := h.db.CreateGroup(ctx, &sharing.Group{ID: "grp_asia", Name: "asia", OwnerOrgID: "org_fiu", CreatedAt: time.Now(), Members: []string{"org_fiu", "org_ex"}}); err != nil {
		h.t.Fatal(err)
	}
	c, err := h.tx.CreateCollection(ctx, "org_fiu", "shared", "", "shared", "", false)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.tx.Grant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: "org_ex", CanRead: true}); err != nil {
		h.t.Fatal(err)
	}
	h.coll = c.ID
}

const (
	tlpClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	tlpGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	tlpAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	tlpAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	tlpRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

func indicator(n int, name, extra string, marking string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":%q,"pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","object_marking_refs":[%q]%s}`, n, name, n, marking, extra)
}

func indicatorID(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

func (h *hub) add(p *identity.Principal, objs ...string) {
	st, err := h.tx.Add(context.Background(), p, h.coll, []byte(`{"objects":[`+strings.Join(objs, ",")+`]}`))
	if err != nil || st.SuccessCount != len(objs) {
		h.t.Fatalf("add: %+v %v", st, err)
	}
}

func (h *hub) register(p *identity.Principal, r *receiver, events []string, colls ...string) *webhook.Endpoint {
	e, secret, err := h.hooks.Register(context.Background(), p, webhook.Registration{URL: r.srv.URL + "/hook?token=abc", Events: events, Collections: colls})
	if err != nil {
		h.t.Fatal(err)
	}
	r.secret = secret
	return e
}

func (h *hub) run() int {
	n, err := h.hooks.RunOnce(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *hub) raise(to string, src ...string) *alert.Alert {
	a, err := h.alerts.Raise(context.Background(), fiu, alert.Request{To: to, Kind: alert.KindDeposit, Sources: src,
		Subjects: []alert.Subject{{Chain: "btc", Address: "bc1qdeposit", Sats: 1000}}})
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func TestSignedAlertDelivery(t *testing.T) {
	h := newHub(t, t.TempDir(), webhook.Options{})
	h.seed()
	h.add(fiu, indicator(1, "theft", "", tlpAmber))
	r := newReceiver(t)
	h.register(exchange, r, []string{webhook.EventAlert})
	a := h.raise("exchange", indicatorID(1))
	if n := h.run(); n != 1 {
		t.Fatalf("%d deliveries, want 1", n)
	}
	got := r.got()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	var p webhook.Payload
	if err := json.Unmarshal([]byte(got[0]), &p); err != nil {
		t.Fatal(err)
	}
	if p.Content != "full" || p.Alert == nil || p.Alert.ID != a.ID || p.Alert.Marking != "amber" || p.Event != "alert" || p.DeliveryID == "" {
		t.Fatalf("payload: %s", got[0])
	}
	// A tampered body or another secret does not verify.
	ts := fmt.Sprint(h.now.Unix())
	sig := webhook.Sign(r.secret, h.now, []byte(got[0]))
	if webhook.Verify(r.secret, ts, sig, []byte(got[0]+" "), time.Now()) == nil || webhook.Verify("whsec_other", ts, sig, []byte(got[0]), time.Now()) == nil {
		t.Fatal("verification accepts a changed body or another secret")
	}
	if webhook.Verify(r.secret, fmt.Sprint(h.now.Add(-time.Hour).Unix()), webhook.Sign(r.secret, h.now.Add(-time.Hour), []byte(got[0])), []byte(got[0]), time.Now()) == nil {
		t.Fatal("verification accepts an hour-old timestamp")
	}
	if n := h.run(); n != 0 || len(r.got()) != 1 {
		t.Fatal("delivered twice")
	}
}

func TestRetriesBackOffThenDisable(t *testing.T) {
	h := newHub(t, t.TempDir(), webhook.Options{Backoff: time.Minute, MaxBackoff: 3 * time.Minute, DisableAfter: 5})
	h.seed()
	h.add(fiu, indicator(1, "theft", "", tlpAmber))
	r := newReceiver(t)
	r.fail = 2
	e := h.register(exchange, r, []string{webhook.EventAlert})
	h.raise("exchange", indicatorID(1))
	h.run() // 500
	if n := h.run(); n != 0 {
		t.Fatalf("retried before the backoff: %d", n)
	}
	h.now = h.now.Add(59 * time.Second)
	if n := h.run(); n != 0 {
		t.Fatal("retried before a minute")
	}
	h.now = h.now.Add(time.Second)
	h.run() // 500 again; next in 2 min
	h.now = h.now.Add(119 * time.Second)
	if n := h.run(); n != 0 {
		t.Fatal("the second backoff did not double")
	}
	h.now = h.now.Add(time.Second)
	if n := h.run(); n != 1 || len(r.got()) != 1 {
		t.Fatalf("third attempt: %d, received %d", n, len(r.got()))
	}
	_, ds, err := h.hooks.Get(context.Background(), exchange, e.ID)
	if err != nil || len(ds) != 1 || ds[0].State != webhook.Delivered || ds[0].Attempts != 3 {
		t.Fatalf("delivery: %+v %v", ds, err)
	}
	// Always failing: disabled after 5 consecutive failures, and GET says so.
	r.mu.Lock()
	r.fail = 1000
	r.mu.Unlock()
	for i := range 6 {
		h.raise("exchange", indicatorID(1))
		h.now = h.now.Add(time.Hour)
		h.run()
		_ = i
	}
	eps, err := h.hooks.List(context.Background(), exchange)
	if err != nil || len(eps) != 1 || !eps[0].Disabled || eps[0].Failures < 5 || !strings.Contains(eps[0].DisabledReason, "5 consecutive") || eps[0].LastStatus != 500 {
		t.Fatalf("after failures: %+v %v", eps, err)
	}
	if len(eps[0].LastError) > 260 {
		t.Fatalf("kept %d bytes of the answer", len(eps[0].LastError))
	}
	if strings.Contains(eps[0].URL, "secret") || eps[0].Secret == "" {
		t.Fatal("the secret was not kept for signing")
	}
	b, _ := json.Marshal(eps[0])
	if strings.Contains(string(b), r.secret) {
		t.Fatal("the endpoint's JSON shows its secret")
	}
}

func TestRestartResumesTheOutbox(t *testing.T) {
	dir := t.TempDir()
	r := newReceiver(t)
	h := newHub(t, dir, webhook.Options{Owner: "crashed", Lease: time.Minute})
	h.seed()
	h.add(fiu, indicator(1, "theft", "", tlpAmber))
	h.register(exchange, r, []string{webhook.EventAlert})
	a1, a2 := h.raise("exchange", indicatorID(1)), h.raise("exchange", indicatorID(1))
	// A worker claims both, then dies before sending.
	if ds, err := h.db.Claim(context.Background(), "crashed", h.now, h.now.Add(time.Minute), 10); err != nil || len(ds) != 2 {
		t.Fatalf("claim: %v %v", ds, err)
	}
	h.db.Close()

	h2 := newHub(t, dir, webhook.Options{Owner: "restarted"})
	h2.now = h.now
	if n := h2.run(); n != 0 {
		t.Fatal("took deliveries under another worker's lease")
	}
	h2.now = h2.now.Add(61 * time.Second)
	if n := h2.run(); n != 2 {
		t.Fatalf("after the lease: %d deliveries, want 2", n)
	}
	got := strings.Join(r.got(), "\n")
	if !strings.Contains(got, a1.ID) || !strings.Contains(got, a2.ID) {
		t.Fatal("an alert was lost in the restart")
	}
}

// TestMissedAlertsAreCaughtUp: an alert stored without being queued (the
// process stopped in between, or queueing failed) is delivered by a later
// scan, once.
func TestMissedAlertsAreCaughtUp(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, t.TempDir(), webhook.Options{})
	h.seed()
	h.add(fiu, indicator(1, "theft", "", tlpAmber))
	r := newReceiver(t)
	h.register(exchange, r, []string{webhook.EventAlert})
	h.now = h.now.Add(time.Second)
	lost := alert.NewService(alert.Options{Store: h.db, Sources: h.tx, Directory: h.db, Now: func() time.Time { return h.now }}) // no OnRaise
	a, err := lost.Raise(ctx, fiu, alert.Request{To: "exchange", Kind: alert.KindIndicator, Sources: []string{indicatorID(1)}, Subjects: []alert.Subject{{Chain: "btc", Address: "bc1q"}}})
	if err != nil {
		t.Fatal(err)
	}
	queued := h.raise("exchange", indicatorID(1)) // queued at once as well
	h.now = h.now.Add(31 * time.Second)
	h.run()
	got := r2s(r.got())
	if strings.Count(got, a.ID) != 1 || strings.Count(got, queued.ID) != 1 {
		t.Fatalf("after the catch-up: %s", got)
	}
	h.now = h.now.Add(time.Minute)
	h.run()
	if len(r.got()) != 2 {
		t.Fatal("delivered again")
	}
}

func TestRemovedMemberGetsNothing(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, t.TempDir(), webhook.Options{})
	h.seed()
	r := newReceiver(t)
	h.register(exchange, r, []string{webhook.EventObjects, webhook.EventAlert}, h.coll)
	h.add(fiu, indicator(1, "group-only", `,"x_trawl_sharing_group":"asia"`, tlpGreen))
	a := h.raise("exchange", indicatorID(1))
	if err := h.hooks.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	// Queued: an alert and an object. The exchange leaves the group.
	if err := h.db.RemoveMember(ctx, "grp_asia", "org_ex"); err != nil {
		t.Fatal(err)
	}
	if n := h.run(); n != 2 {
		t.Fatalf("%d deliveries decided, want 2", n)
	}
	if got := r.got(); len(got) != 0 {
		t.Fatalf("a removed member received %v", got)
	}
	eps, _ := h.hooks.List(ctx, exchange)
	_, ds, _ := h.hooks.Get(ctx, exchange, eps[0].ID)
	for _, d := range ds {
		if d.State != webhook.Withheld {
			t.Fatalf("delivery %+v, want withheld", d)
		}
	}
	// Back in the group: new events flow again; the withheld ones stay withheld.
	h.db.AddMember(ctx, "grp_asia", "org_ex")
	h.add(fiu, indicator(2, "group-only 2", `,"x_trawl_sharing_group":"asia"`, tlpGreen))
	h.run()
	if got := r.got(); len(got) != 1 || !strings.Contains(got[0], indicatorID(2)) || strings.Contains(got[0], a.ID) {
		t.Fatalf("after rejoining: %v", got)
	}
}

// TestStrictAndRedNeverLeave: new objects of every TLP level reach the
// endpoints of the organizations that may read them; AMBER+STRICT and RED
// content appears in no body, only in notices.
func TestStrictAndRedNeverLeave(t *testing.T) {
	h := newHub(t, t.TempDir(), webhook.Options{})
	h.seed()
	rEx, rFIU := newReceiver(t), newReceiver(t)
	h.register(exchange, rEx, []string{webhook.EventObjects}, h.coll)
	h.register(fiu, rFIU, []string{webhook.EventObjects}, h.coll)
	h.add(fiu,
		indicator(1, "clear-content", "", tlpClear),
		indicator(2, "green-content", "", tlpGreen),
		indicator(3, "amber-content", "", tlpAmber),
		indicator(4, "strict-content", "", tlpAmberStrict),
		indicator(5, "red-content", `,"x_trawl_recipients":["org:exchange"]`, tlpRed),
	)
	h.run()
	ex, own := r2s(rEx.got()), r2s(rFIU.got())
	for _, secret := range []string{"strict-content", "red-content"} {
		if strings.Contains(ex, secret) || strings.Contains(own, secret) {
			t.Fatalf("%s left the hub", secret)
		}
	}
	for _, c := range []string{"clear-content", "green-content", "amber-content"} {
		if !strings.Contains(ex, c) || !strings.Contains(own, c) {
			t.Fatalf("%s did not reach both", c)
		}
	}
	// Notices: the exchange of the RED object it is named on; the FIU of both.
	if !strings.Contains(ex, `"id":"`+indicatorID(5)+`","type":"indicator","collection":"`+h.coll+`","marking":"red","link":"https://hub.example/taxii2/hub/collections/`) {
		t.Fatalf("no RED notice to the exchange: %s", ex)
	}
	if strings.Contains(ex, indicatorID(4)) {
		t.Fatal("the exchange heard of an AMBER+STRICT object it may not read")
	}
	if strings.Count(own, `"content":"notice"`) != 2 || strings.Count(ex, `"content":"notice"`) != 1 || len(rEx.got()) != 4 || len(rFIU.got()) != 5 {
		t.Fatalf("exchange %d bodies, fiu %d", len(rEx.got()), len(rFIU.got()))
	}
}

// TestSightingsOfOwnObjects: the FIU hears of the sightings partners
// report of its indicators, in any collection it may read; a sighting's
// reporter does not hear of its own.
func TestSightingsOfOwnObjects(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, t.TempDir(), webhook.Options{})
	h.seed()
	if err := h.tx.Grant(ctx, taxii.Grant{CollectionID: h.coll, OrgID: "org_ex", CanRead: true, CanWrite: true}); err != nil {
		t.Fatal(err)
	}
	rFIU, rEx := newReceiver(t), newReceiver(t)
	h.register(fiu, rFIU, []string{webhook.EventSightings})
	h.register(exchange, rEx, []string{webhook.EventSightings})
	h.add(fiu, indicator(1, "theft", "", tlpAmber))
	sighting := func(n int, marking string) string {
		return fmt.Sprintf(`{"type":"sighting","spec_version":"2.1","id":"sighting--00000000-0000-4000-8000-%012d","created":"2025-02-22T00:00:00.000Z","modified":"2025-02-22T00:00:00.000Z","sighting_of_ref":%q,"count":3,"object_marking_refs":[%q]}`, n, indicatorID(1), marking)
	}
	h.add(exchange, sighting(11, tlpAmber), sighting(12, tlpAmberStrict))
	h.run()
	fiuGot := r2s(rFIU.got())
	if !strings.Contains(fiuGot, `"sighting_of_ref":"`+indicatorID(1)+`"`) || !strings.Contains(fiuGot, "sighting--00000000-0000-4000-8000-000000000011") {
		t.Fatalf("the FIU did not hear of the sighting: %s", fiuGot)
	}
	// The AMBER+STRICT sighting is the exchange's own; the FIU, which may read
	// sightings of what it shared, gets only a notice of it.
	if strings.Count(fiuGot, `"content":"notice"`) != 1 || strings.Count(fiuGot, `"count":3`) != 1 {
		t.Fatalf("FIU bodies: %s", fiuGot)
	}
	if got := rEx.got(); len(got) != 0 {
		t.Fatalf("the reporter heard of its own sightings: %v", got)
	}
}

func r2s(bs []string) string { return strings.Join(bs, "\n") }

func TestRegistrationIsValidated(t *testing.T) {
	ctx := context.Background()
	h := newHub(t, t.TempDir(), webhook.Options{})
	h.seed()
	reader := &identity.Principal{KeyID: "k", OrgID: "org_ex", Role: identity.RoleReader}
	for _, c := range []struct {
		p    *identity.Principal
		r    webhook.Registration
		code errs.Code
		msg  string
	}{
		{reader, webhook.Registration{URL: "https://x.example/h", Events: []string{"alert"}}, errs.Forbidden, "admin key"},
		{exchange, webhook.Registration{URL: "http://x.example/h", Events: []string{"alert"}}, errs.Invalid, "only to a loopback"},
		{exchange, webhook.Registration{URL: "https://u:p@x.example/h", Events: []string{"alert"}}, errs.Invalid, "no user or password"},
		{exchange, webhook.Registration{URL: "ftp://x.example/h", Events: []string{"alert"}}, errs.Invalid, "https"},
		{exchange, webhook.Registration{URL: "https://x.example/h"}, errs.Invalid, "at least one"},
		{exchange, webhook.Registration{URL: "https://x.example/h", Events: []string{"everything"}}, errs.Invalid, "not one of"},
		{exchange, webhook.Registration{URL: "https://x.example/h", Events: []string{"objects"}}, errs.Invalid, "collections"},
		{exchange, webhook.Registration{URL: "https://x.example/h", Events: []string{"objects"}, Collections: []string{"nope"}}, errs.NotFound, "no collection"},
	} {
		_, _, err := h.hooks.Register(ctx, c.p, c.r)
		if !errs.Is(err, c.code) || !strings.Contains(errs.MessageOf(err), c.msg) {
			t.Errorf("%+v: %v, want %s %q", c.r, err, c.code, c.msg)
		}
	}
	if err := webhook.ValidateURL("http://127.0.0.1:9/h", false); err == nil {
		t.Error("plain http accepted without the loopback flag")
	}
	e, secret, err := h.hooks.Register(ctx, exchange, webhook.Registration{URL: "https://x.example/h", Events: []string{"alert", "sightings"}})
	if err != nil || !strings.HasPrefix(secret, "whsec_") || len(secret) < 60 {
		t.Fatalf("register: %v %q", err, secret)
	}
	if _, _, err := h.hooks.Get(ctx, fiu, e.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another org reads the webhook: %v", err)
	}
	if err := h.hooks.Delete(ctx, fiu, e.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another org deletes the webhook: %v", err)
	}
	if err := h.hooks.Delete(ctx, exchange, e.ID); err != nil {
		t.Fatal(err)
	}
}
