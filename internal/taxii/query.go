package taxii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// VersionKind selects versions by match[version].
type VersionKind int

const (
	VersionLast  VersionKind = iota // the default
	VersionFirst                    //
	VersionAll                      //
	VersionAt                       // the versions listed in Times
)

// Query is a parsed TAXII filter.
type Query struct {
	AddedAfter   time.Time // zero: none
	Limit        int
	Next         string
	IDs          []string
	Types        []string
	Versions     VersionKind
	Times        []time.Time // for VersionAt
	SpecVersions []string
	SightingOf   string // only sightings of this object (set by the service, not a URL filter)
}

const maxListItems = 1000

var (
	typeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}$`)
	idRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,249}--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// ValidID reports whether s has the form type--UUID.
func ValidID(s string) bool { return idRE.MatchString(s) }

// ParseTime parses a TAXII/STIX timestamp (RFC 3339).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// ParseQuery parses the filter parameters of a TAXII request. allowed lists
// the match[...] fields the endpoint supports; others are refused with a
// message naming them. limit defaults to and is capped at maxLimit.
func ParseQuery(v url.Values, maxLimit int, allowed ...string) (*Query, error) {
	q := &Query{Limit: maxLimit}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for name, vals := range v {
		if len(vals) > 1 {
			return nil, errs.E(errs.Invalid, "query parameter %s given %d times; give it once (lists are comma-separated)", name, len(vals))
		}
		val := vals[0]
		field, isMatch := strings.CutPrefix(name, "match[")
		if isMatch {
			field, isMatch = strings.CutSuffix(field, "]")
		}
		if !isMatch {
			switch name {
			case "added_after":
				if !ok["added_after"] {
					return nil, errs.E(errs.Invalid, "added_after is not supported here")
				}
				t, err := ParseTime(val)
				if err != nil {
					return nil, errs.E(errs.Invalid, "added_after: want an RFC 3339 timestamp such as 2025-02-21T14:13:00.000Z, not %q", val)
				}
				q.AddedAfter = t
			case "limit":
				if !ok["limit"] {
					return nil, errs.E(errs.Invalid, "limit is not supported here")
				}
				n, err := strconv.Atoi(val)
				if err != nil || n < 1 {
					return nil, errs.E(errs.Invalid, "limit: want a positive integer, not %q", val)
				}
				q.Limit = min(n, maxLimit)
			case "next":
				if !ok["next"] {
					return nil, errs.E(errs.Invalid, "next is not supported here")
				}
				if len(val) > 200 {
					return nil, errs.E(errs.Invalid, "next: not a token this server issued")
				}
				q.Next = val
			}
			continue // other parameters are not filters
		}
		if !ok[field] {
			return nil, errs.E(errs.Invalid, "match[%s] is not a filter this endpoint supports (supported: %s)", field, supportedList(allowed))
		}
		items := strings.Split(val, ",")
		if len(items) > maxListItems {
			return nil, errs.E(errs.Invalid, "match[%s]: at most %d values", field, maxListItems)
		}
		for i := range items {
			items[i] = strings.TrimSpace(items[i])
			if items[i] == "" {
				return nil, errs.E(errs.Invalid, "match[%s]: empty value in the list", field)
			}
		}
		switch field {
		case "id":
			for _, id := range items {
				if !ValidID(id) {
					return nil, errs.E(errs.Invalid, "match[id]: %q is not a STIX id (type--UUID)", id)
				}
			}
			q.IDs = items
		case "type":
			for _, t := range items {
				if !typeRE.MatchString(t) {
					return nil, errs.E(errs.Invalid, "match[type]: %q is not a STIX type", t)
				}
			}
			q.Types = items
		case "version":
			if err := q.parseVersions(items); err != nil {
				return nil, err
			}
		case "spec_version":
			for _, s := range items {
				if s != "2.0" && s != "2.1" {
					return nil, errs.E(errs.Invalid, "match[spec_version]: want 2.0 or 2.1, not %q", s)
				}
			}
			q.SpecVersions = items
		}
	}
	return q, nil
}

func (q *Query) parseVersions(items []string) error {
	for _, it := range items {
		switch it {
		case "last", "first", "all":
			if len(items) > 1 {
				return errs.E(errs.Invalid, "match[version]: %q cannot be combined with other values", it)
			}
			q.Versions = map[string]VersionKind{"last": VersionLast, "first": VersionFirst, "all": VersionAll}[it]
		default:
			t, err := ParseTime(it)
			if err != nil {
				return errs.E(errs.Invalid, "match[version]: want last, first, all or RFC 3339 timestamps, not %q", it)
			}
			q.Versions = VersionAt
			q.Times = append(q.Times, t.Truncate(time.Microsecond))
		}
	}
	return nil
}

func supportedList(allowed []string) string {
	var m []string
	for _, a := range allowed {
		if a != "added_after" && a != "limit" && a != "next" {
			m = append(m, "match["+a+"]")
		}
	}
	if len(m) == 0 {
		return "none"
	}
	return strings.Join(m, ", ")
}

// fingerprint is a canonical form of the filters that a cursor is bound to
// (limit may change between pages; the filters may not).
func (q *Query) fingerprint() string {
	var b strings.Builder
	b.WriteString(strconv.FormatInt(q.AddedAfter.UnixMicro(), 10))
	for _, list := range [][]string{q.IDs, q.Types, q.SpecVersions} {
		s := append([]string(nil), list...)
		sort.Strings(s)
		b.WriteString("|" + strings.Join(s, ","))
	}
	b.WriteString("|" + strconv.Itoa(int(q.Versions)))
	for _, t := range q.Times {
		b.WriteString("," + strconv.FormatInt(t.UnixMicro(), 10))
	}
	return b.String()
}

// Cursors issues and checks `next` tokens.
type Cursors struct{ secret []byte }

// NewCursors returns a token codec keyed by secret.
func NewCursors(secret []byte) *Cursors { return &Cursors{secret: secret} }

func (c *Cursors) mac(collectionID string, q *Query, payload []byte) []byte {
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte(collectionID))
	m.Write([]byte{0})
	m.Write([]byte(q.fingerprint()))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)[:16]
}

// Encode returns the token for the position after pos.
func (c *Cursors) Encode(collectionID string, q *Query, pos Position) string {
	var buf [32]byte
	binary.BigEndian.PutUint64(buf[0:8], uint64(pos.DateAdded.UnixMicro()))
	binary.BigEndian.PutUint64(buf[8:16], uint64(pos.Seq))
	copy(buf[16:], c.mac(collectionID, q, buf[:16]))
	return base64.RawURLEncoding.EncodeToString(buf[:])
}

// Decode checks a token against the collection and query it must belong to.
func (c *Cursors) Decode(token, collectionID string, q *Query) (Position, error) {
	bad := errs.E(errs.Invalid, "next: this token does not belong to this collection and filter; start again without next")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 32 {
		return Position{}, bad
	}
	if !hmac.Equal(b[16:], c.mac(collectionID, q, b[:16])) {
		return Position{}, bad
	}
	return Position{
		DateAdded: time.UnixMicro(int64(binary.BigEndian.Uint64(b[0:8]))).UTC(),
		Seq:       int64(binary.BigEndian.Uint64(b[8:16])),
	}, nil
}
