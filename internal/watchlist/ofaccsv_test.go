package watchlist

import (
	"os"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/testenv"
)

func open(t testing.TB, rel string) *os.File {
	t.Helper()
	f, err := os.Open(testenv.SharedData(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestOFACCSVReal2021(t *testing.T) {
	dir := "sanctions/ofac-csv-2021/"
	es, meta, err := ParseOFACCSVFiles(OFACCSVFiles{SDN: open(t, dir+"sdn.csv"), Alt: open(t, dir+"alt.csv"), Comments: open(t, dir+"sdn_comments.csv")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries, %d addresses, %d invalid, %d problems", meta.Entries, meta.Addresses, meta.Invalid, len(meta.Problems))
	for _, p := range meta.Problems {
		if p.Value != "" {
			t.Logf("problem: %+v", p)
		}
	}
	var laz *Entry
	for i := range es {
		if es[i].UID == "27307" {
			laz = &es[i]
		}
	}
	if laz == nil || laz.Name != "LAZARUS GROUP" || !strings.Contains(strings.Join(laz.Aliases, "|"), "WHOIS HACKING TEAM") {
		t.Fatalf("Lazarus Group: %+v", laz)
	}
	if meta.Entries < 8000 || meta.Addresses < 81 {
		t.Errorf("entries %d addresses %d", meta.Entries, meta.Addresses)
	}
}

func TestOFACCSVComments2025(t *testing.T) {
	es, meta, err := ParseOFACCSV(nil, open(t, "sanctions/sdn_comments_2025-02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d entries, %d addresses, %d invalid", meta.Entries, meta.Addresses, meta.Invalid)
	if meta.Addresses != 341 {
		t.Errorf("%d addresses, want 341", meta.Addresses)
	}
	for _, p := range meta.Problems {
		t.Logf("problem: %+v", p)
	}
	_ = es
}

// TestOFACCSVOverflow checks that a value split between sdn.csv and the
// comments file is found whole.
func TestOFACCSVOverflow(t *testing.T) {
	sdn := `100,"EXAMPLE, Person","individual","CYBER2] [DPRK3",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 1980; Digital Currency Address - ETH 0x098B716B8Aaf2151"` + "\r\n" +
		`101,"EXAMPLE TRADING CO",-0- ,"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ` + "\r\n\x1a"
	comments := `100,"2996dC57EB0615e2383E2f96; a.k.a. 'EXAMPLE, P.'."` + "\r\n"
	es, meta, err := ParseOFACCSV(strings.NewReader(sdn), strings.NewReader(comments))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || meta.Addresses != 1 {
		t.Fatalf("%+v %+v", es, meta)
	}
	e := es[0]
	if e.Addresses[0].Value != "0x098B716B8Aaf21512996dC57EB0615e2383E2f96" || e.Addresses[0].Invalid != "" ||
		e.Type != TypeIndividual || strings.Join(e.Programs, ",") != "CYBER2,DPRK3" || strings.Join(e.Aliases, ",") != "EXAMPLE, P." {
		t.Errorf("%+v", e)
	}
	if es[1].Type != TypeEntity || es[1].Remarks != "" {
		t.Errorf("%+v", es[1])
	}
}
