package taxii

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// jsonString decodes v, a JSON value, when it is a string. One without
// escapes, control characters or invalid UTF-8 is its bytes between the
// quotes (most are: a POST of 1,000 indicators decoded them all again with
// encoding/json, 7% of its processing); others go through encoding/json.
func jsonString(v []byte) (string, bool) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		in := v[1 : len(v)-1]
		plain := utf8.Valid(in)
		for _, c := range in {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain {
			return string(in), true
		}
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}

// searchProps are the properties whose values the REST search matches (q).
var searchProps = []string{"name", "description", "pattern", "value", "address"}

// maxSearchText bounds what one object contributes to the search column.
const maxSearchText = 4096

// indexFields fills in what the store keeps beside an object for reads:
// the ids its object_refs list (reports, notes, groupings, opinions,
// observed-data and any other type with such a list), and the lower-cased
// text that search matches. A property under any granular marking is left
// out of the text: a search must not find an object through a property the
// reader may not be shown.
func indexFields(o *NewObject, prop func(name string) json.RawMessage) {
	if o.Type != "relationship" && o.Type != "sighting" {
		if v := prop("object_refs"); v != nil {
			var refs []string
			if json.Unmarshal(v, &refs) == nil && len(refs) > 0 {
				o.Refs, o.ObjectRefs = refs, true
			}
		}
	}
	marked := map[string]bool{}
	if v := prop("granular_markings"); v != nil {
		var gms []struct {
			Selectors []string `json:"selectors"`
		}
		json.Unmarshal(v, &gms)
		for _, gm := range gms {
			for _, sel := range gm.Selectors {
				top, _, _ := strings.Cut(sel, ".")
				marked[top] = true
			}
		}
	}
	var b strings.Builder
	for _, name := range searchProps {
		v := prop(name)
		if v == nil || marked[name] {
			continue
		}
		s, ok := jsonString(v)
		if !ok || s == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strings.ToLower(s))
		if b.Len() >= maxSearchText {
			break
		}
	}
	o.SearchText = b.String()
	if len(o.SearchText) > maxSearchText {
		o.SearchText = strings.ToValidUTF8(o.SearchText[:maxSearchText], "")
	}
}

// rawProps returns a property getter over raw JSON, decoding it once.
func rawProps(raw []byte) func(string) json.RawMessage {
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	return func(name string) json.RawMessage { return m[name] }
}

var objectRefsKey = []byte(`"object_refs"`)

// stripRefs removes from the object_refs lists of objs the ids of objects on
// the hub that v may not see (Store.HiddenRefs, one lookup for the page),
// and drops an object whose list that would empty: STIX requires at least
// one ref, and the store hides such objects already, so this is a guard
// against a write between the two reads. An organization's own objects are
// returned unchanged to it. With pointers, relationships and sightings
// that point at such an object are dropped too: for reads without the
// store's filter (exports), and for reads with it, where HiddenRefs judges
// one step further than the filter (an object hidden for what it points
// at). objs is modified in place; the kept objects are returned.
func (s *Service) stripRefs(ctx context.Context, v *Visibility, objs []StoredObject, pointers bool) ([]StoredObject, error) {
	if v == nil || v.All {
		return objs, nil
	}
	// Allocated only for pages that have refs to judge: most pages are of
	// indicators and pay nothing here.
	var lists, dropIfAny map[int][]string
	var ids []string
	var seen map[string]bool
	for i := range objs {
		o := &objs[i]
		if !v.Anonymous && o.AddedByOrg == v.OrgID {
			continue
		}
		var refs []string
		switch {
		case o.Type == "relationship" || o.Type == "sighting":
			if !pointers {
				continue
			}
			var x struct {
				Source    string   `json:"source_ref"`
				Target    string   `json:"target_ref"`
				SightOf   string   `json:"sighting_of_ref"`
				Observed  []string `json:"observed_data_refs"`
				WhereSeen []string `json:"where_sighted_refs"`
			}
			if json.Unmarshal(o.Raw, &x) != nil {
				continue
			}
			refs = append(append([]string{x.Source, x.Target, x.SightOf}, x.Observed...), x.WhereSeen...)
			if dropIfAny == nil {
				dropIfAny = map[int][]string{}
			}
			dropIfAny[i] = refs
		case mayHaveKey(o.Raw, objectRefsKey):
			var x struct {
				ObjectRefs []string `json:"object_refs"`
			}
			if json.Unmarshal(o.Raw, &x) != nil || len(x.ObjectRefs) == 0 {
				continue
			}
			refs = x.ObjectRefs
			if lists == nil {
				lists = map[int][]string{}
			}
			lists[i] = refs
		}
		if len(refs) == 0 {
			continue
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		for _, id := range refs {
			if id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return objs, nil
	}
	hidden, err := s.store.HiddenRefs(ctx, v, ids)
	if err != nil {
		return nil, err
	}
	if len(hidden) == 0 {
		return objs, nil
	}
	out := objs[:0]
objects:
	for i := range objs {
		for _, id := range dropIfAny[i] {
			if hidden[id] {
				continue objects
			}
		}
		refs, ok := lists[i]
		if !ok {
			out = append(out, objs[i])
			continue
		}
		kept := make([]string, 0, len(refs))
		for _, id := range refs {
			if !hidden[id] {
				kept = append(kept, id)
			}
		}
		if len(kept) == len(refs) {
			out = append(out, objs[i])
			continue
		}
		if len(kept) == 0 {
			continue
		}
		raw, err := setProp(objs[i].Raw, "object_refs", kept)
		if err != nil {
			continue // unreadable: better not served than served whole
		}
		objs[i].Raw = raw
		out = append(out, objs[i])
	}
	return out, nil
}

// setProp returns raw with one top-level property replaced.
func setProp(raw []byte, name string, val any) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	b, err := json.Marshal(val)
	if err != nil {
		return nil, err
	}
	m[name] = b
	return json.Marshal(m)
}
