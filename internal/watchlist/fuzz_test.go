package watchlist

import (
	"bytes"
	"compress/bzip2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/errs"
)

func TestOFACAdvancedSmall(t *testing.T) {
	data, err := os.ReadFile("testdata/sdn_small.xml")
	if err != nil {
		t.Fatal(err)
	}
	es, meta, err := ParseOFACAdvanced(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || meta.Addresses != 2 || meta.Invalid != 1 || meta.Issued.Format("2006-01-02") != "2025-01-02" {
		t.Fatalf("%+v %+v", es, meta)
	}
	e := es[0]
	if e.Name != "EXAMPLE, Jong Un" || e.Type != TypeIndividual || e.Remarks != "Example & remark" || strings.Join(e.WeakAliases, ",") != "Exemplar" ||
		strings.Join(e.Programs, ",") != "DPRK3" || e.Listed.Format("2006-01-02") != "2020-03-04" || e.Addresses[1].Currency != "NEWCOIN" {
		t.Errorf("%+v", e)
	}
	// A truncated document is an error that names the element and line.
	_, _, err = ParseOFACAdvanced(bytes.NewReader(data[:len(data)*2/3]))
	if err == nil || !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "line") {
		t.Errorf("truncated: %v", err)
	}
}

func FuzzParseOFACAdvanced(f *testing.F) {
	data, _ := os.ReadFile("testdata/sdn_small.xml")
	f.Add(data)
	f.Add([]byte(`<Sanctions><DistinctParty FixedRef="1"/></Sanctions>`))
	f.Add([]byte(`<DistinctParty FixedRef="1"><Profile ID="1"><Feature FeatureTypeID="1"><VersionDetail>x</VersionDetail></Feature></Profile></DistinctParty>`))
	f.Add([]byte("BZh9"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, _, err := ParseOFACAdvanced(bytes.NewReader(b))
		if err != nil && !errs.Is(err, errs.Invalid) {
			if _, bz := err.(bzip2.StructuralError); !bz && !strings.Contains(err.Error(), "bzip2") {
				t.Fatalf("error without code: %v", err)
			}
		}
		for _, e := range es {
			if e.UID == "" {
				t.Fatal("entry without UID")
			}
		}
	})
}

func FuzzParseOFACCSV(f *testing.F) {
	f.Add(`100,"EXAMPLE, Person","individual","CYBER2] [DPRK3",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"Digital Currency Address - ETH 0x098B"`, `100,"716B8Aaf21512996dC57EB0615e2383E2f96."`)
	f.Add("1,\"a\"\x1a", "")
	f.Fuzz(func(t *testing.T, sdn, comments string) {
		es, meta, err := ParseOFACCSV(strings.NewReader(sdn), strings.NewReader(comments))
		if err != nil {
			return
		}
		if meta.Entries != len(es) {
			t.Fatal("count")
		}
	})
}

func FuzzParseUN(f *testing.F) {
	f.Add(`<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z"><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>RI</FIRST_NAME><SECOND_NAME>WON HO</SECOND_NAME><UN_LIST_TYPE>DPRK</UN_LIST_TYPE><REFERENCE_NUMBER>KPi.033</REFERENCE_NUMBER><LISTED_ON>2016-11-30</LISTED_ON><INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Ri Won-ho</ALIAS_NAME></INDIVIDUAL_ALIAS></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>`)
	f.Add(`<CONSOLIDATED_LIST><ENTITIES><ENTITY><FIRST_NAME>X</FIRST_NAME></ENTITY></ENTITIES></CONSOLIDATED_LIST>`)
	f.Fuzz(func(t *testing.T, in string) {
		es, _, err := ParseUN(strings.NewReader(in))
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("error without code: %v", err)
		}
		for _, e := range es {
			if e.UID == "" {
				t.Fatal("entry without UID")
			}
		}
	})
}

func FuzzParseAddressList(f *testing.F) {
	f.Add("# c\n0x098B716B8Aaf21512996dC57EB0615e2383E2f96,label\n1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2\n")
	f.Add("address,label\nbitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a;x\n")
	f.Fuzz(func(t *testing.T, in string) {
		es, _, err := ParseAddressList(strings.NewReader(in), "fuzz", "")
		if err != nil {
			return
		}
		ix := NewIndex(es)
		for _, e := range es {
			for _, a := range e.Addresses {
				// A value whose key is empty ("bitcoincash:") names nothing.
				if a.Key != "" && len(ix.Lookup(a.Value)) == 0 {
					t.Fatalf("%q listed but not found", a.Value)
				}
			}
		}
	})
}

func FuzzParseOracleEvents(f *testing.F) {
	f.Add(`[{"blockNum":1,"blockHash":"0x1","addrs":["0x098B716B8Aaf21512996dC57EB0615e2383E2f96"]},{"blockNum":2,"removed":true,"addrs":["0x098b716b8aaf21512996dc57eb0615e2383e2f96"]}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, in string) {
		es, _, err := ParseOracleEvents(strings.NewReader(in))
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Fatalf("error without code: %v", err)
		}
		seen := map[string]bool{}
		for _, e := range es {
			if seen[e.UID] {
				t.Fatalf("%s twice", e.UID)
			}
			seen[e.UID] = true
		}
	})
}

func FuzzScreenName(f *testing.F) {
	ix := NewIndex([]Entry{
		{Source: "un", UID: "1", Name: "KIM JONG UN", Aliases: []string{"Kim Jong-un"}},
		{Source: "un", UID: "2", Name: "Zoë Müller-Lüdenscheidt", WeakAliases: []string{"Z. M."}},
		{Source: "ofac-sdn", UID: "3", Name: "LAZARUS GROUP"},
	})
	f.Add("Kim Jongun")
	f.Add("ch'o'l ŏ ß 金铁三")
	f.Add(strings.Repeat("a ", 40))
	f.Fuzz(func(t *testing.T, q string) {
		for _, h := range ix.ScreenName(q, NameOptions{Threshold: 0.5}) {
			if h.Score < 0.5 || h.Score > 1 || !utf8.ValidString(h.Matched) {
				t.Fatalf("%+v", h)
			}
		}
	})
}
