package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/trawlhq/trawl/internal/screening"
)

func stdJSON(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// FuzzAppendJSONString holds the hand-written encoder to encoding/json's
// output, byte for byte, on any string (invalid UTF-8 included).
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\back`, "ctl\x00\x01\x1f\b\f\n\r\t", "bad\xff\xfeutf8", "sep\u2028\u2029", "<html>&", "ünïcödé 中文 🙂", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := append(appendJSONString(nil, s), '\n')
		if want := stdJSON(t, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json gives %s", s, got, want)
		}
	})
}

func TestAppendIdentificationsMatchesEncodingJSON(t *testing.T) {
	cases := [][]screening.Identification{
		{},
		{{Category: "sanctions", Name: "SANCTIONS: OFAC SDN Lazarus Group 2019-09-13", Description: "Lazarus Group (DPRK3); listed ETH address 0xabc", URL: "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=1"}},
		{{Category: "shared intelligence", Name: "x\"y\\z\n", Description: "bad\xffbyte", URL: ""}, {Category: "law enforcement attribution", Name: "<b>&amp;</b>", Description: "\u2028", URL: "u"}},
	}
	for i, ids := range cases {
		got := appendIdentifications(nil, ids)
		want := stdJSON(t, map[string]any{"identifications": ids})
		if !bytes.Equal(got, want) {
			t.Errorf("case %d: got %s, want %s", i, got, want)
		}
	}
}
