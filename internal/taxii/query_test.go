package taxii

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

var all = []string{"added_after", "limit", "next", "id", "type", "version", "spec_version"}

func TestParseQuery(t *testing.T) {
	cases := []struct {
		name  string
		query string
		check func(q *Query) bool
	}{
		{"defaults", "", func(q *Query) bool { return q.Limit == 1000 && q.Versions == VersionLast && q.AddedAfter.IsZero() }},
		{"limit capped", "limit=5000", func(q *Query) bool { return q.Limit == 1000 }},
		{"limit", "limit=7", func(q *Query) bool { return q.Limit == 7 }},
		{"added_after", "added_after=2025-02-21T14:13:35.123Z", func(q *Query) bool {
			return q.AddedAfter.Equal(time.Date(2025, 2, 21, 14, 13, 35, 123000000, time.UTC))
		}},
		{"types", "match[type]=indicator,malware", func(q *Query) bool { return len(q.Types) == 2 && q.Types[1] == "malware" }},
		{"ids", "match[id]=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", func(q *Query) bool { return len(q.IDs) == 1 }},
		{"all versions", "match[version]=all", func(q *Query) bool { return q.Versions == VersionAll }},
		{"first", "match[version]=first", func(q *Query) bool { return q.Versions == VersionFirst }},
		{"timestamps", "match[version]=2025-01-01T00:00:00Z,2025-01-02T00:00:00.5Z", func(q *Query) bool {
			return q.Versions == VersionAt && len(q.Times) == 2
		}},
		{"spec_version", "match[spec_version]=2.1", func(q *Query) bool { return q.SpecVersions[0] == "2.1" }},
		{"unrelated parameters ignored", "foo=bar", func(q *Query) bool { return true }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, _ := url.ParseQuery(c.query)
			q, err := ParseQuery(v, 1000, all...)
			if err != nil || !c.check(q) {
				t.Fatalf("%q: %+v %v", c.query, q, err)
			}
		})
	}
}

func TestParseQueryRefuses(t *testing.T) {
	cases := []struct{ query, mention string }{
		{"limit=0", "limit"},
		{"limit=ten", "limit"},
		{"added_after=yesterday", "added_after"},
		{"match[id]=not-an-id", "match[id]"},
		{"match[type]=Indicator", "match[type]"},
		{"match[version]=last,first", "cannot be combined"},
		{"match[version]=newest", "match[version]"},
		{"match[spec_version]=3.0", "spec_version"},
		{"match[colour]=red", "match[colour]"},
		{"match[type]=a,,b", "empty value"},
		{"limit=1&limit=2", "given 2 times"},
		{"match[type]=" + strings.Repeat("a,", 1000) + "a", "at most"},
	}
	for _, c := range cases {
		v, _ := url.ParseQuery(c.query)
		_, err := ParseQuery(v, 1000, all...)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), c.mention) {
			t.Errorf("%q: %v; want an invalid error mentioning %q", c.query, err, c.mention)
		}
	}
	v, _ := url.ParseQuery("match[type]=indicator")
	if _, err := ParseQuery(v, 1000, "version"); err == nil || !strings.Contains(err.Error(), "supported: match[version]") {
		t.Errorf("unsupported filter on an endpoint: %v", err)
	}
}

func TestCursorsAreBound(t *testing.T) {
	c := NewCursors([]byte("secret"))
	q := &Query{Types: []string{"indicator"}}
	pos := Position{DateAdded: time.UnixMicro(1740147215123456).UTC(), Seq: 42}
	tok := c.Encode("coll-a", q, pos)
	got, err := c.Decode(tok, "coll-a", &Query{Types: []string{"indicator"}, Limit: 5})
	if err != nil || got != pos {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	for name, try := range map[string]func() error{
		"other collection": func() error { _, err := c.Decode(tok, "coll-b", q); return err },
		"other filter":     func() error { _, err := c.Decode(tok, "coll-a", &Query{Types: []string{"malware"}}); return err },
		"other secret":     func() error { _, err := NewCursors([]byte("x")).Decode(tok, "coll-a", q); return err },
		"tampered": func() error {
			b := []byte(tok)
			b[3] ^= 1
			_, err := c.Decode(string(b), "coll-a", q)
			return err
		},
		"garbage": func() error { _, err := c.Decode("!!", "coll-a", q); return err },
	} {
		if err := try(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestExtract(t *testing.T) {
	good := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2025-01-01T00:00:00Z","modified":"2025-01-02T00:00:00.123Z"}`
	o, err := Extract([]byte(good))
	if err != nil || !o.Version.Equal(time.Date(2025, 1, 2, 0, 0, 0, 123000000, time.UTC)) {
		t.Fatalf("%+v %v", o, err)
	}
	bad := map[string]string{
		"not json":       `[`,
		"bad id":         `{"type":"indicator","id":"indicator--x","spec_version":"2.1"}`,
		"type mismatch":  `{"type":"malware","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1"}`,
		"2.0":            `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.0"}`,
		"bad time":       `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1","created":"yesterday"}`,
		"modified early": `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","spec_version":"2.1","created":"2025-01-02T00:00:00Z","modified":"2025-01-01T00:00:00Z"}`,
	}
	for name, raw := range bad {
		if _, err := Extract([]byte(raw)); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10&added_after=2025-01-01T00:00:00Z", "match[version]=all", "match[id]=a--b,c", "match[type]=x&next=AAAA"} {
		f.Add(s)
	}
	c := NewCursors([]byte("k"))
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := ParseQuery(v, 1000, all...)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("%q: error without the invalid code: %v", raw, err)
			}
			return
		}
		if q.Limit < 1 || q.Limit > 1000 {
			t.Fatalf("%q: limit %d", raw, q.Limit)
		}
		if q.Next != "" {
			if _, err := c.Decode(q.Next, "c", q); err == nil {
				t.Fatalf("%q: a next the server never issued was accepted", raw)
			}
		}
	})
}

// TestAppendTimeIsTheLayout: the digit-by-digit AppendTime and FormatTime
// write what the layouts they replace write, for fixed and random times.
func TestAppendTimeIsTheLayout(t *testing.T) {
	layout := func(t time.Time) string {
		t = t.UTC()
		if t.Nanosecond()%int(time.Millisecond) == 0 {
			return t.Format("2006-01-02T15:04:05.000Z")
		}
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	times := []time.Time{time.Unix(0, 0), time.UnixMilli(1740096000123), time.UnixMicro(1740096000123456), time.Unix(0, 1740096000123456789),
		time.Date(2025, 2, 21, 1, 2, 3, 999_000_000, time.FixedZone("x", 3600)), time.Date(0, 1, 1, 0, 0, 0, 1000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		ns := rng.Int64N(250 * 365 * 24 * int64(time.Hour))
		if rng.IntN(2) == 0 {
			ns -= ns % int64(time.Millisecond)
		}
		times = append(times, time.Unix(-62135596800+rng.Int64N(12000*365*24*3600), 0).Add(time.Duration(ns%int64(time.Second))), time.Unix(0, ns))
	}
	for _, ts := range times {
		want := layout(ts)
		if got := string(AppendTime([]byte("x"), ts)); got != "x"+want {
			t.Fatalf("AppendTime(%v) = %q, want %q", ts, got, "x"+want)
		}
		if got := FormatTime(ts); got != want {
			t.Fatalf("FormatTime(%v) = %q, want %q", ts, got, want)
		}
	}
}
