package taxii

import (
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/sharing"
)

func TestRedactGranular(t *testing.T) {
	raw := []byte(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","name":"Bybit cash-out","description":"Seen at exchange X, account 4411","pattern":"[ipv4-addr:value = '198.51.100.1']","external_references":[{"source_name":"case","url":"https://case.example/77"}],
		"granular_markings":[{"marking_ref":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1","selectors":["description"]},{"marking_ref":"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003","selectors":["external_references.[0].url"]},{"marking_ref":"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487","selectors":["name","id"]}]}`)
	base := sharing.Item{Level: sharing.Amber, Owner: "fiu", Recipients: []sharing.Recipient{{Kind: sharing.RecipientOrg, ID: "exchange"}}}
	cases := []struct {
		reader   sharing.Reader
		hidden   []string
		kept     []string
		sameAsIn bool
	}{
		{sharing.Reader{OrgID: "fiu"}, nil, []string{"account 4411", "case.example"}, true},
		{sharing.Reader{OrgID: "exchange"}, []string{"case.example"}, []string{"account 4411", "Bybit cash-out", "pattern"}, false},
		{sharing.Reader{OrgID: "bank"}, []string{"account 4411", "case.example"}, []string{"Bybit cash-out", "pattern", `"id":"indicator--`}, false},
	}
	for _, c := range cases {
		out := string(redactGranular(raw, c.reader, base))
		for _, h := range c.hidden {
			if strings.Contains(out, h) {
				t.Errorf("%s reads %q: %s", c.reader.OrgID, h, out)
			}
		}
		for _, k := range c.kept {
			if !strings.Contains(out, k) {
				t.Errorf("%s lost %q: %s", c.reader.OrgID, k, out)
			}
		}
		if c.sameAsIn != (out == string(raw)) {
			t.Errorf("%s: unchanged = %v", c.reader.OrgID, out == string(raw))
		}
	}
}

// TestRedactGranularEscapedKey: a key spelled with JSON escapes is the same
// property to every decoder, so its markings apply; before, the quick
// check for the key's bytes skipped such an object.
func TestRedactGranularEscapedKey(t *testing.T) {
	raw := []byte(`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","description":"account 4411",
		"granular\u005fmarkings":[{"marking_ref":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1","selectors":["description"]}]}`)
	if !MayHaveGranular(raw) {
		t.Fatal("MayHaveGranular is false for an escaped key")
	}
	base := sharing.Item{Level: sharing.Amber, Owner: "fiu"}
	if out := string(redactGranular(raw, sharing.Reader{OrgID: "bank"}, base)); strings.Contains(out, "account 4411") {
		t.Errorf("a reader outside RED reads the RED description: %s", out)
	}
	for _, s := range []string{`{"type":"indicator","name":"x"}`, `{"a":"granular_markings"}`} {
		if got, want := MayHaveGranular([]byte(s)), strings.Contains(s, `"granular_markings"`); got != want {
			t.Errorf("MayHaveGranular(%s) = %v", s, got)
		}
	}
}
