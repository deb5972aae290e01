package tags

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// parseFile parses a file of testdata.
func parseFile(t *testing.T, name string, parse func(io.Reader) ([]Tag, Meta, error)) ([]Tag, Meta) {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ts, meta, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return ts, meta
}

func TestParseTagPack(t *testing.T) {
	ts, meta := parseFile(t, "lazarus.yaml", ParseTagPack)
	if meta.Title != "Bybit theft, February 2025" || meta.Creator != "trawl tests" || meta.Tags != 4 || meta.Format != "TagPack" {
		t.Fatalf("meta: %+v", meta)
	}
	// Header defaults are inherited ...
	a := ts[0]
	if a.Chain != ETH || a.Address != "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D" || a.Key != "0x51e9d833ecae4e8d9d8be17300aee6d3398c135d" ||
		a.Actor != "lazarus-group" || a.Category != Perpetrator || a.Abuse != StolenFunds || a.Confidence != 60 ||
		a.Source != "https://www.ic3.gov/PSA/2025/PSA250226" || !a.IsPublic || a.Currency != "ETH" ||
		!a.LastMod.Equal(time.Date(2025, 2, 26, 0, 0, 0, 0, time.UTC)) || a.ClusterDefiner {
		t.Errorf("tag 1: %+v", a)
	}
	if strings.Join(a.Concepts, ",") != "service_hack" {
		t.Errorf("tag 1 keeps the file's abuse term: %v", a.Concepts)
	}
	// ... an address in lower case gets its EIP-55 form ...
	if b := ts[1]; b.Address != "0x96244D83DC15d36847C35209bBDc5bdDE9bEc3D8" || !b.ClusterDefiner {
		t.Errorf("tag 2: %+v", b)
	}
	// ... and a tag overrides them.
	if c := ts[2]; c.Source != "https://home.treasury.gov/news/press-releases/jy0731" || c.Category != Perpetrator || c.Abuse != Sanctioned ||
		c.LastMod.Year() != 2022 || strings.Join(c.Concepts, ",") != "sanction,service_hack" {
		t.Errorf("tag 3: %+v", c)
	}
	if d := ts[3]; d.Chain != BTC || d.Category != Exchange || d.Abuse != "" || d.Actor != "example-exchange" || d.Confidence != 90 || d.Currency != "BTC" {
		t.Errorf("tag 4: %+v", d)
	}
}

func TestParseTagPackNestedHeaderAndDuplicates(t *testing.T) {
	in := `header:
  title: t
  creator: c
  currency: BTC
  source: s
  label: Genesis
tags:
  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
  - address: " 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa "
  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa
    label: Satoshi
`
	ts, meta, err := ParseTagPack(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || meta.Duplicates != 1 || ts[0].Category != Other || ts[0].Confidence != DefaultConfidence || ts[1].Label != "Satoshi" {
		t.Fatalf("%+v %+v", ts, meta)
	}
}

// Every refusal says where: the line, the tag and the field.
func TestParseTagPackErrors(t *testing.T) {
	const head = "title: t\ncreator: c\nsource: s\nlabel: l\ncurrency: BTC\ntags:\n"
	runErrorCases(t, ParseTagPack, []errorCase{
		{"empty", "", 0, 0, "", "empty file"},
		{"not yaml", "title: [", 0, 0, "", "not YAML"},
		{"a list", "- a\n- b\n", 1, 0, "", "want a mapping"},
		{"two documents", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n---\ntitle: x\n", 8, 0, "", "more than one"},
		{"no title", "creator: c\ntags: []\n", 1, 0, "title", "missing"},
		{"no tags", "title: t\ncreator: c\n", 1, 0, "tags", "missing"},
		{"tags not a list", "title: t\ncreator: c\ntags: x\n", 3, 0, "tags", "want a list"},
		{"unknown header field", "title: t\ncreator: c\ncolour: red\ntags: []\n", 3, 0, "colour", "not a TagPack"},
		{"header field twice", "title: t\ntitle: u\ncreator: c\ntags: []\n", 2, 0, "title", "twice"},
		{"bad address", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb\n", 7, 1, "address", "checksum"},
		{"garbage address", head + "  - address: hello world\n", 7, 1, "address", "invalid character"},
		{"wrong chain", head + "  - address: \"0x098B716B8Aaf21512996dC57EB0615e2383E2f96\"\n", 7, 1, "address", "not BTC"},
		{"unknown currency", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    currency: DOGE\n", 8, 1, "currency", "unknown chain"},
		{"unknown network", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    network: moon\n", 8, 1, "network", "unknown chain"},
		{"bad header default", "title: t\ncreator: c\nsource: s\nlabel: l\ncurrency: BTC\nconfidence: sure\ntags:\n  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n", 6, 1, "confidence", "unknown confidence"},
		{"unknown category", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    category: banana\n", 8, 1, "category", "unknown category"},
		{"unknown concept", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    concepts: [exchange, banana]\n", 8, 1, "concepts", "banana"},
		{"no address", head + "  - label: x\n", 7, 1, "address", "missing"},
		{"tx tag", head + "  - tx_hash: ab\n", 7, 1, "address", "transaction tag"},
		{"no source", "title: t\ncreator: c\ncurrency: BTC\ntags:\n  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: l\n", 5, 1, "source", "missing"},
		{"empty label", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: \"  \"\n", 8, 1, "label", "missing"},
		{"null value", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    actor:\n", 8, 1, "actor", "empty"},
		{"list as label", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: [a, b]\n", 8, 1, "label", "single value"},
		{"unknown tag field", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    adress: x\n", 8, 1, "adress", "not a TagPack tag field"},
		{"tag field twice", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: a\n    label: b\n", 9, 1, "label", "twice"},
		{"second tag", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    lastmod: yesterday\n", 9, 2, "lastmod", "no date"},
		{"bad definer", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    is_cluster_definer: perhaps\n", 8, 1, "is_cluster_definer", "true or false"},
		{"control char", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: \"a\\u0007b\"\n", 8, 1, "label", "control character"},
		{"long label", head + "  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    label: " + strings.Repeat("x", MaxLabel+1) + "\n", 8, 1, "label", "at most"},
		{"tag not a mapping", head + "  - 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n", 7, 1, "", "want a mapping"},
	})
}

// errorCase is an input a parser must refuse, and where it must say the
// problem is.
type errorCase struct {
	name  string
	in    string
	line  int
	tag   int
	field string
	says  string
}

func runErrorCases(t *testing.T, parse func(io.Reader) ([]Tag, Meta, error), cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := parse(strings.NewReader(c.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *ParseError", err)
			}
			if pe.Line != c.line || pe.Tag != c.tag || pe.Field != c.field || !strings.Contains(pe.Msg, c.says) {
				t.Errorf("got line %d tag %d field %q msg %q; want line %d tag %d field %q saying %q", pe.Line, pe.Tag, pe.Field, pe.Msg, c.line, c.tag, c.field, c.says)
			}
			// The caller sees the whole message, with code invalid.
			if !errs.Is(err, errs.Invalid) || errs.MessageOf(err) != err.Error() {
				t.Errorf("caller's message: %q (%s)", errs.MessageOf(err), errs.CodeOf(err))
			}
		})
	}
}

func TestParseTagPackAliasesAndUSDT(t *testing.T) {
	// A currency that lives on several chains: the address says which.
	in := `title: t
creator: c
source: &src https://example.com
currency: USDT
tags:
  - address: TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq
    label: mule
    actor: *src
  - address: "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"
    label: mule
    network: ETH
`
	ts, _, err := ParseTagPack(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if ts[0].Chain != "trx" || ts[0].Currency != "USDT" || ts[0].Actor != "https://example.com" || ts[1].Chain != ETH || ts[1].Currency != "USDT" {
		t.Fatalf("%+v", ts)
	}
}
