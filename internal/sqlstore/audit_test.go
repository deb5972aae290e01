package sqlstore

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
)

func sampleEntries() []audit.Entry {
	es := []audit.Entry{
		{Time: time.Date(2026, 11, 27, 4, 0, 0, 123456000, time.UTC), Actor: "key_a", OrgID: "org_a", Action: "GET /api/v1/address/{address}", Target: "/api/v1/address/0xabc", Status: 200},
		{Time: time.Date(2026, 11, 27, 4, 0, 1, 0, time.UTC), Actor: "cli", Action: "admin.key.create", Target: "key_b", Detail: "read indicator--1 indicator--2\nwith a newline, and ünïcode"},
		{Time: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), Actor: "invalid-key@127.0.0.1", Action: "GET /taxii2/", Target: strings.Repeat("/x", 5000), Status: 401},
	}
	audit.Chain(41, strings.Repeat("ab", 32), es)
	return es
}

func TestAuditBlockRoundTrip(t *testing.T) {
	es := sampleEntries()
	b, err := EncodeAuditBlock(es)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAuditBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, es) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, es)
	}
	// The first entry of a log has no link.
	first := sampleEntries()[:1]
	audit.Chain(0, "", first)
	b, _ = EncodeAuditBlock(first)
	if got, err := DecodeAuditBlock(b); err != nil || got[0].Prev != "" || got[0].Hash != first[0].Hash {
		t.Fatalf("first entry: %+v, %v", got, err)
	}
}

func TestAuditBlockRefusesWhatIsNotOne(t *testing.T) {
	es := sampleEntries()
	b, _ := EncodeAuditBlock(es)
	for name, bad := range map[string][]byte{
		"empty":             nil,
		"unknown format":    append([]byte{2}, b[1:]...),
		"cut short":         b[:len(b)-1],
		"trailing bytes":    append(append([]byte{}, b...), 0),
		"count beyond size": {1, 0xff, 0xff, 0x03, 0},
		"zero entries":      {1, 0},
	} {
		if _, err := DecodeAuditBlock(bad); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	for _, h := range []string{"not hex", strings.Repeat("ab", 40), strings.Repeat("zz", 32)} {
		es[1].Hash = h
		if _, err := EncodeAuditBlock(es); err == nil || !strings.Contains(err.Error(), "entry 43") {
			t.Errorf("encoding an entry with the hash %q: %v", h, err)
		}
	}
}

// FuzzDecodeAuditBlock: the blocks are read back from a database someone
// may have tampered with; decoding must fail cleanly, never panic, and what
// it decodes must encode to a block that decodes to the same entries.
func FuzzDecodeAuditBlock(f *testing.F) {
	b, _ := EncodeAuditBlock(sampleEntries())
	f.Add(b)
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := DecodeAuditBlock(b)
		if err != nil {
			return
		}
		again, err := EncodeAuditBlock(es)
		if err != nil {
			t.Fatalf("decoded entries do not encode: %v", err)
		}
		es2, err := DecodeAuditBlock(again)
		if err != nil || !reflect.DeepEqual(es2, es) {
			t.Fatalf("re-encoded entries decode to %+v, %v; want %+v", es2, err, es)
		}
	})
}
