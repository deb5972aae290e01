package stix

import (
	"os"
	"testing"
)

func fuzzSeeds(f *testing.F) {
	for typ := range classes {
		f.Add(encode(f, minimal(typ)))
	}
	f.Add([]byte(`{"type":"indicator","id":"a","\u0069d":"b"}`))
	f.Add([]byte(`{"type":"x-acme","id":"x-acme--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","x_a_ref":""}`))
	if data, err := os.ReadFile("testdata/stix20-bundle.json"); err == nil {
		f.Add(data)
	}
}

// FuzzParse checks that the object decoder never panics, and that what it
// accepts keeps its bytes and its identity.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := Parse(raw)
		if err != nil {
			return
		}
		if string(o.Raw) != string(raw) || IDType(o.ID) != o.Type || o.SpecVersion != "2.1" {
			t.Fatalf("accepted object inconsistent: %+v", o)
		}
		if !o.Modified.IsZero() && o.Modified.Before(o.Created) {
			t.Fatal("modified before created accepted")
		}
	})
}

// FuzzParsePattern checks that the parser never panics and that the
// canonical rendering of an accepted pattern parses to the same comparisons.
func FuzzParsePattern(f *testing.F) {
	for _, s := range []string{
		"[cryptocurrency-wallet:address = '0x098B716B8Aaf21512996dC57EB0615e2383E2f96']",
		"[file:hashes.'SHA-256' = 'ef53' OR file:name LIKE 'a%'] FOLLOWEDBY [x:y IN (1, 2.5, true)] WITHIN 5 SECONDS",
		"([a:b[*].c = h'00ff'] AND [a:d > t'2016-01-01T00:00:00Z']) REPEATS 2 TIMES START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z'",
		`[x:a NOT MATCHES '^\\d+\'$' AND EXISTS x:b AND x:c[-1] = b'AA==']`,
		"[x:a = .5]", "[", "((", "[x:a = 'unterminated",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePattern(s)
		if err != nil {
			return
		}
		canon := p.String()
		p2, err := ParsePattern(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if p2.String() != canon {
			t.Fatalf("canonical form not stable: %q → %q", canon, p2.String())
		}
	})
}

// FuzzUpgrade20 checks that upgrading never panics and that an upgraded
// object that was valid 2.0 apart from its version parses as 2.1.
func FuzzUpgrade20(f *testing.F) {
	fuzzSeeds(f)
	f.Add([]byte(`{"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","created":"2016-04-06T19:58:16Z","modified":"2016-04-06T19:58:16Z","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,"objects":{"0":{"type":"file","name":"a","created":"2015-01-01T00:00:00Z"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		up, err := Upgrade20(raw)
		if err != nil {
			return
		}
		again, err := Upgrade20(up)
		if err != nil {
			t.Fatalf("upgraded output does not upgrade again: %v\n%s", err, up)
		}
		if _, err := Parse(up); err == nil && string(again) != string(up) {
			t.Fatalf("upgrade of a 2.1 object is not the identity")
		}
	})
}
