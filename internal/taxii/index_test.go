package taxii

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestIndexFields(t *testing.T) {
	for _, tc := range []struct {
		name, raw, text string
		refs            []string
	}{
		{"report", `{"type":"report","name":"Lazarus","description":"Cash-out","object_refs":["indicator--1","identity--2"]}`, "lazarus\ncash-out", []string{"indicator--1", "identity--2"}},
		{"granular description left out", `{"type":"indicator","name":"W","description":"secret","pattern":"[x:y = 'A']","granular_markings":[{"marking_ref":"m","selectors":["description"]}]}`, "w\n[x:y = 'a']", nil},
		{"relationship refs are not object_refs", `{"type":"relationship","object_refs":["a--1"]}`, "", nil},
		{"empty object_refs", `{"type":"note","object_refs":[]}`, "", nil},
		{"address", `{"type":"cryptocurrency-wallet","address":"1BoatSLR"}`, "1boatslr", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c struct {
				Type string `json:"type"`
			}
			json.Unmarshal([]byte(tc.raw), &c)
			o := NewObject{Type: c.Type}
			indexFields(&o, rawProps([]byte(tc.raw)))
			if o.SearchText != tc.text {
				t.Errorf("text %q, want %q", o.SearchText, tc.text)
			}
			if strings.Join(o.Refs, ",") != strings.Join(tc.refs, ",") || o.ObjectRefs != (len(tc.refs) > 0) {
				t.Errorf("refs %v (object_refs %v), want %v", o.Refs, o.ObjectRefs, tc.refs)
			}
		})
	}
}

// FuzzIndexFields: any object a client posts is indexed without a panic,
// into bounded, valid, lower-case text, and a replaced object_refs list is
// still JSON with the same other properties.
func FuzzIndexFields(f *testing.F) {
	f.Add([]byte(`{"type":"report","name":"Lazarus","object_refs":["indicator--1"],"granular_markings":[{"marking_ref":"m","selectors":["name"]}]}`))
	f.Add([]byte(`{"type":"note","description":"` + strings.Repeat("é", 3000) + `","object_refs":"x"}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var c struct {
			Type string `json:"type"`
		}
		json.Unmarshal(raw, &c)
		o := NewObject{Type: c.Type}
		indexFields(&o, rawProps(raw))
		if len(o.SearchText) > maxSearchText || !utf8.ValidString(o.SearchText) || o.SearchText != strings.ToLower(o.SearchText) {
			t.Fatalf("search text %q", o.SearchText)
		}
		if o.ObjectRefs && len(o.Refs) == 0 {
			t.Fatal("object_refs flagged with no refs")
		}
		out, err := setProp(raw, "object_refs", []string{"a--1"})
		if err != nil {
			return
		}
		var before, after map[string]json.RawMessage
		if json.Unmarshal(raw, &before) != nil || json.Unmarshal(out, &after) != nil || len(after) != len(before)+btoi(before["object_refs"] == nil) {
			t.Fatalf("setProp changed other properties: %s -> %s", raw, out)
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzJSONString: jsonString decodes as encoding/json does, string or not.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{`"TraderTraitor"`, `"caf\u00e9"`, `"a\"b"`, `"tab	in"`, "\"\xff\"", `""`, `"`, `12`, ` "x"`, `"x" `, `null`, `"\\"`, `"é"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		var want string
		werr := json.Unmarshal(v, &want)
		got, ok := jsonString(v)
		if ok != (werr == nil) || got != want {
			t.Fatalf("jsonString(%q) = %q, %v; encoding/json: %q, %v", v, got, ok, want, werr)
		}
	})
}
