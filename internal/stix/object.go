package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/errs"
)

// Limits that keep hostile input from making decoding explode. Every
// decode is linear in the input, so the size limits bound the work; the
// depth and list limits bound memory per value and recursion.
const (
	MaxObjectBytes   = 4 << 20   // one object
	MaxBundleBytes   = 256 << 20 // one bundle
	MaxBundleObjects = 1_000_000 // objects in one bundle
	MaxDepth         = 32        // nesting of JSON objects and arrays inside one object
	MaxListLen       = 100_000   // elements of one JSON array inside an object
	MaxPatternBytes  = 64 << 10  // one pattern
	maxPatternDepth  = 100       // nesting of parentheses and brackets in a pattern
)

// Object is one STIX object: its raw JSON (kept byte-for-byte as received,
// so a server returns exactly what was posted) plus the common properties.
type Object struct {
	Raw          json.RawMessage
	ID           string    // "type--uuid"
	Type         string    // e.g. "indicator"
	SpecVersion  string    // "2.1" (SCOs may omit it in input; reported as "2.1")
	Created      time.Time // zero for SCOs that have none
	Modified     time.Time // zero when the type has no modified (SCOs, marking-definition): see Version
	CreatedByRef string
	MarkingRefs  []string // object_marking_refs
	Revoked      bool

	props map[string]json.RawMessage
}

// Prop returns the raw JSON of a top-level property, or nil. It lets callers
// read a property without decoding the object again.
func (o *Object) Prop(name string) json.RawMessage { return o.props[name] }

// Version is the TAXII version of the object: modified, else created, else
// zero (the server then uses date_added).
func (o *Object) Version() time.Time {
	if !o.Modified.IsZero() {
		return o.Modified
	}
	return o.Created
}

// Parse decodes and validates one STIX 2.1 object. Errors have code
// errs.Invalid (errs.TooLarge beyond MaxObjectBytes) and name the object id
// and the property, e.g.
// `stix: indicator--8e2e...: property "pattern": pattern: at column 17: expected ']'`.
// Raw holds a copy of raw.
func Parse(raw []byte) (*Object, error) {
	return parse(bytes.Clone(raw))
}

func parse(raw []byte) (*Object, error) {
	if len(raw) > MaxObjectBytes {
		return nil, errs.E(errs.TooLarge, "stix: object of %d bytes exceeds the limit of %d bytes", len(raw), MaxObjectBytes)
	}
	if !utf8.Valid(raw) {
		return nil, errs.E(errs.Invalid, "stix: object is not valid UTF-8")
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errs.E(errs.Invalid, "stix: an object must be a JSON object")
	}
	if _, err := checkShape(trimmed, MaxDepth, MaxListLen); err != nil {
		return nil, err
	}
	if !json.Valid(trimmed) {
		var v any
		err := json.Unmarshal(trimmed, &v) // for the position of the fault
		return nil, errs.E(errs.Invalid, "stix: malformed JSON: %v", err)
	}
	m, dup, ok := splitMembers(trimmed)
	if dup != "" {
		return nil, errs.E(errs.Invalid, "stix: object has duplicate property %q", dup)
	}
	if !ok {
		return nil, errs.E(errs.Invalid, "stix: an object must be a JSON object")
	}
	o := &Object{Raw: raw, props: m}
	c := &checker{m: m, obj: o}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// ParseBundle decodes a STIX 2.1 bundle and parses each of its objects. One
// bad object does not hide the others: objs holds the good ones in bundle
// order and errsByIndex the error of each bad one by its index in the
// bundle. err is set only when the bundle itself is unusable.
func ParseBundle(raw []byte) (objs []*Object, errsByIndex map[int]error, err error) {
	b, err := decodeBundle(raw)
	if err != nil {
		return nil, nil, err
	}
	if b.SpecVersion != "" {
		return nil, nil, errs.E(errs.Invalid, "stix: bundle %s: property \"spec_version\": a STIX 2.1 bundle has none (%q is STIX 2.0; upgrade it first)", b.ID, b.SpecVersion)
	}
	objs = make([]*Object, 0, len(b.Objects))
	for i, r := range b.Objects {
		o, err := parse(r)
		if err != nil {
			if errsByIndex == nil {
				errsByIndex = make(map[int]error)
			}
			errsByIndex[i] = err
			continue
		}
		objs = append(objs, o)
	}
	return objs, errsByIndex, nil
}

type bundle struct {
	Type        string            `json:"type"`
	ID          string            `json:"id"`
	SpecVersion string            `json:"spec_version"`
	Objects     []json.RawMessage `json:"objects"`
}

func decodeBundle(raw []byte) (*bundle, error) {
	if len(raw) > MaxBundleBytes {
		return nil, errs.E(errs.TooLarge, "stix: bundle of %d bytes exceeds the limit of %d bytes", len(raw), MaxBundleBytes)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errs.E(errs.Invalid, "stix: a bundle must be a JSON object")
	}
	// The objects array sits one level deeper than an object's own content.
	if _, err := checkShape(trimmed, MaxDepth+2, MaxBundleObjects); err != nil {
		return nil, err
	}
	var b bundle
	if err := json.Unmarshal(trimmed, &b); err != nil {
		return nil, errs.E(errs.Invalid, "stix: malformed bundle: %v", err)
	}
	if b.Type != "bundle" {
		return nil, errs.E(errs.Invalid, "stix: property \"type\": a bundle has type \"bundle\", not %q", b.Type)
	}
	if err := checkID(b.ID, "bundle"); err != nil {
		return nil, errs.E(errs.Invalid, "stix: bundle: property \"id\": %v", err)
	}
	return &b, nil
}

// checkShape walks raw JSON once, without allocating, to refuse nesting
// deeper than maxDepth and arrays longer than maxList before a decoder sees
// them. It returns the number of member names of the outermost object, so
// that the caller can detect duplicate names (which a decoder silently
// merges, and which other STIX consumers may resolve differently).
func checkShape(raw []byte, maxDepth, maxList int) (topKeys int, err error) {
	type level struct {
		array bool
		n     int
	}
	var stackBuf [64]level
	stack := stackBuf[:0]
	inString, escaped := false, false
	expectKey := false
	for i := 0; i < len(raw); i++ {
		ch := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case ch == '\\':
				escaped = true
			case ch == '"':
				inString = false
			}
			continue
		}
		switch ch {
		case '"':
			inString = true
			if expectKey && len(stack) == 1 {
				topKeys++
			}
			expectKey = false
		case '{', '[':
			if len(stack) >= maxDepth {
				return 0, errs.E(errs.Invalid, "stix: JSON nested deeper than %d levels", maxDepth)
			}
			stack = append(stack, level{array: ch == '['})
			expectKey = ch == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			if n := len(stack); n > 0 {
				top := &stack[n-1]
				if top.array {
					top.n++
					if top.n >= maxList {
						return 0, errs.E(errs.Invalid, "stix: a JSON array has more than %d elements", maxList)
					}
				} else {
					expectKey = true
				}
			}
		}
	}
	return topKeys, nil
}

// checker validates one decoded object and fills obj.
type checker struct {
	m   map[string]json.RawMessage
	obj *Object
	err error // first error; later checks are skipped
}

// name is how error messages refer to the object: its id, else its type.
func (c *checker) name() string {
	if c.obj.ID != "" {
		return c.obj.ID
	}
	if c.obj.Type != "" {
		return c.obj.Type + " (without valid id)"
	}
	return "object"
}

// fail records the first error about property prop.
func (c *checker) fail(prop, format string, args ...any) {
	if c.err == nil {
		c.err = errs.E(errs.Invalid, "stix: %s: property %q: %s", c.name(), prop, fmt.Sprintf(format, args...))
	}
}
