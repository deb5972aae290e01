package storetest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/webhook"
	"github.com/trawlhq/trawl/internal/webhookclient"
)

func webhookTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"WebhookOutboxLeases", testOutboxLeases},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"WebhookTwoWorkersDeliverOnce", testTwoWorkers},
		{"FederationCursors", testFederationCursors},
	}
}

func pending(n int, ep string, at time.Time) []webhook.Delivery {
	var ds []webhook.Delivery
	for i := range n {
		ds = append(ds, webhook.Delivery{ID: fmt.Sprintf("whd_%04d", i), EndpointID: ep, OrgID: "org_a", Event: "alert", SubjectID: "alert--x", CreatedAt: at, NextAt: at, State: webhook.Pending})
	}
	return ds
}

// testOutboxLeases: concurrent claimers on separate connections never
// claim one row twice; a lease keeps others off until it expires; the
// holder of an expired lease cannot finish a row another worker took.
func testOutboxLeases(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	a, b := open(t, h, loc), open(t, h, loc)
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := a.Enqueue(ctx, pending(60, "wh_1", now)); err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue(ctx, pending(60, "wh_1", now)); err != nil { // the same ids: ignored
		t.Fatal(err)
	}
	var mu sync.Mutex
	claimed := map[string]string{}
	var wg sync.WaitGroup
	for w, db := range map[string]interface {
		Claim(context.Context, string, time.Time, time.Time, int) ([]webhook.Delivery, error)
		Finish(context.Context, string, *webhook.Delivery) error
	}{"A": a, "B": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				ds, err := db.Claim(ctx, w, now, now.Add(time.Minute), 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				for i := range ds {
					mu.Lock()
					if prev, ok := claimed[ds[i].ID]; ok {
						t.Errorf("%s claimed by %s and %s", ds[i].ID, prev, w)
					}
					claimed[ds[i].ID] = w
					mu.Unlock()
					ds[i].State = webhook.Delivered
					if err := db.Finish(ctx, w, &ds[i]); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != 60 {
		t.Fatalf("%d of 60 claimed", len(claimed))
	}
	// Leases.
	if err := a.Enqueue(ctx, []webhook.Delivery{{ID: "whd_lease", EndpointID: "wh_1", OrgID: "org_a", Event: "alert", SubjectID: "x", CreatedAt: now, NextAt: now, State: webhook.Pending}}); err != nil {
		t.Fatal(err)
	}
	got, _ := a.Claim(ctx, "A", now, now.Add(time.Minute), 10)
	if len(got) != 1 {
		t.Fatalf("claim: %v", got)
	}
	if got, _ := b.Claim(ctx, "B", now.Add(59*time.Second), now.Add(2*time.Minute), 10); len(got) != 0 {
		t.Fatal("claimed under a live lease")
	}
	took, _ := b.Claim(ctx, "B", now.Add(time.Minute), now.Add(2*time.Minute), 10)
	if len(took) != 1 {
		t.Fatal("an expired lease was not taken over")
	}
	got[0].State = webhook.Delivered
	wantCode(t, a.Finish(ctx, "A", &got[0]), errs.Conflict)
	// A retry later is claimed only when due.
	took[0].Attempts, took[0].NextAt, took[0].LastStatus, took[0].LastError = 1, now.Add(time.Hour), 500, "boom"
	if err := b.Finish(ctx, "B", &took[0]); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Claim(ctx, "A", now.Add(59*time.Minute), now.Add(time.Hour), 10); len(got) != 0 {
		t.Fatal("claimed before next_at")
	}
	if got, _ := a.Claim(ctx, "A", now.Add(time.Hour), now.Add(2*time.Hour), 10); len(got) != 1 || got[0].Attempts != 1 || got[0].LastStatus != 500 || got[0].LastError != "boom" {
		t.Fatalf("retry: %+v", got)
	}
}

func testWebhookEndpoints(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	e := &webhook.Endpoint{ID: "wh_1", OrgID: "org_a", URL: "https://a.example/h", Events: []string{"alert"}, Secret: "whsec_1", CreatedAt: at, CreatedBy: "k"}
	if err := db.CreateEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateEndpoint(ctx, e), errs.Conflict)
	db.CreateEndpoint(ctx, &webhook.Endpoint{ID: "wh_2", OrgID: "org_b", URL: "https://b.example/h", Events: []string{"alert"}, Secret: "whsec_2", CreatedAt: at})
	if eps, _ := db.Endpoints(ctx, "org_a"); len(eps) != 1 || eps[0].Secret != "whsec_1" || eps[0].URL != e.URL {
		t.Fatalf("endpoints of org_a: %+v", eps)
	}
	if eps, _ := db.Endpoints(ctx, ""); len(eps) != 2 {
		t.Fatalf("all endpoints: %d", len(eps))
	}
	for i := range 3 {
		if err := db.RecordAttempt(ctx, "wh_1", false, 503, fmt.Sprint("fail ", i), at, 3); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := db.Endpoint(ctx, "wh_1")
	if !got.Disabled || got.Failures != 3 || got.LastStatus != 503 || got.DisabledReason == "" || got.LastAttempt == nil {
		t.Fatalf("after 3 failures: %+v", got.Health)
	}
	db.RecordAttempt(ctx, "wh_2", false, 500, "x", at, 3)
	db.RecordAttempt(ctx, "wh_2", true, 200, "", at, 3)
	if got, _ := db.Endpoint(ctx, "wh_2"); got.Failures != 0 || got.Disabled {
		t.Fatalf("a success does not reset: %+v", got.Health)
	}
	// Cursors.
	if _, _, ok, err := db.Cursor(ctx, "wh_1", "c/objects"); ok || err != nil {
		t.Fatal("a cursor before any was set")
	}
	db.SetCursor(ctx, "wh_1", "c/objects", at, 5)
	db.SetCursor(ctx, "wh_1", "c/objects", at.Add(time.Second), 9)
	if a, s, ok, _ := db.Cursor(ctx, "wh_1", "c/objects"); !ok || s != 9 || !a.Equal(at.Add(time.Second)) {
		t.Fatalf("cursor: %v %d %v", a, s, ok)
	}
	// Deleting drops what was queued.
	db.Enqueue(ctx, pending(3, "wh_1", at))
	if err := db.DeleteEndpoint(ctx, "wh_1"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.DeleteEndpoint(ctx, "wh_1"), errs.NotFound)
	if ds, _ := db.Claim(ctx, "A", at.Add(time.Hour), at.Add(2*time.Hour), 10); len(ds) != 0 {
		t.Fatalf("deliveries of a deleted endpoint were claimed: %d", len(ds))
	}
	if ds, _ := db.Deliveries(ctx, "wh_1", 10); len(ds) != 3 || ds[0].State != webhook.Dropped {
		t.Fatalf("deliveries after delete: %+v", ds)
	}
	// Pruning keeps what is pending and what is recent.
	db.Enqueue(ctx, []webhook.Delivery{{ID: "whd_pending_old", EndpointID: "wh_2", OrgID: "org_b", Event: "alert", SubjectID: "x", CreatedAt: at, NextAt: at, State: webhook.Pending}})
	db.Enqueue(ctx, []webhook.Delivery{{ID: "whd_new", EndpointID: "wh_1", OrgID: "org_a", Event: "alert", SubjectID: "x", CreatedAt: at.Add(48 * time.Hour), NextAt: at, State: webhook.Pending}})
	db.SQL().ExecContext(ctx, `UPDATE webhook_outbox SET state = 'delivered' WHERE id = 'whd_new'`)
	if n, err := db.Prune(ctx, at.Add(time.Hour)); err != nil || n != 3 {
		t.Fatalf("pruned %d, %v; want the 3 dropped ones", n, err)
	}
	if ds, _ := db.Deliveries(ctx, "wh_2", 10); len(ds) != 1 {
		t.Fatalf("a pending delivery was pruned: %+v", ds)
	}
	if ds, _ := db.Deliveries(ctx, "wh_1", 10); len(ds) != 1 || ds[0].ID != "whd_new" {
		t.Fatalf("a recent delivery was pruned: %+v", ds)
	}
}

// testTwoWorkers: two outbox workers (as two replicas) on one database,
// each with its own connection, deliver every alert exactly once.
func testTwoWorkers(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		seen[r.Header.Get(webhook.HeaderDelivery)]++
		mu.Unlock()
	}))
	defer srv.Close()
	var services []*webhook.Service
	var raiser *alert.Service
	for i := range 2 {
		db := open(t, h, loc)
		hub, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
		if err != nil {
			t.Fatal(err)
		}
		var hooks *webhook.Service
		al := alert.NewService(alert.Options{Store: db, Sources: hub, Directory: db, OnRaise: func(ctx context.Context, a *alert.Alert) error { return hooks.EnqueueAlert(ctx, a) }})
		hooks = webhook.NewService(webhook.Options{Store: db, Hub: hub, Alerts: al, Sender: webhookclient.New(5*time.Second, true), AllowHTTPLoopback: true, Owner: fmt.Sprint("replica-", i), Batch: 5, Workers: 2})
		services = append(services, hooks)
		if i == 0 {
			raiser = al
			seedOrg(t, db, "org_fiu", "fiu")
			seedOrg(t, db, "org_ex", "exchange")
			c, err := hub.CreateCollection(ctx, "org_fiu", "c", "", "", "", false)
			if err != nil {
				t.Fatal(err)
			}
			hub.Grant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: "org_ex", CanRead: true})
			fiu := &identity.Principal{KeyID: "k", OrgID: "org_fiu", Role: identity.RoleAnalyst}
			if _, err := hub.Add(ctx, fiu, c.ID, []byte(`{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.1']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z"}]}`)); err != nil {
				t.Fatal(err)
			}
			if _, _, err := hooks.Register(ctx, &identity.Principal{KeyID: "k2", OrgID: "org_ex", Role: identity.RoleAdmin}, webhook.Registration{URL: srv.URL, Events: []string{"alert"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	fiu := &identity.Principal{KeyID: "k", OrgID: "org_fiu", Role: identity.RoleAnalyst}
	const alerts = 40
	for range alerts {
		if _, err := raiser.Raise(ctx, fiu, alert.Request{To: "exchange", Kind: alert.KindDeposit, Sources: []string{"indicator--00000000-0000-4000-8000-000000000001"},
			Subjects: []alert.Subject{{Chain: "btc", Address: "bc1q"}}}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, s := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 { // until both find nothing due
				n, err := s.RunOnce(ctx)
				if err != nil {
					t.Error(err)
				}
				counts[i] += n
			}
		}()
	}
	wg.Wait()
	if len(seen) != alerts {
		t.Fatalf("%d distinct deliveries received, want %d", len(seen), alerts)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %s received %d times", id, n)
		}
	}
	t.Logf("replica 0 sent %d, replica 1 sent %d", counts[0], counts[1])
}

func testFederationCursors(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	if pos, n, err := db.FederationCursor(ctx, "https://b.example/taxii2/hub/ c1", "coll"); pos != nil || n != 0 || err != nil {
		t.Fatalf("before any push: %v %d %v", pos, n, err)
	}
	at := time.Date(2025, 3, 1, 0, 0, 0, 123000, time.UTC)
	db.SetFederationCursor(ctx, "peer", "coll", taxii.Position{DateAdded: at, Seq: 7}, 10)
	db.SetFederationCursor(ctx, "peer", "coll", taxii.Position{DateAdded: at.Add(time.Second), Seq: 9}, 12)
	db.SetFederationCursor(ctx, "other", "coll", taxii.Position{DateAdded: at, Seq: 1}, 1)
	pos, n, err := db.FederationCursor(ctx, "peer", "coll")
	if err != nil || n != 12 || pos.Seq != 9 || !pos.DateAdded.Equal(at.Add(time.Second)) {
		t.Fatalf("cursor: %+v %d %v", pos, n, err)
	}
}
