package watchlist

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/testenv"
)

var (
	sdnOnce    sync.Once
	sdnEntries []Entry
	sdnMeta    Meta
	sdnErr     error
	sdnTook    time.Duration
)

// realSDN parses the real SDN Advanced XML once per test binary.
func realSDN(t testing.TB) ([]Entry, Meta) {
	t.Helper()
	path := testenv.SharedData(t, "sanctions/sdn_advanced.xml.bz2")
	sdnOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			sdnErr = err
			return
		}
		defer f.Close()
		start := time.Now()
		sdnEntries, sdnMeta, sdnErr = ParseOFACAdvanced(f)
		sdnTook = time.Since(start)
	})
	if sdnErr != nil {
		t.Fatal(sdnErr)
	}
	return sdnEntries, sdnMeta
}

func TestOFACAdvancedReal(t *testing.T) {
	es, meta := realSDN(t)
	t.Logf("parsed %d entries, %d addresses (%d invalid) in %v", meta.Entries, meta.Addresses, meta.Invalid, sdnTook)
	if got, want := meta.Issued.Format("2006-01-02"), "2025-11-19"; got != want {
		t.Errorf("issued %s, want %s", got, want)
	}
	if meta.Addresses != 761 || meta.Invalid != 2 {
		t.Errorf("addresses %d (invalid %d), want 761 (2)", meta.Addresses, meta.Invalid)
	}
	for _, p := range meta.Problems {
		t.Logf("problem: %+v", p)
	}
	var laz *Entry
	for i := range es {
		if es[i].UID == "27307" {
			laz = &es[i]
		}
	}
	if laz == nil {
		t.Fatal("no entry 27307")
	}
	t.Logf("%+v", *laz)
	eth := 0
	found := false
	for _, a := range laz.Addresses {
		if a.Currency == "ETH" {
			eth++
		}
		if a.Value == "0x098B716B8Aaf21512996dC57EB0615e2383E2f96" && a.Key == strings.ToLower(a.Value) && a.Invalid == "" {
			found = true
		}
	}
	if eth != 8 || !found {
		t.Errorf("Lazarus Group: %d ETH addresses (want 8), Ronin exploiter found %v", eth, found)
	}
	if laz.Name != "Lazarus Group" || laz.Type != TypeEntity || len(laz.Programs) == 0 || laz.Programs[0] != "DPRK3" || laz.Listed.Format("2006-01-02") != "2019-09-13" {
		t.Errorf("Lazarus Group: name %q type %q programs %v listed %v", laz.Name, laz.Type, laz.Programs, laz.Listed)
	}
}

func testenvShared(t testing.TB, rel string) string { return testenv.SharedData(t, rel) }
