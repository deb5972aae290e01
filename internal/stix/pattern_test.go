package stix

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

func TestParsePatternValid(t *testing.T) {
	cases := []struct {
		in    string
		canon string       // String() of the parse; "" = same as in
		cmps  []Comparison // Column ignored when 0
	}{
		{in: "[cryptocurrency-wallet:address = '0x098B716B8Aaf21512996dC57EB0615e2383E2f96']",
			cmps: []Comparison{{Path: ObjectPath{"cryptocurrency-wallet", []PathStep{{Key: "address"}}}, Operator: "=", Value: "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", Column: 2}}},
		{in: "[file:hashes.'SHA-256' = 'ef53']",
			cmps: []Comparison{{Path: ObjectPath{"file", []PathStep{{Key: "hashes"}, {Key: "SHA-256"}}}, Operator: "=", Value: "ef53"}}},
		{in: "[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
			cmps: []Comparison{{Path: ObjectPath{"email-message", []PathStep{{Key: "body_multipart"}, {AnyIndex: true}, {Key: "body_raw_ref"}, {Key: "name"}}}, Operator: "MATCHES", Value: `^Final Report.+\.exe$`}}},
		{in: "[ ipv4-addr:value = '10.0.0.0' ]", canon: "[ipv4-addr:value = '10.0.0.0']"},
		{in: "[file:extensions.'windows-pebinary-ext'.sections[0].entropy > 7.5]"},
		{in: "[process:extensions.'windows-process-ext'.integrity_level != 'low' AND process:pid <= -1]"},
		{in: "[a:b = 1 OR a:c = 2 AND a:d = 3]", canon: "[a:b = 1 OR (a:c = 2 AND a:d = 3)]"},
		{in: "[(a:b = 1 OR a:c = 2) AND a:d = 3]", canon: "[(a:b = 1 OR a:c = 2) AND a:d = 3]"},
		{in: "[a:b = 1] AND [a:c = 2] OR [a:d = 3] FOLLOWEDBY [a:e = 4]", canon: "(([a:b = 1] AND [a:c = 2]) OR [a:d = 3]) FOLLOWEDBY [a:e = 4]"},
		{in: "([a:b = 1] OR [a:c = 2]) WITHIN 300 SECONDS", canon: "([a:b = 1] OR [a:c = 2]) WITHIN 300 SECONDS"},
		{in: "[a:b = 1] REPEATS 5 TIMES WITHIN 1.5 SECONDS"},
		{in: "[a:b = 1] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.5Z'"},
		{in: "[network-traffic:dst_port IN (443, 8443) AND network-traffic:protocols[0] NOT IN ('udp')]"},
		{in: "[ipv4-addr:value ISSUBSET '198.51.100.0/24']"},
		{in: "[ipv4-addr:value NOT ISSUPERSET '198.51.100.0/24']"},
		{in: "[file:name LIKE 'inv%.exe']"},
		{in: "[EXISTS windows-registry-key:values]"},
		{in: "[x:flag = true AND x:other != FALSE]", canon: "[x:flag = true AND x:other != false]"},
		{in: "[artifact:payload_bin = b'aGVsbG8=' OR artifact:x_hex = h'0aff']", canon: "[artifact:payload_bin = b'aGVsbG8=' OR artifact:x_hex = h'0aff']"},
		{in: "[x:t > t'2016-01-01T00:00:00.000Z']", canon: "[x:t > t'2016-01-01T00:00:00Z']"},
		{in: `[file:name = 'it\'s \\ here']`},
		{in: "[x:a <> 1]", canon: "[x:a != 1]"},
		{in: "[x:f = .5 AND x:g = +3 AND x:h = -0.25]", canon: "[(x:f = 0.5 AND x:g = 3) AND x:h = -0.25]"},
		{in: "[x:a IN ()]"},
		{in: "[file:name = '이름']"},
		{in: "[x:a = 1] and [x:b = 2] within 5 seconds", canon: "[x:a = 1] AND [x:b = 2] WITHIN 5 SECONDS"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			p, err := ParsePattern(c.in)
			if err != nil {
				t.Fatal(err)
			}
			want := c.canon
			if want == "" {
				want = c.in
			}
			if got := p.String(); got != want {
				t.Errorf("String() = %s\nwant        %s", got, want)
			}
			// The canonical form parses to the same tree.
			p2, err := ParsePattern(p.String())
			if err != nil || !reflect.DeepEqual(stripColumns(p2.Comparisons()), stripColumns(p.Comparisons())) {
				t.Errorf("canonical form does not round-trip: %v", err)
			}
			if c.cmps != nil {
				got := p.Comparisons()
				if c.cmps[0].Column == 0 {
					got = stripColumns(got)
				}
				if !reflect.DeepEqual(got, c.cmps) {
					t.Errorf("Comparisons() = %#v\nwant %#v", got, c.cmps)
				}
			}
		})
	}
}

func stripColumns(cs []Comparison) []Comparison {
	out := make([]Comparison, len(cs))
	for i, c := range cs {
		c.Column = 0
		out[i] = c
	}
	return out
}

func TestPatternValues(t *testing.T) {
	p, err := ParsePattern("[x:a = 'w' AND x:b = 42 AND x:c = 1.25 AND x:d = true AND x:e = t'2020-01-02T03:04:05.123Z' AND x:f = h'00ff' AND x:g = b'AAE=' AND x:h IN ('p', 2)]")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"w", int64(42), 1.25, true, time.Date(2020, 1, 2, 3, 4, 5, 123e6, time.UTC), Hex{0, 0xff}, Binary{0, 1}, []any{"p", int64(2)}}
	cs := p.Comparisons()
	if len(cs) != len(want) {
		t.Fatalf("%d comparisons", len(cs))
	}
	for i, c := range cs {
		if !reflect.DeepEqual(c.Value, want[i]) {
			t.Errorf("%s: value %#v, want %#v", c.Path, c.Value, want[i])
		}
	}
	if cs[7].Path.Property() != "h" || cs[0].Path.ObjectType != "x" {
		t.Error("path accessors")
	}
	q := p.Expr.(*Observation)
	if q == nil {
		t.Fatal("not an observation")
	}
}

func TestParsePatternInvalid(t *testing.T) {
	cases := []struct{ in, want string }{
		{"[file:name = 'x'", "at column 17: expected ']', found end of pattern"},
		{"", "at column 1: expected '[' or '('"},
		{"file:name = 'x'", "at column 1: expected '[' or '('"},
		{"[file:name = 'x']]", "at column 18: unexpected ']' after the end"},
		{"[file:name]", "at column 11: expected a comparison operator"},
		{"[file = 'x']", "at column 7: expected ':'"},
		{"[file:name = ]", "at column 14: expected a constant"},
		{"[file:name = 'x]", "at column 14: unterminated string"},
		{`[file:name = 'a\nb']`, `at column 16: invalid escape`},
		{"[file:hashes.SHA-256 = 'x']", "at column 14: property name \"SHA-256\" contains '-'"},
		{"[file:name = 'x' AND]", "at column 21: expected an object path"},
		{"[file:name = 'x'] AND", "at column 22: expected '[' or '('"},
		{"[file:name = 'x'] WITHIN SECONDS", "at column 26: WITHIN needs a number"},
		{"[file:name = 'x'] WITHIN 0 SECONDS", "WITHIN needs a positive number"},
		{"[file:name = 'x'] WITHIN 5", "at column 27: expected SECONDS"},
		{"[file:name = 'x'] REPEATS 1.5 TIMES", "REPEATS needs a positive integer"},
		{"[file:name = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-05-01T00:00:00Z'", "STOP must be after START"},
		{"[file:name = 'x'] START '2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", "START needs a timestamp"},
		{"[x:t = t'2016-06-01 00:00:00']", "bad timestamp"},
		{"[x:t = t'2016-06-01T00:00:00+01:00']", "bad timestamp"},
		{"[x:h = h'abc']", "bad hex constant"},
		{"[x:b = b'abc']", "bad binary constant"},
		{"[x:a LIKE 5]", "LIKE needs a string"},
		{"[x:a MATCHES true]", "MATCHES needs a string"},
		{"[x:a IN 'x']", "IN needs a list"},
		{"[x:a IN ('x' 'y')]", "expected ','"},
		{"[x:a > true]", "> cannot compare with a boolean"},
		{"[x:a = 007]", "bad integer 007"},
		{"[x:a = 99999999999999999999]", "out of range"},
		{"[x:a[x] = 1]", "expected a list index"},
		{"[x:a = 1 # 2]", "unexpected character '#'"},
		{"[x:a = 1] FOLLOWEDBY", "expected '[' or '('"},
		{"[NOT x:a = 1]", "expected ':'"},
		{"[x:a = 1", "expected ']'"},
		{"([x:a = 1]", "expected ')'"},
		{strings.Repeat("(", 200) + "[x:a = 1]" + strings.Repeat(")", 200), "nested deeper than"},
		{"[" + strings.Repeat("(", 200) + "x:a = 1" + strings.Repeat(")", 200) + "]", "nested deeper than"},
		{"[x:a = '" + strings.Repeat("a", MaxPatternBytes) + "']", "longer than"},
	}
	for _, c := range cases {
		t.Run(c.in[:min(len(c.in), 60)], func(t *testing.T) {
			_, err := ParsePattern(c.in)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errs.Is(err, errs.Invalid) || !strings.HasPrefix(err.Error(), "stix: pattern: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want one containing %q", err, c.want)
			}
		})
	}
}

// TestPatternErrorInObject shows the message a TAXII client gets.
func TestPatternErrorInObject(t *testing.T) {
	_, err := Parse(encode(t, with(minimal("indicator"), "pattern", "[file:name = 'x'")))
	want := `stix: ` + idOf("indicator") + `: property "pattern": pattern: at column 17: expected ']', found end of pattern`
	if err == nil || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

func TestExamplePatterns(t *testing.T) {
	_, raws := exampleObjects(t)
	n := 0
	for _, raw := range raws {
		o, err := Parse(raw)
		if err != nil || o.Type != "indicator" {
			continue
		}
		var v struct {
			Pattern string `json:"pattern"`
		}
		decodeInto(t, o.Raw, &v)
		p, err := ParsePattern(v.Pattern)
		if err != nil {
			t.Errorf("%s: %v", o.ID, err)
			continue
		}
		if len(p.Comparisons()) == 0 {
			t.Errorf("%s: no comparisons", o.ID)
		}
		n++
	}
	if n != 43 {
		t.Errorf("parsed %d example patterns, want 43", n)
	}
}
