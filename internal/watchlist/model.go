package watchlist

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/errs"
)

// Source names a list; see the package documentation.
type Source string

// The sources whose parsers live here. Plain address lists take the source
// their caller gives.
const (
	SourceOFACSDN Source = "ofac-sdn" // OFAC SDN "Advanced" XML
	SourceOFACCSV Source = "ofac-csv" // OFAC legacy sdn.csv and its companions
	SourceUN      Source = "un"       // UN Security Council consolidated list
	SourceOracle  Source = "oracle"   // Chainalysis sanctions oracle events
)

// Party types. Sources use their own words; parsers map them onto these.
const (
	TypeIndividual = "individual"
	TypeEntity     = "entity"
	TypeVessel     = "vessel"
	TypeAircraft   = "aircraft"
	TypeAddresses  = "addresses" // a label of a plain address list
)

// Entry is one listed party or one label of a plain list.
type Entry struct {
	Source      Source          `json:"source"`
	UID         string          `json:"uid"`
	Name        string          `json:"name"`
	Aliases     []string        `json:"aliases,omitempty"`
	WeakAliases []string        `json:"weak_aliases,omitempty"` // aliases the source marks as low quality
	Type        string          `json:"type,omitempty"`
	Programs    []string        `json:"programs,omitempty"` // OFAC programs (DPRK3, CYBER2), the UN regime (DPRK)
	Listed      time.Time       `json:"listed,omitzero"`
	Updated     time.Time       `json:"updated,omitzero"`
	Remarks     string          `json:"remarks,omitempty"`
	URL         string          `json:"url,omitempty"`
	Addresses   []ListedAddress `json:"addresses,omitempty"`
}

// ListedAddress is one address as a source lists it.
type ListedAddress struct {
	Currency  string          `json:"currency,omitempty"` // as listed: XBT, ETH, USDT; "" for plain lists
	Value     string          `json:"value"`              // as listed, trimmed
	Key       string          `json:"key"`                // address.Key(Value)
	AliasKeys []string        `json:"alias_keys,omitempty"`
	Chains    []address.Chain `json:"chains,omitempty"`  // chains of the currency on which Value is valid
	Invalid   string          `json:"invalid,omitempty"` // why Value is no address of Currency; "" when valid
	UID       string          `json:"uid,omitempty"`     // the entry's UID, set only in a Diff
}

// Meta describes one import.
type Meta struct {
	Source    Source    `json:"source"`
	Issued    time.Time `json:"issued,omitzero"` // the publisher's date of the list, where it has one
	Entries   int       `json:"entries"`
	Addresses int       `json:"addresses"`
	Invalid   int       `json:"invalid"`            // listed addresses with Invalid set
	Problems  []Problem `json:"problems,omitempty"` // every invalid address and every record skipped
}

// Problem is something wrong in a list that did not stop its import.
type Problem struct {
	Line    int    `json:"line,omitempty"`
	UID     string `json:"uid,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

// ErrMalformed is the cause of every ParseError; it carries errs.Invalid
// because a list that does not parse is the caller's input to fix.
var ErrMalformed = errs.E(errs.Invalid, "watchlist: malformed list")

// ParseError is an error that stopped a parser.
type ParseError struct {
	Format  string // "OFAC advanced XML", "UN consolidated XML", ...
	File    string // the file's name, when the reader was a file
	Line    int    // 1-based; 0 when unknown
	Element string // the element or record, e.g. `DistinctParty FixedRef="27307"`
	Msg     string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("watchlist: ")
	b.WriteString(e.Format)
	if e.File != "" {
		b.WriteString(" ")
		b.WriteString(e.File)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Element != "" {
		b.WriteString(" (")
		b.WriteString(e.Element)
		b.WriteString(")")
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *ParseError) Unwrap() error { return ErrMalformed }

// fileName names r's file for error messages when r is one.
func fileName(r io.Reader) string {
	if f, ok := r.(interface{ Name() string }); ok {
		return f.Name()
	}
	return ""
}

// NewListedAddress validates value as an address of currency (an OFAC
// currency code, or "" when the list does not say) and fills Key, AliasKeys,
// Chains and Invalid. It never fails: an invalid value is kept, and Invalid
// says why.
func NewListedAddress(currency, value string) ListedAddress {
	cur := strings.ToUpper(strings.TrimSpace(currency))
	v := strings.TrimSpace(value)
	la := ListedAddress{Currency: cur, Value: v, Key: address.Key(v)}
	if v == "" {
		la.Invalid = "empty address"
		return la
	}
	var valid []address.Address
	chains := address.ChainOfSDN(cur)
	if cur == "" || chains == nil {
		valid = address.Detect(v)
		if len(valid) == 0 {
			if _, err := address.Parse(v, ""); err != nil {
				la.Invalid = errs.MessageOf(err)
			} else {
				la.Invalid = "not an address of any known chain"
			}
		}
	} else {
		var first error
		for _, c := range chains {
			a, err := address.Parse(v, c)
			if err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			valid = append(valid, a)
		}
		if len(valid) == 0 {
			la.Invalid = errs.MessageOf(first)
		}
	}
	for _, a := range valid {
		if !slices.Contains(la.Chains, a.Chain) {
			la.Chains = append(la.Chains, a.Chain)
		}
		for _, al := range a.Aliases() {
			if al.Key != la.Key && !slices.Contains(la.AliasKeys, al.Key) {
				la.AliasKeys = append(la.AliasKeys, al.Key)
			}
		}
	}
	return la
}

// addressProblems reports every invalid address of es in m.
func (m *Meta) count(es []Entry) {
	m.Entries = len(es)
	m.Addresses, m.Invalid = 0, 0
	for i := range es {
		for _, a := range es[i].Addresses {
			m.Addresses++
			if a.Invalid != "" {
				m.Invalid++
				m.Problems = append(m.Problems, Problem{UID: es[i].UID, Value: a.Value, Message: a.Invalid})
			}
		}
	}
}

// date returns the UTC midnight of y-m-d, or the zero time when the parts do
// not form a date.
func date(y, m, d int) time.Time {
	if y < 1 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}
	}
	return t
}

// parseDate accepts the date notations of the lists: 2006-01-02 (optionally
// followed by a time), 02 Jan 2006, and 01/02/2006 (US order).
func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02", "02 Jan 2006", "2 Jan 2006", "01/02/2006", "1/2/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if len(s) > 10 {
		if t, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a date: " + s)
}

// appendUnique appends s to list unless it is empty or already there.
func appendUnique(list []string, s string) []string {
	s = strings.TrimSpace(s)
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
