package taxii

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/stix"
)

// MayHaveGranular reports whether the JSON object raw may have a
// granular_markings property; false is certain.
func MayHaveGranular(raw []byte) bool { return mayHaveKey(raw, granularKey) }

var granularKey = []byte(`"granular_markings"`)

// mayHaveKey reports whether the JSON object raw may have the property
// whose quoted name is key; false is certain. A name may be written with
// escapes ("granular\u005fmarkings") that a JSON decoder reads as the same
// name, so any escape of that form counts.
func mayHaveKey(raw, key []byte) bool {
	return bytes.Contains(raw, key) || bytes.Contains(raw, []byte(`\u`))
}

// redactGranular removes from raw every property that a granular TLP
// marking puts out of r's reach. A selector names a property or a part of
// one ("external_references.[0].url"); the whole top-level property it
// starts from is removed, which may hide more than the marked part but never
// less. It returns raw unchanged when nothing is hidden.
func redactGranular(raw []byte, r sharing.Reader, base sharing.Item) []byte {
	if !MayHaveGranular(raw) {
		return raw
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return raw
	}
	var gms []struct {
		MarkingRef string   `json:"marking_ref"`
		Selectors  []string `json:"selectors"`
	}
	if json.Unmarshal(obj["granular_markings"], &gms) != nil {
		return raw
	}
	hidden := map[string]bool{}
	for _, gm := range gms {
		t, ok := stix.TLPOf(gm.MarkingRef)
		if !ok {
			continue
		}
		level, err := sharing.ParseLevel(string(t))
		if err != nil {
			continue
		}
		it := base
		it.Level = level
		if it.Level < base.Level {
			it.Level = base.Level // a granular marking narrows, never widens
		}
		if sharing.CanRead(r, it) {
			continue
		}
		for _, sel := range gm.Selectors {
			top, _, _ := strings.Cut(sel, ".")
			switch top {
			case "id", "type", "spec_version", "created", "modified", "granular_markings":
				continue // identity and the markings themselves stay
			}
			hidden[top] = true
		}
	}
	if len(hidden) == 0 {
		return raw
	}
	for k := range hidden {
		delete(obj, k)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return raw
	}
	return out
}
