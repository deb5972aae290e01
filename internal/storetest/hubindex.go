package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/taxii"
)

func hubIndexTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"ScreeningHubIndexIncremental", testHubIndexIncremental},
		{"ScreeningHubIndexConcurrentRemark", testHubIndexConcurrentRemark},
	}
}

// hubWorld is a small hub: three organizations, two collections, one
// sharing group, and a pool of wallet addresses that objects share.
type hubWorld struct {
	t     *testing.T
	db    *sqlstore.DB
	colls []*taxii.Collection
	addrs []string
	live  map[string]string // object id → collection id, of objects with a version left
	clock time.Time
}

var hubOrgs = []string{"org_a", "org_b", "org_c"}

func newHubWorld(t *testing.T, db *sqlstore.DB) *hubWorld {
	ctx := context.Background()
	w := &hubWorld{t: t, db: db, live: map[string]string{}, clock: time.Date(2025, 2, 21, 0, 0, 0, 0, time.UTC)}
	for i, o := range hubOrgs {
		seedOrg(t, db, o, []string{"alpha", "beta", "gamma"}[i])
	}
	for i, spec := range []struct{ owner, def string }{{"org_a", "amber"}, {"org_b", ""}} {
		c := &taxii.Collection{ID: fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", i+1), Title: "c", OwnerOrgID: spec.owner, DefaultTLP: spec.def, CreatedAt: time.Now()}
		if err := db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		w.colls = append(w.colls, c)
	}
	must(t, db.SetGrant(ctx, taxii.Grant{CollectionID: w.colls[0].ID, OrgID: "org_b", CanRead: true, CanWrite: true}))
	must(t, db.SetGrant(ctx, taxii.Grant{CollectionID: w.colls[1].ID, OrgID: "org_a", CanRead: true, CanWrite: true}))
	must(t, db.SetGrant(ctx, taxii.Grant{CollectionID: w.colls[1].ID, OrgID: "org_c", CanRead: true}))
	must(t, db.CreateGroup(ctx, &sharing.Group{ID: "grp_1", Name: "partners", OwnerOrgID: "org_a", Members: []string{"org_a"}, CreatedAt: time.Now()}))
	for i := range 12 {
		w.addrs = append(w.addrs, fmt.Sprintf("0x%040x", 0xabc0+i))
	}
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// object makes a version of an indicator or wallet observable naming addrs.
func (w *hubWorld) object(rng *rand.Rand, id string, level sharing.Level, group string) taxii.NewObject {
	w.clock = w.clock.Add(time.Second)
	typ, _, _ := strings.Cut(id, "--")
	a := w.addrs[rng.IntN(len(w.addrs))]
	var raw string
	if typ == "indicator" {
		// The second address in upper case: the index keys addresses as
		// screening looks them up, whatever their spelling.
		b := "0x" + strings.ToUpper(w.addrs[rng.IntN(len(w.addrs))][2:])
		raw = fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-02-21T00:00:00Z","modified":%q,"name":"ind %d","pattern":"[cryptocurrency-wallet:address IN ('%s', '%s')]","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","labels":["dprk"]}`,
			id, w.clock.Format(time.RFC3339), rng.IntN(1000), a, b)
	} else {
		raw = fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"address":%q}`, typ, id, a)
	}
	o := taxii.NewObject{ID: id, Type: typ, SpecVersion: "2.1", Level: level, Group: group, Raw: []byte(raw)}
	if typ == "indicator" {
		o.Version = w.clock
	}
	if level == sharing.Red {
		o.Recipients = []sharing.Recipient{{Kind: sharing.RecipientOrg, ID: hubOrgs[rng.IntN(3)]}}
	}
	return o
}

// truth is what each reader may see, decided from the stored objects by
// the sharing rule directly: "org address collection/object" lines.
func (w *hubWorld) truth(ctx context.Context, hub *taxii.Service) []string {
	var out []string
	defaults := map[string]sharing.Level{}
	for _, c := range w.colls {
		defaults[c.ID] = c.Default()
	}
	for _, org := range hubOrgs {
		p := &identity.Principal{KeyID: "key_" + org, OrgID: org, Role: identity.RoleReader}
		views, err := hub.Collections(ctx, p)
		must(w.t, err)
		readable := map[string]bool{}
		for _, v := range views {
			readable[v.ID] = v.CanRead
		}
		groups, err := w.db.GroupsOf(ctx, org)
		must(w.t, err)
		rd := sharing.Reader{OrgID: org, Groups: map[string]bool{}}
		for _, g := range groups {
			rd.Groups[g] = true
		}
		for _, typ := range []string{"indicator", "cryptocurrency-wallet"} {
			must(w.t, w.db.ScanLatest(ctx, typ, func(o taxii.StoredObject) error {
				it := sharing.Item{Level: sharing.Effective(o.Level, defaults[o.CollectionID]), Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients}
				if !readable[o.CollectionID] || !sharing.CanRead(rd, it) {
					return nil
				}
				for _, a := range w.addrs {
					if strings.Contains(strings.ToLower(string(o.Raw)), a) {
						out = append(out, org+" "+a+" "+o.CollectionID+"/"+o.ID)
					}
				}
				return nil
			}))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// seen is what a screener shows each reader, in truth's form.
func (w *hubWorld) seen(ctx context.Context, sc *screening.Screener, hub *taxii.Service) []string {
	var out []string
	for _, org := range hubOrgs {
		p := &identity.Principal{KeyID: "key_" + org, OrgID: org, Role: identity.RoleReader}
		groups, err := w.db.GroupsOf(ctx, org)
		must(w.t, err)
		rd, err := sc.NewReader(ctx, p, groups)
		must(w.t, err)
		for _, r := range sc.Screen(ctx, rd, w.addrs) {
			for _, h := range r.Hits {
				if h.Source == "hub" {
					out = append(out, org+" "+r.Address+" "+h.Collection+"/"+h.ObjectID)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// testHubIndexIncremental applies random sequences of writes (new objects,
// new versions, re-markings narrower, deletions, group membership changes)
// and after each one checks that the screening index brought up to date
// incrementally, on this replica and on another, equals one built from
// scratch, and that every reader sees exactly the hits the sharing rule
// allows on the stored objects: never one more, right after a re-marking
// too.
func testHubIndexIncremental(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	db := open(t, h, loc)
	w := newHubWorld(t, db)
	hub, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
	must(t, err)
	inc := screening.New(db, hub)
	must(t, inc.Refresh(ctx, true))
	db2 := open(t, h, loc) // another replica
	hub2, err := taxii.NewService(ctx, taxii.Options{Store: db2, Directory: db2})
	must(t, err)
	inc2 := screening.New(db2, hub2)
	must(t, inc2.Refresh(ctx, true))

	levels := []sharing.Level{sharing.Unmarked, sharing.Clear, sharing.Green, sharing.Amber, sharing.AmberStrict, sharing.Red}
	for seed := range uint64(3) {
		rng := rand.New(rand.NewPCG(seed, 7))
		for step := range 40 {
			var what string
			ids := make([]string, 0, len(w.live))
			for id := range w.live {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			switch op := rng.IntN(10); {
			case op < 3 || len(ids) == 0: // a new object
				typ := "indicator"
				if rng.IntN(4) == 0 {
					typ = "cryptocurrency-wallet"
				}
				id := fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, seed*1000+uint64(step))
				c := w.colls[rng.IntN(2)]
				g := ""
				if rng.IntN(4) == 0 {
					g = "grp_1"
				}
				_, _, err := db.AddObjects(ctx, c.ID, c.OwnerOrgID, []taxii.NewObject{w.object(rng, id, levels[rng.IntN(len(levels))], g)})
				must(t, err)
				w.live[id] = c.ID
				what = "add " + id
			case op < 5: // a new version, marked anyhow
				id := ids[rng.IntN(len(ids))]
				if !strings.HasPrefix(id, "indicator") {
					continue // observables have no versions
				}
				_, _, err := db.AddObjects(ctx, w.live[id], ownerOf(w, w.live[id]), []taxii.NewObject{w.object(rng, id, levels[rng.IntN(len(levels))], "")})
				must(t, err)
				what = "new version of " + id
			case op < 7: // re-marked narrower: RED to nobody else, or the group
				id := ids[rng.IntN(len(ids))]
				if !strings.HasPrefix(id, "indicator") {
					continue
				}
				o := w.object(rng, id, sharing.AmberStrict, "")
				if rng.IntN(2) == 0 {
					o.Level, o.Group = sharing.Amber, "grp_1"
				}
				_, _, err := db.AddObjects(ctx, w.live[id], ownerOf(w, w.live[id]), []taxii.NewObject{o})
				must(t, err)
				what = "re-marked " + id
			case op < 9: // deleted: every version, or the newest only
				id := ids[rng.IntN(len(ids))]
				q := &taxii.Query{}
				if rng.IntN(2) == 0 && strings.HasPrefix(id, "indicator") {
					q.Versions = taxii.VersionLast
				}
				_, err := db.DeleteObject(ctx, w.live[id], id, q, "")
				must(t, err)
				n := 0
				must(t, db.ScanLatest(ctx, strings.SplitN(id, "--", 2)[0], func(o taxii.StoredObject) error {
					if o.ID == id {
						n++
					}
					return nil
				}))
				if n == 0 {
					delete(w.live, id)
				}
				what = "deleted " + id
			default: // org_b or org_c joins or leaves the group
				org := hubOrgs[1+rng.IntN(2)]
				if rng.IntN(2) == 0 {
					must(t, db.AddMember(ctx, "grp_1", org))
					what = org + " joins"
				} else {
					must(t, db.RemoveMember(ctx, "grp_1", org))
					what = org + " leaves"
				}
			}
			must(t, inc.Refresh(ctx, true))
			must(t, inc2.Refresh(ctx, true))
			full := screening.New(db, hub)
			must(t, full.Refresh(ctx, true))
			want := full.HubEntries()
			if got := inc.HubEntries(); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d (%s): incremental index\n%s\nfull rebuild\n%s", seed, step, what, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if got := inc2.HubEntries(); !slices.Equal(got, want) {
				t.Fatalf("seed %d step %d (%s): other replica's index\n%s\nfull rebuild\n%s", seed, step, what, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			truth := w.truth(ctx, hub)
			for _, sc := range []*screening.Screener{inc, inc2} {
				if got := w.seen(ctx, sc, hub); !slices.Equal(got, truth) {
					t.Fatalf("seed %d step %d (%s): readers see\n%s\nthe sharing rule allows\n%s", seed, step, what, strings.Join(got, "\n"), strings.Join(truth, "\n"))
				}
			}
		}
	}
	if inc.HubVersion() != inc2.HubVersion() {
		t.Errorf("replicas at counter values %d and %d", inc.HubVersion(), inc2.HubVersion())
	}
}

func ownerOf(w *hubWorld, coll string) string {
	for _, c := range w.colls {
		if c.ID == coll {
			return c.OwnerOrgID
		}
	}
	return ""
}

// testHubIndexConcurrentRemark: readers screen without pause while the
// index is updated; once the update that re-marks an indicator AMBER+STRICT
// has returned, no screening that starts after it shows the hit to another
// organization.
func testHubIndexConcurrentRemark(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	w := newHubWorld(t, db)
	hub, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db})
	must(t, err)
	sc := screening.New(db, hub)
	must(t, sc.Refresh(ctx, true))
	c := w.colls[0] // org_a's, readable by org_b
	p := &identity.Principal{KeyID: "key_b", OrgID: "org_b", Role: identity.RoleReader}
	rd, err := sc.NewReader(ctx, p, nil)
	must(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", 900+round)
		o := w.object(rng, id, sharing.Amber, "")
		_, _, err := db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{o})
		must(t, err)
		must(t, sc.Refresh(ctx, true))
		var remarked atomic.Bool
		stop := make(chan struct{})
		errc := make(chan error, 2)
		for range 2 {
			go func() {
				for {
					select {
					case <-stop:
						errc <- nil
						return
					default:
					}
					after := remarked.Load()
					for _, r := range sc.Screen(ctx, rd, w.addrs) {
						for _, hit := range r.Hits {
							if after && hit.ObjectID == id {
								errc <- fmt.Errorf("round %d: %s shown to org_b after its re-marking to AMBER+STRICT was applied", round, id)
								return
							}
						}
					}
				}
			}()
		}
		o2 := w.object(rng, id, sharing.AmberStrict, "")
		_, _, err = db.AddObjects(ctx, c.ID, "org_a", []taxii.NewObject{o2})
		must(t, err)
		must(t, sc.Refresh(ctx, true))
		remarked.Store(true)
		time.Sleep(5 * time.Millisecond)
		close(stop)
		for range 2 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
	}
}
