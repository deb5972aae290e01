package stix

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file decodes single property values for the checker. Each helper
// returns ok=false when the property is absent or wrong; a wrong value also
// records the error, so callers just stop using it.

func (c *checker) has(prop string) bool { _, ok := c.m[prop]; return ok }

func (c *checker) require(props ...string) {
	for _, p := range props {
		if !c.has(p) {
			c.fail(p, "required for %s", c.obj.Type)
		}
	}
}

// decodeString takes the fast path for the common string without escapes.
func decodeString(raw json.RawMessage) (string, bool) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

func (c *checker) str(prop string) (string, bool) {
	raw, ok := c.m[prop]
	if !ok {
		return "", false
	}
	s, ok := decodeString(raw)
	if !ok {
		c.fail(prop, "must be a string")
	}
	return s, ok
}

// decodeList splits a JSON array into its elements.
func decodeList(raw json.RawMessage) ([]json.RawMessage, bool) {
	return splitArray(raw)
}

func decodeStringList(raw json.RawMessage) ([]string, string) {
	l, ok := decodeList(raw)
	if !ok {
		return nil, "must be a list of strings"
	}
	if len(l) == 0 {
		return nil, "must not be an empty list"
	}
	out := make([]string, len(l))
	for i, e := range l {
		s, ok := decodeString(e)
		if !ok {
			return nil, fmt.Sprintf("element %d must be a string", i)
		}
		out[i] = s
	}
	return out, ""
}

func (c *checker) strList(prop string) ([]string, bool) {
	raw, ok := c.m[prop]
	if !ok {
		return nil, false
	}
	l, msg := decodeStringList(raw)
	if msg != "" {
		c.fail(prop, "%s", msg)
		return nil, false
	}
	return l, true
}

func (c *checker) boolean(prop string) (bool, bool) {
	raw, ok := c.m[prop]
	if !ok {
		return false, false
	}
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	c.fail(prop, "must be true or false")
	return false, false
}

func (c *checker) integer(prop string, lo, hi int64) (int64, bool) {
	raw, ok := c.m[prop]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		c.fail(prop, "must be an integer")
		return 0, false
	}
	if n < lo || n > hi {
		c.fail(prop, "%d is outside %d..%d", n, lo, hi)
		return 0, false
	}
	return n, true
}

func (c *checker) number(prop string, lo, hi float64) (float64, bool) {
	raw, ok := c.m[prop]
	if !ok {
		return 0, false
	}
	if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		c.fail(prop, "must be a number")
		return 0, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		c.fail(prop, "must be a number")
		return 0, false
	}
	if f < lo || f > hi {
		c.fail(prop, "%v is outside %v..%v", f, lo, hi)
		return 0, false
	}
	return f, true
}

func (c *checker) dict(prop string) (map[string]json.RawMessage, bool) {
	raw, ok := c.m[prop]
	if !ok {
		return nil, false
	}
	d, msg := decodeDict(raw)
	if msg != "" {
		c.fail(prop, "%s", msg)
		return nil, false
	}
	return d, true
}

func decodeDict(raw json.RawMessage) (map[string]json.RawMessage, string) {
	d, dup, ok := splitMembers(raw)
	if dup != "" {
		return nil, fmt.Sprintf("has duplicate key %q", dup)
	}
	if !ok {
		return nil, "must be a dictionary (JSON object)"
	}
	if len(d) == 0 {
		return nil, "must not be an empty dictionary"
	}
	return d, ""
}

// ParseTimestamp parses a STIX timestamp: RFC 3339 in UTC with "Z",
// keeping any sub-second digits (up to nanoseconds).
func ParseTimestamp(s string) (time.Time, error) {
	// Shape first: time.Parse accepts offsets and lower-case letters that
	// STIX forbids, and its errors are not for end users.
	if len(s) < 20 || s[len(s)-1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, fmt.Errorf("%q is not a timestamp like 2016-05-12T08:17:27.000Z (RFC 3339, UTC with Z)", s)
	}
	for i := 0; i < 19; i++ {
		if i == 4 || i == 7 || i == 10 || i == 13 || i == 16 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, fmt.Errorf("%q is not a timestamp like 2016-05-12T08:17:27.000Z (RFC 3339, UTC with Z)", s)
		}
	}
	if rest := s[19 : len(s)-1]; rest != "" {
		if rest[0] != '.' || len(rest) == 1 || len(rest) > 10 {
			return time.Time{}, fmt.Errorf("%q has a malformed fraction of a second (1 to 9 digits after '.')", s)
		}
		for i := 1; i < len(rest); i++ {
			if rest[i] < '0' || rest[i] > '9' {
				return time.Time{}, fmt.Errorf("%q has a malformed fraction of a second", s)
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a valid date and time", s)
	}
	return t, nil
}

func (c *checker) ts(prop string) (time.Time, bool) {
	s, ok := c.str(prop)
	if !ok {
		return time.Time{}, false
	}
	t, err := ParseTimestamp(s)
	if err != nil {
		c.fail(prop, "%v", err)
		return time.Time{}, false
	}
	return t, true
}

// notBefore checks that later is not before earlier (strict: later must be
// after earlier).
func (c *checker) order(earlier, later string, strict bool) {
	a, ok1 := c.ts(earlier)
	b, ok2 := c.ts(later)
	if !ok1 || !ok2 {
		return
	}
	if b.Before(a) || strict && b.Equal(a) {
		rel := "not be before"
		if strict {
			rel = "be after"
		}
		c.fail(later, "must %s %s", rel, earlier)
	}
}

// isUUID accepts any RFC 4122 textual UUID (8-4-4-4-12 hex digits). The
// spec wants v4 for SDOs and v5 for SCOs, but real producers vary and the
// id stays opaque to us.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		ch := s[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F') {
				return false
			}
		}
	}
	return true
}

// validTypeName reports whether s can be a STIX object type: 3-250 of
// a-z, 0-9 and '-', starting with a letter, without "--" (the id separator).
func validTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' || strings.Contains(s, "--") {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
			return false
		}
	}
	return true
}

// validPropName implements ^[a-z0-9_]{3,250}$ (and "id").
func validPropName(s string) bool {
	if s == "id" {
		return true
	}
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

// IDType returns the type prefix of a STIX id ("indicator" for
// "indicator--…"), or "" when id is not of the form type--uuid.
func IDType(id string) string {
	i := strings.Index(id, "--")
	if i <= 0 || !validTypeName(id[:i]) || !isUUID(id[i+2:]) {
		return ""
	}
	return id[:i]
}

// checkID checks that id is "typ--uuid"; typ "" accepts any type.
func checkID(id, typ string) error {
	t := IDType(id)
	if t == "" {
		return fmt.Errorf("%q is not an id of the form type--uuid", id)
	}
	if typ != "" && t != typ {
		return fmt.Errorf("id %q does not start with its type %q", id, typ+"--")
	}
	return nil
}

func isBase64(s string) bool {
	_, err := base64.StdEncoding.DecodeString(s)
	return err == nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
