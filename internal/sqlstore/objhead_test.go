package sqlstore

import (
	"testing"
)

func sampleHead() headCols {
	return headCols{id: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", typ: "indicator", spec: "2.1",
		org: "org_a", group: "grp_fiu",
		recipients: ",org:org_b,group:grp_x,", sightedOwner: "", version: 1740132000123456, added: -5, tlp: -1, noGranular: true}
}

func TestObjectHeadRoundTrip(t *testing.T) {
	other := sampleHead()
	other.typ = "malware" // not the id's prefix
	for _, c := range []headCols{sampleHead(), other, {}, {typ: "x", id: "x-"}, {typ: "x", id: "x--"}, {tlp: 4, version: 1 << 62, id: string(make([]byte, 300))}} {
		b := appendObjectHead([]byte("prefix"), &c)
		var got headCols
		if err := decodeObjectHead(b[len("prefix"):], &got); err != nil || got != c {
			t.Errorf("decoded %+v, %v; want %+v", got, err, c)
		}
		// Every shorter head is refused, as is one with a byte more.
		head := b[len("prefix"):]
		for n := range len(head) {
			if err := decodeObjectHead(head[:n], &got); err == nil {
				t.Errorf("a head cut to %d of %d bytes decodes", n, len(head))
			}
		}
		if err := decodeObjectHead(append(head[:len(head):len(head)], 0), &got); err == nil {
			t.Error("a head with a trailing byte decodes")
		}
	}
}

// FuzzDecodeObjectHead: heads are read back from a database someone may
// have edited; decoding must fail cleanly, never panic, and what it decodes
// must encode to a head that decodes to the same columns.
func FuzzDecodeObjectHead(f *testing.F) {
	c := sampleHead()
	f.Add(appendObjectHead(nil, &c))
	f.Add([]byte{objectHeadFormat, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c headCols
		if decodeObjectHead(b, &c) != nil {
			return
		}
		var again headCols
		if err := decodeObjectHead(appendObjectHead(nil, &c), &again); err != nil || again != c {
			t.Fatalf("re-encoded head decodes to %+v, %v; want %+v", again, err, c)
		}
	})
}

func BenchmarkDecodeObjectHead(b *testing.B) {
	c := sampleHead()
	head := appendObjectHead(nil, &c)
	b.ReportAllocs()
	for b.Loop() {
		var got headCols
		if err := decodeObjectHead(head, &got); err != nil {
			b.Fatal(err)
		}
	}
}
