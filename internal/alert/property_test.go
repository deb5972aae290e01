package alert_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
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

// world is a hub with random organizations, sharing groups, collections
// (owners, defaults, grants, group restrictions) and objects (levels, group
// restrictions, recipients), kept twice: in a real store behind the real
// taxii.Service, and as a model the test decides with sharing.CanRead.
type world struct {
	t      *testing.T
	rng    *rand.Rand
	db     *sqlstore.DB
	hub    *taxii.Service
	alerts *alert.Service
	hooks  *webhook.Service
	inbox  map[string]*inbox // org -> what its webhook received
	orgs   []string
	groups map[string]map[string]bool // group -> members
	colls  []coll
	objs   []object
}

type coll struct {
	id, owner, group string
	def              sharing.Level
	grants           map[string]bool
}

type object struct {
	id   string
	coll int
	it   sharing.Item
}

func newWorld(t *testing.T, rng *rand.Rand, n int) *world {
	ctx := context.Background()
	db, err := sqlitestore.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hub, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, rng: rng, db: db, hub: hub, groups: map[string]map[string]bool{}}
	w.alerts = alert.NewService(alert.Options{Store: db, Sources: hub, Directory: db,
		OnRaise: func(ctx context.Context, a *alert.Alert) error { return w.hooks.EnqueueAlert(ctx, a) }})
	w.hooks = webhook.NewService(webhook.Options{Store: db, Hub: hub, Alerts: w.alerts, Sender: webhookclient.New(5*time.Second, true), AllowHTTPLoopback: true})
	w.inbox = map[string]*inbox{}
	for i := range 4 {
		id := fmt.Sprintf("org_%d", i)
		if err := db.CreateOrg(ctx, &identity.Org{ID: id, Name: fmt.Sprintf("org-%d", i), Title: id, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		w.orgs = append(w.orgs, id)
		in := &inbox{}
		srv := httptest.NewServer(in)
		t.Cleanup(srv.Close)
		if _, _, err := w.hooks.Register(ctx, &identity.Principal{KeyID: "k", OrgID: id, Role: identity.RoleAdmin}, webhook.Registration{URL: srv.URL, Events: []string{webhook.EventAlert}}); err != nil {
			t.Fatal(err)
		}
		w.inbox[id] = in
	}
	for g := range 3 {
		grp := &sharing.Group{ID: fmt.Sprintf("grp_%d", g), Name: fmt.Sprintf("group-%d", g), OwnerOrgID: w.orgs[0], CreatedAt: time.Now()}
		w.groups[grp.ID] = map[string]bool{}
		for _, o := range w.orgs {
			if g > 0 && rng.IntN(2) == 0 { // group 0 stays empty
				grp.Members = append(grp.Members, o)
				w.groups[grp.ID][o] = true
			}
		}
		if err := db.CreateGroup(ctx, grp); err != nil {
			t.Fatal(err)
		}
	}
	for c := range 3 {
		cl := coll{id: fmt.Sprintf("00000000-0000-4000-8000-%012d", n*10+c), owner: w.orgs[rng.IntN(4)], def: sharing.Level(rng.IntN(6) - 1), grants: map[string]bool{}}
		dtlp := ""
		if cl.def != sharing.Unmarked {
			dtlp = cl.def.String()
		}
		if rng.IntN(4) == 0 {
			cl.group = fmt.Sprintf("grp_%d", rng.IntN(3))
		}
		if err := db.CreateCollection(ctx, &taxii.Collection{ID: cl.id, Title: "c", OwnerOrgID: cl.owner, DefaultTLP: dtlp, ShareGroup: cl.group, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for _, o := range w.orgs {
			if o != cl.owner && rng.IntN(3) > 0 {
				cl.grants[o] = true
				if err := db.SetGrant(ctx, taxii.Grant{CollectionID: cl.id, OrgID: o, CanRead: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
		w.colls = append(w.colls, cl)
	}
	for i := range 12 {
		ci := rng.IntN(len(w.colls))
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n*100+i)
		o := taxii.NewObject{ID: id, Type: "indicator", SpecVersion: "2.1", Version: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Level: sharing.Level(rng.IntN(6) - 1)}
		o.Raw, _ = json.Marshal(map[string]any{"type": "indicator", "id": id, "spec_version": "2.1"})
		if rng.IntN(3) == 0 {
			o.Group = fmt.Sprintf("grp_%d", rng.IntN(3))
		}
		for range rng.IntN(3) {
			if rng.IntN(2) == 0 {
				o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientOrg, ID: w.orgs[rng.IntN(4)]})
			} else {
				o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientGroup, ID: fmt.Sprintf("grp_%d", rng.IntN(3))})
			}
		}
		owner := w.orgs[rng.IntN(4)]
		if _, _, err := db.AddObjects(ctx, w.colls[ci].id, owner, []taxii.NewObject{o}); err != nil {
			t.Fatal(err)
		}
		w.objs = append(w.objs, object{id: id, coll: ci, it: sharing.Item{Level: sharing.Effective(o.Level, w.colls[ci].def), Owner: owner, Group: o.Group, Recipients: o.Recipients}})
	}
	return w
}

// reads is the model: may org read object k now? It may read the
// collection (owner, or a grant, inside the collection's sharing group) and
// sharing.CanRead allows it, as the organization (no user).
func (w *world) reads(org string, k int) bool {
	o := w.objs[k]
	c := w.colls[o.coll]
	inColl := org == c.owner || (c.grants[org] && (c.group == "" || w.groups[c.group][org]))
	r := sharing.Reader{OrgID: org, Groups: map[string]bool{}}
	for g, m := range w.groups {
		if m[org] {
			r.Groups[g] = true
		}
	}
	return inColl && sharing.CanRead(r, o.it)
}

func (w *world) readsAll(org string, ks []int) bool {
	for _, k := range ks {
		if !w.reads(org, k) {
			return false
		}
	}
	return true
}

// toggle removes a random member from a random group, or adds one.
func (w *world) toggle() {
	ctx := context.Background()
	g := fmt.Sprintf("grp_%d", 1+w.rng.IntN(2))
	o := w.orgs[w.rng.IntN(len(w.orgs))]
	if w.groups[g][o] {
		if err := w.db.RemoveMember(ctx, g, o); err != nil {
			w.t.Fatal(err)
		}
		delete(w.groups[g], o)
	} else {
		if err := w.db.AddMember(ctx, g, o); err != nil {
			w.t.Fatal(err)
		}
		w.groups[g][o] = true
	}
}

// inbox is an organization's webhook receiver.
type inbox struct {
	mu     sync.Mutex
	bodies []string
}

func (in *inbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	in.mu.Lock()
	in.bodies = append(in.bodies, string(b))
	in.mu.Unlock()
}

func (in *inbox) take() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	b := in.bodies
	in.bodies = nil
	return b
}

func analyst(org string) *identity.Principal {
	return &identity.Principal{KeyID: "key_" + org, OrgID: org, Role: identity.RoleAnalyst}
}

type raised struct {
	a   *alert.Alert
	src []int
}

// TestNoAlertReachesWhoCannotReadItsSources raises random alerts from
// random raisers to random addressees about random sources with random
// markings, changes group membership between them, and checks every
// decision of the real service (on SQLite, through the real taxii.Service)
// against the model: an alert is raised only when raiser and addressee
// may read every source, its marking is never wider than a source's, and
// it is visible to the raiser always and to the addressee only while it
// may still read every source; to everyone else it does not exist. Every
// organization has a webhook for alerts (a real receiver on loopback): the
// outbox, run after membership changes, delivers each queued alert only to
// an addressee that may still read every source.
func TestNoAlertReachesWhoCannotReadItsSources(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(4, 2026))
	cases, decisions, webhookCases := 0, 0, 0
	branch := map[string]int{}
	const worlds, perWorld = 40, 260
	for n := range worlds {
		w := newWorld(t, rng, n)
		var all, queued []raised
		// deliver runs the outbox and checks, for every alert queued since
		// the last run, that its addressee's webhook got it if and only if
		// the addressee may read every source now, with content only when
		// its marking may leave (never AMBER+STRICT or RED), and that no
		// other organization got anything.
		deliver := func() {
			if _, err := w.hooks.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for org, in := range w.inbox {
				for _, b := range in.take() {
					var p webhook.Payload
					if err := json.Unmarshal([]byte(b), &p); err != nil {
						t.Fatal(err)
					}
					id := ""
					if p.Alert != nil {
						id = p.Alert.ID
					} else if p.Notice != nil {
						id = p.Notice.ID
					}
					got[id+" "+org] = b
				}
			}
			for _, r := range queued {
				decisions++
				b, ok := got[r.a.ID+" "+r.a.ToOrg]
				delete(got, r.a.ID+" "+r.a.ToOrg)
				want := w.readsAll(r.a.ToOrg, r.src)
				if ok != want {
					t.Fatalf("world %d: webhook of %s got alert %s = %v, model says %v", n, r.a.ToOrg, r.a.ID, ok, want)
				}
				if ok && strings.Contains(b, r.a.Note) != (r.a.Level() <= sharing.Amber) {
					t.Fatalf("world %d: a %s alert's content in a webhook: %s", n, r.a.Marking, b)
				}
			}
			if len(got) > 0 {
				t.Fatalf("world %d: deliveries nobody expected: %v", n, got)
			}
			queued = nil
			webhookCases++
		}
		for c := range perWorld {
			if c%20 == 19 {
				deliver()
			}
			cases++
			from, to := w.orgs[rng.IntN(4)], w.orgs[rng.IntN(4)]
			var src []int
			var ids []string
			for _, k := range rng.Perm(len(w.objs))[:1+rng.IntN(3)] {
				src = append(src, k)
				ids = append(ids, w.objs[k].id)
			}
			marking := ""
			if rng.IntN(2) == 0 {
				marking = sharing.Level(rng.IntN(5)).String()
			}
			floor := sharing.Clear
			for _, k := range src {
				floor = max(floor, w.objs[k].it.Level)
			}
			a, err := w.alerts.Raise(ctx, analyst(from), alert.Request{To: to, Kind: alert.KindIndicator, Sources: ids, Marking: marking,
				Subjects: []alert.Subject{{Chain: "btc", Address: "bc1qsubject"}}, Note: fmt.Sprintf("note-%d-%d", n, cases)})
			raiserReads, addresseeReads := w.readsAll(from, src), w.readsAll(to, src)
			wantedMarking, _ := sharing.ParseLevel(marking)
			if from != to {
				branch[fmt.Sprint(raiserReads, addresseeReads, err == nil)]++
			}
			switch {
			case from == to:
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("world %d: an alert of %s to itself: %v", n, from, err)
				}
			case !raiserReads:
				if !errs.Is(err, errs.NotFound) {
					t.Fatalf("world %d: %s raised from sources %v it may not read: %v %+v", n, from, ids, err, a)
				}
			case !addresseeReads:
				if !errs.Is(err, errs.Forbidden) {
					t.Fatalf("world %d: alert to %s who may not read %v: %v %+v", n, to, ids, err, a)
				}
			case marking != "" && wantedMarking < floor:
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("world %d: marking %s wider than the sources' %s accepted: %v", n, marking, floor, err)
				}
			default:
				if err != nil {
					t.Fatalf("world %d: %s -> %s about %v (%s): %v", n, from, to, ids, marking, err)
				}
				if a.Level() < floor {
					t.Fatalf("world %d: alert marked %s, wider than its sources' %s", n, a.Marking, floor)
				}
				all = append(all, raised{a, src})
				queued = append(queued, raised{a, src})
			}
			if rng.IntN(4) == 0 {
				w.toggle() // membership changes take effect at once, for alerts already raised too
			}
			// Every organization's view of a random earlier alert, and of its list.
			if len(all) == 0 {
				continue
			}
			r := all[rng.IntN(len(all))]
			for _, org := range []string{w.orgs[rng.IntN(len(w.orgs))]} {
				decisions++
				want := org == r.a.FromOrg || (org == r.a.ToOrg && w.readsAll(org, r.src))
				got, err := w.alerts.Get(ctx, analyst(org), r.a.ID)
				if want != (err == nil) || (err != nil && !errs.Is(err, errs.NotFound)) {
					t.Fatalf("world %d: %s reading alert %s->%s (sources %v): got %v, %v; want visible=%v", n, org, r.a.FromOrg, r.a.ToOrg, r.src, got != nil, err, want)
				}
			}
		}
		deliver()
		// Lists agree with Get for every organization.
		for _, org := range w.orgs {
			var want, got []string
			for _, r := range all {
				if org == r.a.FromOrg || (org == r.a.ToOrg && w.readsAll(org, r.src)) {
					want = append(want, r.a.ID)
				}
			}
			f := alert.Filter{Limit: 37}
			for {
				as, more, err := w.alerts.List(ctx, analyst(org), f)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range as {
					got = append(got, a.ID)
				}
				if !more {
					break
				}
				f.Before, f.BeforeID = as[len(as)-1].CreatedAt, as[len(as)-1].ID
			}
			sort.Strings(want)
			sort.Strings(got)
			if fmt.Sprint(want) != fmt.Sprint(got) {
				t.Fatalf("world %d: %s lists %d alerts, the model %d", n, org, len(got), len(want))
			}
			decisions += len(all)
		}
	}
	// Every kind of outcome happened, so that the test can fail.
	for _, b := range []string{"false false false", "false true false", "true false false", "true true true"} {
		if branch[b] == 0 {
			t.Errorf("no case with (raiser reads, addressee reads, raised) = %s: %v", b, branch)
		}
	}
	if cases < 10000 {
		t.Fatalf("only %d cases", cases)
	}
	t.Logf("%d raise attempts %v, %d visibility and delivery decisions (%d outbox runs) agree with the model", cases, branch, decisions, webhookCases)
}
