package tags

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/testenv"
)

func TestParseCSV(t *testing.T) {
	ts, meta := parseFile(t, "exchanges.csv", ParseCSV)
	if meta.Tags != 4 || len(ts) != 4 || meta.Format != "CSV" {
		t.Fatalf("%+v", meta)
	}
	want := []struct {
		chain      Chain
		address    string
		category   Category
		actor      string
		confidence int
		currency   string
	}{
		{BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", Exchange, "example-exchange", 100, "BTC"},
		{BTC, "3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", OTC, "", 50, "BTC"}, // no currency: detected
		{"trx", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", StolenFunds, "lazarus-group", 60, "USDT"},
		{ETH, "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", Sanctioned, "lazarus-group", 60, "ETH"},
	}
	for i, w := range want {
		g := ts[i]
		if g.Chain != w.chain || g.Address != w.address || g.Category != w.category || g.Actor != w.actor || g.Confidence != w.confidence || g.Currency != w.currency {
			t.Errorf("row %d: %+v; want %+v", i+1, g, w)
		}
	}
	if ts[1].Concepts[0] != "otc_desk" || ts[3].Label != "Ronin Bridge exploiter, OFAC" {
		t.Errorf("%+v %+v", ts[1], ts[3])
	}
}

func TestParseCSVMinimal(t *testing.T) {
	in := "\xef\xbb\xbfSource, Address ,label,CATEGORY\r\nfbi,0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D,TraderTraitor,perpetrator\r\n"
	ts, _, err := ParseCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Chain != ETH || ts[0].Source != "fbi" || ts[0].Confidence != DefaultConfidence {
		t.Fatalf("%+v", ts)
	}
}

func TestParseCSVErrors(t *testing.T) {
	const head = "address,label,category,source\n"
	runErrorCases(t, ParseCSV, []errorCase{
		{"empty", "", 1, 0, "", "empty file"},
		{"missing column", "address,label,category\n", 1, 0, "source", "missing column"},
		{"unknown column", "address,label,category,source,notes\n", 1, 0, "notes", "unknown column"},
		{"column twice", "address,label,category,source,Label\n", 1, 0, "label", "twice"},
		{"bad address", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb,l,exchange,s\n", 2, 1, "address", "checksum"},
		{"garbage address", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s\nnot an address,l,exchange,s\n", 3, 2, "address", "invalid character"},
		{"no category", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,,s\n", 2, 1, "category", "missing"},
		{"unknown category", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,banana,s\n", 2, 1, "category", "unknown category"},
		{"no label", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,,exchange,s\n", 2, 1, "label", "missing"},
		{"no source", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,\n", 2, 1, "source", "missing"},
		{"bad confidence", "address,label,category,source,confidence\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s,1000\n", 2, 1, "confidence", "0 to 100"},
		{"bad currency", "address,label,category,source,currency\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s,XYZ\n", 2, 1, "currency", "unknown chain"},
		{"wrong chain", "address,label,category,source,currency\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange,s,ETH\n", 2, 1, "address", "not ETH"},
		{"short row", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,l,exchange\n", 2, 0, "", "wrong number of fields"},
		{"bad quote", head + "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,\"l,exchange,s\n", 2, 0, "", "quote"},
	})
}

// The FBI's TraderTraitor list, written as a tag CSV, parses whole: every
// mixed-case address passes EIP-55 and lands on Ethereum.
func TestParseCSVFBIList(t *testing.T) {
	f, err := os.Open(testenv.SharedData(t, "sanctions/fbi_psa250226_bybit_tradertraitor_eth.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	b.WriteString("address,label,category,source,actor,confidence\n")
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		if a := strings.TrimSpace(sc.Text()); a != "" && !strings.HasPrefix(a, "#") {
			fmt.Fprintf(&b, "%s,TraderTraitor (Bybit theft),stolen_funds,FBI PSA I-022625-PSA,lazarus-group,authority_data\n", a)
			n++
		}
	}
	ts, meta, err := ParseCSV(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n != 51 || len(ts) != 51 || meta.Duplicates != 0 {
		t.Fatalf("%d lines, %d tags, %+v", n, len(ts), meta)
	}
	for _, tg := range ts {
		if tg.Chain != ETH || tg.Category != StolenFunds || tg.Confidence != 60 || strings.ToLower(tg.Address) != tg.Key {
			t.Fatalf("%+v", tg)
		}
	}
}
