package stix

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/errs"
)

func TestSplitEnvelope(t *testing.T) {
	for _, c := range []struct {
		body string
		want []string // nil: refused
		err  string
	}{
		{body: `{"objects":[]}`, want: []string{}},
		{body: ` {"more":false, "objects" : [ {"a":1} , 5,"x",[1,{"b":"]"}], {"c":"\"}"} ] ,"next":"n"} `,
			want: []string{`{"a":1}`, `5`, `"x"`, `[1,{"b":"]"}]`, `{"c":"\"}"}`}},
		{body: `{"\u006fbjects":[{"id":"a"}]}`, want: []string{`{"id":"a"}`}},
		{body: `{"objects":[{"a":1}]} x`, err: "TAXII envelope"},
		{body: `{"objects":[{"a":1},]}`, err: "TAXII envelope"},
		{body: ``, err: "TAXII envelope"},
		{body: `[{"objects":[]}]`, err: "a JSON object"},
		{body: `{"more":true}`, err: `no "objects" list`},
		{body: `{"Objects":[]}`, err: `no "objects" list`},
		{body: `{"objects":null}`, err: `must be a list`},
		{body: `{"objects":{"a":1}}`, err: `must be a list`},
		{body: `{"objects":[],"objects":[{"a":1}]}`, err: `more than one "objects"`},
	} {
		got, err := SplitEnvelope([]byte(c.body))
		if c.want == nil {
			if err == nil || !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want an Invalid error naming %q", c.body, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %d elements, want %d", c.body, len(got), len(c.want))
			continue
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("%s: element %d is %s, want %s", c.body, i, got[i], c.want[i])
			}
		}
	}
}

// FuzzSplitEnvelope holds SplitEnvelope to encoding/json's reading of the
// same body: refused when it is not valid JSON, and otherwise the same
// elements, byte for byte, as decoding into a list of json.RawMessage.
func FuzzSplitEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"objects":[{"type":"indicator","id":"indicator--1"},{"x":"\"]}"}],"more":false}`,
		`{"objects":[]}`, `{"a":{"objects":[1]},"objects":[[],{}]}`, `{"objects":[1] }x`, `{"objects":[1,]}`,
		"{\"objects\":[\"\xff\"]}", `{"ob\u006aects":[true,null]}`, `  {  } `,
		`{"objects":[1],"objects":[2]}`, `{"objects":[],"more":true,"ob\u006aects":[{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := SplitEnvelope(body)
		if !json.Valid(body) {
			if err == nil {
				t.Fatalf("invalid JSON accepted: %q", body)
			}
			return
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(body, &members) != nil {
			if err == nil {
				t.Fatalf("a body that is not a JSON object accepted: %q", body)
			}
			return
		}
		list, ok := members["objects"]
		var want []json.RawMessage
		if !ok || json.Unmarshal(list, &want) != nil || want == nil {
			if err == nil {
				t.Fatalf("a body without an \"objects\" list accepted: %q", body)
			}
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "more than one") {
				if n := objectsKeys(t, body); n < 2 {
					t.Fatalf("%q refused for more than one \"objects\", but it has %d", body, n)
				}
				return // encoding/json keeps the last; we refuse
			}
			t.Fatalf("%q refused: %v", body, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, encoding/json %d", body, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: element %d is %q, encoding/json %q", body, i, got[i], want[i])
			}
		}
	})
}

// objectsKeys counts the members named exactly "objects" (after
// unescaping) of the JSON object body.
func objectsKeys(t *testing.T, body []byte) int {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("%q: not an object: %v %v", body, tok, err)
	}
	n := 0
	for d.More() {
		key, err := d.Token()
		if err != nil {
			t.Fatal(err)
		}
		if key == "objects" {
			n++
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return n
}
