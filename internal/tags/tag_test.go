package tags

import (
	"slices"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/errs"
)

func TestParseCategory(t *testing.T) {
	cases := []struct {
		in   string
		want Category
	}{
		{"exchange", Exchange},
		{"Exchange", Exchange},
		{"OTC desk", OTC},
		{"otc-desk", OTC},
		{"mixing_service", Mixer}, // INTERPOL entity taxonomy
		{"coinjoin", Mixer},
		{"tumbler", Mixer},
		{"casino", Gambling},
		{"payment_processor", PaymentProcessor},
		{"miner", MiningPool},
		{"mining pool", MiningPool},
		{"market", DarknetMarket},
		{"ransomware", Ransomware},
		{"phishing", Scam},
		{"ponzi_scheme", Scam},
		{"sanction", Sanctioned}, // INTERPOL abuse taxonomy
		{"sanctioned", Sanctioned},
		{"service_hack", StolenFunds},
		{"stolen funds", StolenFunds},
		{"perpetrator", Perpetrator},
		{"terrorism", Perpetrator},
		{"defi_dex", DeFi},
		{"defi_bridge", Bridge},
		{"organization", Other},
		{"donation", Other},
		{" other ", Other},
	}
	for _, c := range cases {
		got, err := ParseCategory(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "banana", "exchang", "stolen_fundz"} {
		_, err := ParseCategory(bad)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.MessageOf(err), "stolen_funds") {
			t.Errorf("ParseCategory(%q): %v; want an Invalid error listing the vocabulary", bad, err)
		}
	}
}

// Every term maps into the vocabulary, and every category is reachable by
// its own name.
func TestVocabularyIsClosed(t *testing.T) {
	for term, c := range synonyms {
		if !slices.Contains(Categories(), c) {
			t.Errorf("term %q maps to %q, which is not a category", term, c)
		}
		if normTerm(term) != term {
			t.Errorf("term %q is not in folded form %q and can never match", term, normTerm(term))
		}
	}
	for _, c := range Categories() {
		if got, err := ParseCategory(string(c)); err != nil || got != c {
			t.Errorf("category %q does not parse as itself: %q %v", c, got, err)
		}
	}
}

// The decision where tracing stops is made here, for every category, so that
// adding a category without deciding fails this test.
func TestIsService(t *testing.T) {
	want := map[Category]bool{
		Exchange: true, OTC: true, Mixer: true, Gambling: true, PaymentProcessor: true, MiningPool: true,
		DarknetMarket: true, DeFi: true, Bridge: true,
		Sanctioned: false, StolenFunds: false, Perpetrator: false, Scam: false, Ransomware: false, Other: false,
	}
	for _, c := range Categories() {
		w, ok := want[c]
		if !ok {
			t.Errorf("category %q: decide whether it is a service in this test", c)
			continue
		}
		if IsService(c) != w {
			t.Errorf("IsService(%q) = %v, want %v", c, !w, w)
		}
	}
	if len(want) != len(Categories()) {
		t.Errorf("the test knows %d categories, the package %d", len(want), len(Categories()))
	}
}

func TestParseConfidence(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"ownership", 100}, {"override", 100}, {"manual_transaction", 90}, {"service_api", 70},
		{"authority_data", 60}, {"service_data", 50}, {"trusted_provider", 50}, {"forensic", 50},
		{"untrusted_transaction", 40}, {"web_crawl", 20}, {"heuristic", 10}, {"unknown", 5},
		{"Web Crawl", 20}, {"0", 0}, {"100", 100}, {" 42 ", 42},
	}
	for _, c := range cases {
		got, err := ParseConfidence(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseConfidence(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "101", "-1", "sure", "50%"} {
		if _, err := ParseConfidence(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("ParseConfidence(%q): %v; want Invalid", bad, err)
		}
	}
}

func TestCheckPack(t *testing.T) {
	if err := CheckPack("graphsense-public 2025"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "  ", "a\nb", strings.Repeat("x", MaxPack+1), "\xff"} {
		if err := CheckPack(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("CheckPack(%q): %v; want Invalid", bad, err)
		}
	}
}
