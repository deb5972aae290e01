package stix

import (
	"encoding/json"

	"github.com/trawlhq/trawl/internal/errs"
)

// SplitEnvelope returns the elements of the "objects" list of a TAXII 2.1
// envelope. The body must be one valid JSON object; its other members
// (more, next) are ignored. The elements are slices of body, not copies,
// and need not be objects: Parse judges each one. It reads the body
// twice (json.Valid, then a split that trusts it), where decoding into a
// struct of json.RawMessage read it three times and copied every object.
func SplitEnvelope(body []byte) ([]json.RawMessage, error) {
	if !json.Valid(body) {
		var v any
		err := json.Unmarshal(body, &v) // for the position of the fault
		return nil, errs.E(errs.Invalid, "the body must be a TAXII envelope {\"objects\":[...]}: %v", err)
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return nil, errs.E(errs.Invalid, "the body must be a TAXII envelope, a JSON object {\"objects\":[...]}")
	}
	var objects []json.RawMessage
	found := false
	for i = skipSpace(body, i+1); i < len(body) && body[i] == '"'; {
		end := stringEnd(body, i)
		key, _ := decodeString(body[i:end])
		i = skipSpace(body, skipSpace(body, end)+1) // past ':'
		end = valueEnd(body, i)
		if key == "objects" {
			if found {
				return nil, errs.E(errs.Invalid, "the envelope has more than one \"objects\" member")
			}
			found = true
			if body[i] != '[' {
				return nil, errs.E(errs.Invalid, "the envelope's \"objects\" must be a list of STIX objects")
			}
			objects, _ = splitArray(body[i:end])
		}
		i = skipSpace(body, end)
		if i < len(body) && body[i] == ',' {
			i = skipSpace(body, i+1)
		}
	}
	if !found {
		return nil, errs.E(errs.Invalid, "the envelope has no \"objects\" list")
	}
	return objects, nil
}
