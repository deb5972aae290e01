package tags

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/errs"
)

// checkParsed holds the promises a parser makes about every tag it returns
// and every error: a tag is valid and normalized, an error says where.
func checkParsed(t *testing.T, ts []Tag, meta Meta, err error) {
	t.Helper()
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) || !errs.Is(err, errs.Invalid) || pe.Msg == "" {
			t.Fatalf("error is no ParseError with code invalid: %v", err)
		}
		return
	}
	if meta.Tags != len(ts) {
		t.Fatalf("meta says %d tags, got %d", meta.Tags, len(ts))
	}
	seen := map[ID]bool{}
	for _, tg := range ts {
		a, perr := address.Parse(tg.Address, tg.Chain.AddressChain())
		if perr != nil || a.Text != tg.Address || a.Key != tg.Key || address.Key(tg.Address) != tg.Key {
			t.Fatalf("address %q on %s not normalized (%v)", tg.Address, tg.Chain, perr)
		}
		if !slices.Contains(Categories(), tg.Category) || (tg.Abuse != "" && !slices.Contains(Categories(), tg.Abuse)) {
			t.Fatalf("category %q / abuse %q outside the vocabulary", tg.Category, tg.Abuse)
		}
		if tg.Label == "" || tg.Source == "" || len(tg.Label) > MaxLabel || len(tg.Source) > MaxSource {
			t.Fatalf("label %q source %q", tg.Label, tg.Source)
		}
		if tg.Confidence < 0 || tg.Confidence > 100 {
			t.Fatalf("confidence %d", tg.Confidence)
		}
		if seen[tg.ID()] {
			t.Fatalf("duplicate tag %+v", tg.ID())
		}
		seen[tg.ID()] = true
	}
}

func FuzzParseTagPack(f *testing.F) {
	data, _ := os.ReadFile("testdata/lazarus.yaml")
	f.Add(data)
	f.Add([]byte("title: t\ncreator: c\ntags: []\n"))
	f.Add([]byte("header:\n  title: t\n  creator: c\n  source: s\n  label: l\ntags:\n  - address: 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n    concepts: [exchange]\n"))
	f.Add([]byte("title: &a t\ncreator: *a\nsource: *a\nlabel: *a\ntags:\n  - &x {address: bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4}\n  - *x\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := ParseTagPack(bytes.NewReader(b))
		checkParsed(t, ts, meta, err)
	})
}

func FuzzParseCSV(f *testing.F) {
	data, _ := os.ReadFile("testdata/exchanges.csv")
	f.Add(data)
	f.Add([]byte("address,label,category,source\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s\n"))
	f.Add([]byte("\xef\xbb\xbfsource,address,label,category,currency\ns,TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq,l,otc,usdt\n"))
	f.Add([]byte("address,label,category,source\n\"a\"\"b\",l,x,s\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, meta, err := ParseCSV(bytes.NewReader(b))
		checkParsed(t, ts, meta, err)
	})
}
