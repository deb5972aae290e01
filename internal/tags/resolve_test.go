package tags

import (
	"strings"
	"testing"
)

func tag(key, label string, c Category, actor string, conf int) Tag {
	return Tag{Chain: BTC, Address: key, Key: key, Label: label, Category: c, Actor: actor, Source: "s", Confidence: conf}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		name      string
		tags      []Tag
		primary   string // label
		service   string // label, "" for none
		conflicts []ConflictKind
	}{
		{"nothing", nil, "", "", nil},
		{"one exchange", []Tag{tag("a", "Binance", Exchange, "binance", 50)}, "Binance", "Binance", nil},
		{"an exchange's deposit addresses agree",
			[]Tag{tag("a", "Binance deposit", Exchange, "binance", 50), tag("b", "Binance hot wallet", Exchange, "Binance", 90)},
			"Binance hot wallet", "Binance hot wallet", nil},
		{"two actors", []Tag{tag("a", "Binance", Exchange, "binance", 50), tag("b", "Kraken", Exchange, "kraken", 50)},
			"Binance", "Binance", []ConflictKind{ConflictActors}},
		{"a thief inside an exchange's cluster",
			[]Tag{tag("a", "Binance", Exchange, "binance", 50), tag("b", "Bybit thief", StolenFunds, "", 60)},
			"Bybit thief", "Binance", []ConflictKind{ConflictServiceSuspect}},
		{"a sanctioned exchange named by both tags is no conflict",
			[]Tag{tag("a", "Garantex", Exchange, "garantex", 50), tag("b", "GARANTEX EUROPE OU", Sanctioned, "Garantex", 60)},
			"GARANTEX EUROPE OU", "Garantex", nil},
		{"a sanctioned tag without actor next to an exchange is surfaced",
			[]Tag{tag("a", "Garantex", Exchange, "garantex", 50), tag("b", "GARANTEX EUROPE OU", Sanctioned, "", 60)},
			"GARANTEX EUROPE OU", "Garantex", []ConflictKind{ConflictServiceSuspect}},
		{"perpetrator and stolen funds of one actor agree",
			[]Tag{tag("a", "Lazarus", Perpetrator, "lazarus-group", 60), tag("b", "Bybit theft", StolenFunds, "lazarus-group", 60), tag("c", "OFAC", Sanctioned, "", 60)},
			"Bybit theft", "", nil},
		{"two kinds of service without actors",
			[]Tag{tag("a", "some exchange", Exchange, "", 50), tag("b", "some mixer", Mixer, "", 50)},
			"some exchange", "some exchange", []ConflictKind{ConflictServices}},
		{"an exchange with an OTC desk",
			[]Tag{tag("a", "Huione exchange", Exchange, "huione", 50), tag("b", "Huione OTC", OTC, "huione", 50)},
			"Huione OTC", "Huione OTC", nil},
		{"other takes no part",
			[]Tag{tag("a", "Binance", Exchange, "binance", 50), tag("b", "a donation address", Other, "", 80)},
			"a donation address", "Binance", nil},
		{"everything at once",
			[]Tag{tag("a", "Binance", Exchange, "binance", 50), tag("b", "Wasabi", Mixer, "wasabi", 50), tag("c", "thief", StolenFunds, "lazarus", 50)},
			"Binance", "Binance", []ConflictKind{ConflictActors, ConflictServiceSuspect, ConflictServices}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Resolve(c.tags)
			label := func(t *Tag) string {
				if t == nil {
					return ""
				}
				return t.Label
			}
			if label(r.Primary) != c.primary || label(r.Service) != c.service {
				t.Errorf("primary %q service %q; want %q, %q", label(r.Primary), label(r.Service), c.primary, c.service)
			}
			var kinds []ConflictKind
			for _, cf := range r.Conflicts {
				kinds = append(kinds, cf.Kind)
				if len(cf.Values) < 2 || cf.Message == "" {
					t.Errorf("conflict without values or message: %+v", cf)
				}
			}
			if strings.Join(toStrings(kinds), ",") != strings.Join(toStrings(c.conflicts), ",") {
				t.Errorf("conflicts %v; want %v (%+v)", kinds, c.conflicts, r.Conflicts)
			}
		})
	}
}

func toStrings(ks []ConflictKind) []string {
	var out []string
	for _, k := range ks {
		out = append(out, string(k))
	}
	return out
}

// The result does not depend on the order of the members, and a tag seen
// twice counts once.
func TestResolveIsOrderIndependent(t *testing.T) {
	ts := []Tag{
		tag("a", "x", Exchange, "binance", 50), tag("b", "y", Exchange, "binance", 50), tag("c", "z", StolenFunds, "", 50),
		tag("d", "w", Mixer, "", 90),
	}
	ts[0].ClusterDefiner = true
	want := Resolve(ts)
	rev := []Tag{ts[3], ts[2], ts[1], ts[0], ts[2]}
	got := Resolve(rev)
	if len(got.Tags) != 4 {
		t.Fatalf("duplicates kept: %d tags", len(got.Tags))
	}
	for i := range want.Tags {
		if want.Tags[i].Key != got.Tags[i].Key {
			t.Fatalf("order differs at %d: %s vs %s", i, want.Tags[i].Key, got.Tags[i].Key)
		}
	}
	if want.Tags[0].Key != "d" || want.Tags[1].Key != "a" {
		t.Errorf("confidence first, then the cluster definer: %v", []string{want.Tags[0].Key, want.Tags[1].Key})
	}
	if len(got.Conflicts) != len(want.Conflicts) || got.Service.Key != "d" {
		t.Errorf("%+v vs %+v", got.Conflicts, want.Conflicts)
	}
}
