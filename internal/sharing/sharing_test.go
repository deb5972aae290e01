package sharing

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// world is a random population of organizations, users and groups.
type world struct {
	orgs   []string
	users  map[string][]string // org -> users
	groups map[string][]string // group -> member orgs (possibly none)
}

func newWorld(rng *rand.Rand) world {
	w := world{users: map[string][]string{}, groups: map[string][]string{}}
	for i := range 2 + rng.IntN(5) {
		o := fmt.Sprintf("org%d", i)
		w.orgs = append(w.orgs, o)
		for j := range rng.IntN(3) {
			w.users[o] = append(w.users[o], fmt.Sprintf("%s-user%d", o, j))
		}
	}
	for g := range rng.IntN(4) {
		name := fmt.Sprintf("group%d", g)
		w.groups[name] = nil // possibly empty: the classic leak
		for _, o := range w.orgs {
			if rng.IntN(2) == 0 {
				w.groups[name] = append(w.groups[name], o)
			}
		}
	}
	return w
}

func (w world) reader(rng *rand.Rand) Reader {
	if rng.IntN(6) == 0 {
		return Reader{Anonymous: true}
	}
	o := w.orgs[rng.IntN(len(w.orgs))]
	r := Reader{OrgID: o, Groups: map[string]bool{}}
	if us := w.users[o]; len(us) > 0 && rng.IntN(2) == 0 {
		r.UserID = us[rng.IntN(len(us))]
	}
	for g, members := range w.groups {
		for _, m := range members {
			if m == o {
				r.Groups[g] = true
			}
		}
	}
	return r
}

func (w world) item(rng *rand.Rand) Item {
	it := Item{Level: Level(rng.IntN(5)), Owner: w.orgs[rng.IntN(len(w.orgs))]}
	if rng.IntN(4) == 0 {
		it.SightedOwner = w.orgs[rng.IntN(len(w.orgs))]
	}
	var groups []string
	for g := range w.groups {
		groups = append(groups, g)
	}
	if len(groups) > 0 && rng.IntN(3) == 0 {
		it.Group = groups[rng.IntN(len(groups))]
	}
	for range rng.IntN(4) {
		switch rng.IntN(3) {
		case 0:
			it.Recipients = append(it.Recipients, Recipient{RecipientOrg, w.orgs[rng.IntN(len(w.orgs))]})
		case 1:
			o := w.orgs[rng.IntN(len(w.orgs))]
			if us := w.users[o]; len(us) > 0 {
				it.Recipients = append(it.Recipients, Recipient{RecipientUser, us[rng.IntN(len(us))]})
			}
		case 2:
			if len(groups) > 0 {
				it.Recipients = append(it.Recipients, Recipient{RecipientGroup, groups[rng.IntN(len(groups))]})
			}
		}
	}
	return it
}

// TestPropertiesOfTheRule checks, over random worlds, that distribution can
// narrow but never widen.
func TestPropertiesOfTheRule(t *testing.T) {
	rng := rand.New(rand.NewPCG(2025, 221))
	const cases = 20000
	for i := range cases {
		w := newWorld(rng)
		r, it := w.reader(rng), w.item(rng)
		can := CanRead(r, it)
		fail := func(format string, args ...any) {
			t.Fatalf("case %d: reader %+v item %+v: "+format, append([]any{i, r, it}, args...)...)
		}
		if !r.Anonymous && r.OrgID == it.Owner && !can {
			fail("the owner cannot read its own object")
		}
		if !r.Anonymous && r.OrgID == it.SightedOwner && !can {
			fail("the sharer of a sighted object cannot read the sighting")
		}
		if r.Anonymous && can && (it.Level != Clear || it.Group != "") {
			fail("an anonymous reader reads more than unrestricted CLEAR")
		}
		if can && it.Group != "" && r.OrgID != it.Owner && r.OrgID != it.SightedOwner && !r.Groups[it.Group] {
			fail("a non-member reads an object restricted to a sharing group")
		}
		if can && it.Level == AmberStrict && r.OrgID != it.Owner && r.OrgID != it.SightedOwner {
			fail("AMBER+STRICT read outside its organization")
		}
		if can && it.Level == Red && r.OrgID != it.Owner && r.OrgID != it.SightedOwner && !IsRecipient(r, it.Recipients) {
			fail("RED read by someone not named")
		}
		// Raising the level along CLEAR < GREEN < AMBER < AMBER+STRICT, or to
		// RED from AMBER, never adds a reader.
		for _, higher := range []Level{Green, Amber, AmberStrict, Red} {
			if higher <= it.Level || (higher == Red && it.Level == AmberStrict) {
				continue
			}
			up := it
			up.Level = higher
			if CanRead(r, up) && !can {
				fail("raising the level to %s let the reader in", higher)
			}
		}
		// A group restriction never adds a reader.
		if it.Group == "" {
			for g := range w.groups {
				nar := it
				nar.Group = g
				if CanRead(r, nar) && !can {
					fail("restricting to %s let the reader in", g)
				}
			}
		}
		// Removing a recipient never adds a reader.
		for k := range it.Recipients {
			fewer := it
			fewer.Recipients = append(append([]Recipient(nil), it.Recipients[:k]...), it.Recipients[k+1:]...)
			if CanRead(r, fewer) && !can {
				fail("removing a recipient let the reader in")
			}
		}
		// Leaving a group takes access to group-restricted objects at once.
		if it.Group != "" && r.Groups[it.Group] && r.OrgID != it.Owner && r.OrgID != it.SightedOwner {
			left := r
			left.Groups = map[string]bool{}
			for g := range r.Groups {
				if g != it.Group {
					left.Groups[g] = true
				}
			}
			if CanRead(left, it) {
				fail("a member removed from the group still reads")
			}
		}
	}
}

func TestClassicLeaks(t *testing.T) {
	member := Reader{OrgID: "bank", Groups: map[string]bool{}}
	cases := []struct {
		name string
		r    Reader
		it   Item
		want bool
	}{
		{"empty sharing group restricts to the owner", member, Item{Level: Clear, Owner: "fiu", Group: "nobody"}, false},
		{"owner of an empty-group object", Reader{OrgID: "fiu"}, Item{Level: Red, Owner: "fiu", Group: "nobody"}, true},
		{"RED without recipients", member, Item{Level: Red, Owner: "fiu"}, false},
		{"RED to the org", member, Item{Level: Red, Owner: "fiu", Recipients: []Recipient{{RecipientOrg, "bank"}}}, true},
		{"RED to another user of the org", Reader{OrgID: "bank", UserID: "u1"}, Item{Level: Red, Owner: "fiu", Recipients: []Recipient{{RecipientUser, "u2"}}}, false},
		{"RED to an org-less key for a named user", Reader{OrgID: "bank"}, Item{Level: Red, Owner: "fiu", Recipients: []Recipient{{RecipientUser, ""}}}, false},
		{"AMBER+STRICT to a partner", member, Item{Level: AmberStrict, Owner: "fiu"}, false},
		{"GREEN anonymous", Reader{Anonymous: true}, Item{Level: Green, Owner: "fiu"}, false},
		{"CLEAR anonymous", Reader{Anonymous: true}, Item{Level: Clear, Owner: "fiu"}, true},
		{"anonymous does not own ownerless objects", Reader{Anonymous: true}, Item{Level: AmberStrict}, false},
		{"invalid level", member, Item{Level: Level(9), Owner: "fiu"}, false},
	}
	for _, c := range cases {
		if got := CanRead(c.r, c.it); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestEffectiveAndParse(t *testing.T) {
	if Effective(Unmarked, Unmarked) != Amber || Effective(Unmarked, Green) != Green || Effective(Red, Clear) != Red {
		t.Fatal("effective level")
	}
	for in, want := range map[string]Level{"clear": Clear, "TLP:WHITE": Clear, "amber+strict": AmberStrict, "Red": Red} {
		if got, err := ParseLevel(in); err != nil || got != want {
			t.Errorf("ParseLevel(%q) = %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "unmarked", "purple"} {
		if _, err := ParseLevel(bad); err == nil {
			t.Errorf("ParseLevel(%q) accepted", bad)
		}
	}
}

func TestMayLeave(t *testing.T) {
	shared := func(o string) bool { return o == "bank" }
	cases := []struct {
		level Level
		dst   Destination
		want  bool
	}{
		{Clear, Destination{}, true},
		{Green, Destination{Community: true}, true},
		{Green, Destination{OrgID: "bank"}, false},
		{Amber, Destination{OrgID: "bank"}, true},
		{Amber, Destination{OrgID: "other", Community: true}, false},
		{Amber, Destination{OrgID: "fiu"}, true},
		{AmberStrict, Destination{OrgID: "fiu", Community: true}, false},
		{Red, Destination{OrgID: "bank", Community: true}, false},
	}
	for _, c := range cases {
		if got := MayLeave(Item{Level: c.level, Owner: "fiu"}, c.dst, shared); got != c.want {
			t.Errorf("%s to %+v: %v, want %v", c.level, c.dst, got, c.want)
		}
	}
}
