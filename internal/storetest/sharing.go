package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

func sharingTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"SharingGroups", testGroups},
		{"VisibilityMatchesTheRule", testVisibilityProperty},
	}
}

func testGroups(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	seedOrg(t, db, "org_a", "alpha")
	seedOrg(t, db, "org_b", "beta")
	g := &sharing.Group{ID: "grp_1", Name: "asia-fius", OwnerOrgID: "org_a", CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Members: []string{"org_a"}}
	if err := db.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateGroup(ctx, &sharing.Group{ID: "grp_2", Name: "asia-fius", OwnerOrgID: "org_b", CreatedAt: time.Now()}), errs.Conflict)
	if err := db.AddMember(ctx, "grp_1", "org_b"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddMember(ctx, "grp_1", "org_b"); err != nil {
		t.Fatalf("adding a member twice: %v", err)
	}
	got, err := db.Group(ctx, "asia-fius")
	if err != nil || fmt.Sprint(got.Members) != "[org_a org_b]" {
		t.Fatalf("group: %+v %v", got, err)
	}
	if gs, _ := db.GroupsOf(ctx, "org_b"); fmt.Sprint(gs) != "[grp_1]" {
		t.Fatalf("groups of org_b: %v", gs)
	}
	if err := db.RemoveMember(ctx, "grp_1", "org_b"); err != nil {
		t.Fatal(err)
	}
	if gs, _ := db.GroupsOf(ctx, "org_b"); len(gs) != 0 {
		t.Fatalf("removed member still in: %v", gs)
	}
	_, err = db.Group(ctx, "nope")
	wantCode(t, err, errs.NotFound)
	wantCode(t, db.AddMember(ctx, "grp_nope", "org_a"), errs.NotFound)
}

// testVisibilityProperty stores random objects for random organizations,
// users and sharing groups, then asks, for random readers, which objects the
// store returns, and compares with sharing.CanRead: the SQL filter and the
// rule must agree on every decision.
func testVisibilityProperty(t *testing.T, h Harness) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(221, 2025))
	decisions := 0
	const worlds = 12
	for w := range worlds {
		db := fresh(t, h)
		orgs := []string{}
		for i := range 4 {
			id := fmt.Sprintf("org_%d", i)
			seedOrg(t, db, id, fmt.Sprintf("org-%d", i))
			orgs = append(orgs, id)
		}
		users := map[string][]string{}
		for i, o := range orgs {
			for j := range 2 {
				u := &identity.User{ID: fmt.Sprintf("usr_%d_%d", i, j), OrgID: o, Email: fmt.Sprintf("u%d%d@x.example", i, j), Name: "u", Role: identity.RoleAnalyst, CreatedAt: time.Now()}
				if err := db.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				users[o] = append(users[o], u.ID)
			}
		}
		groups := map[string][]string{}
		for g := range 3 {
			grp := &sharing.Group{ID: fmt.Sprintf("grp_%d", g), Name: fmt.Sprintf("group-%d", g), OwnerOrgID: orgs[0], CreatedAt: time.Now()}
			for _, o := range orgs {
				if g > 0 && rng.IntN(2) == 0 { // group 0 stays empty
					grp.Members = append(grp.Members, o)
				}
			}
			groups[grp.ID] = grp.Members
			if err := db.CreateGroup(ctx, grp); err != nil {
				t.Fatal(err)
			}
		}
		def := sharing.Level(rng.IntN(6) - 1) // collection default, possibly unmarked
		c := &taxii.Collection{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", w), Title: "c", OwnerOrgID: orgs[0], DefaultTLP: "amber", CreatedAt: time.Now()}
		if err := db.CreateCollection(ctx, c); err != nil {
			t.Fatal(err)
		}
		type stored struct {
			id string
			it sharing.Item
		}
		var objs []stored
		for i := range 40 {
			o := obj(uuidN(w*1000+i), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
			o.Level = sharing.Level(rng.IntN(6) - 1)
			if rng.IntN(3) == 0 {
				o.Group = fmt.Sprintf("grp_%d", rng.IntN(3))
			}
			for range rng.IntN(3) {
				switch rng.IntN(3) {
				case 0:
					o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientOrg, ID: orgs[rng.IntN(4)]})
				case 1:
					us := users[orgs[rng.IntN(4)]]
					o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientUser, ID: us[rng.IntN(len(us))]})
				case 2:
					o.Recipients = append(o.Recipients, sharing.Recipient{Kind: sharing.RecipientGroup, ID: fmt.Sprintf("grp_%d", rng.IntN(3))})
				}
			}
			owner := orgs[rng.IntN(4)]
			sightedOwner := ""
			if len(objs) > 0 && rng.IntN(4) == 0 { // a sighting of an earlier object
				k := rng.IntN(len(objs))
				o.SightingOf, sightedOwner = objs[k].id, objs[k].it.Owner
			}
			if _, _, err := db.AddObjects(ctx, c.ID, owner, []taxii.NewObject{o}); err != nil {
				t.Fatal(err)
			}
			objs = append(objs, stored{o.ID, sharing.Item{Level: sharing.Effective(o.Level, def), Owner: owner, Group: o.Group, Recipients: o.Recipients, SightedOwner: sightedOwner}})
		}
		for range 25 {
			r := sharing.Reader{Groups: map[string]bool{}}
			v := &taxii.Visibility{Default: def}
			if rng.IntN(6) == 0 {
				r.Anonymous, v.Anonymous = true, true
			} else {
				r.OrgID = orgs[rng.IntN(4)]
				if rng.IntN(2) == 0 {
					r.UserID = users[r.OrgID][rng.IntN(2)]
				}
				gs, err := db.GroupsOf(ctx, r.OrgID)
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range gs {
					r.Groups[g] = true
				}
				v.OrgID, v.UserID, v.Groups = r.OrgID, r.UserID, gs
			}
			got, _, err := db.Objects(ctx, c.ID, &taxii.Query{Limit: 1000, Versions: taxii.VersionAll}, nil, v)
			if err != nil {
				t.Fatal(err)
			}
			var gotIDs, wantIDs []string
			for _, o := range got {
				gotIDs = append(gotIDs, o.ID)
			}
			for _, o := range objs {
				if sharing.CanRead(r, o.it) {
					wantIDs = append(wantIDs, o.id)
				}
				decisions++
			}
			sort.Strings(gotIDs)
			sort.Strings(wantIDs)
			if fmt.Sprint(gotIDs) != fmt.Sprint(wantIDs) {
				t.Fatalf("world %d, reader %+v (default %s): the store returned\n%v\nthe rule allows\n%v", w, r, def, gotIDs, wantIDs)
			}
		}
		db.Close()
	}
	if decisions < 10000 {
		t.Fatalf("only %d decisions checked", decisions)
	}
	t.Logf("%d visibility decisions agree with sharing.CanRead", decisions)
}
