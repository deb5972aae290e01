package trace

import (
	"bytes"
	"strings"
	"testing"
	"testing/quick"
)

// The haircut split conserves taint exactly and never gives a part more
// than its value's share rounded up.
func TestSplitConserves(t *testing.T) {
	f := func(taint uint64, raw []uint32) bool {
		if len(raw) == 0 {
			return true
		}
		parts := make([]uint64, len(raw))
		var vin uint64
		for i, p := range raw {
			parts[i] = uint64(p)
			vin += uint64(p)
		}
		if vin == 0 {
			return true
		}
		taint %= vin + 1
		got := split(nil, taint, vin, parts)
		var sum uint64
		for i, s := range got {
			sum += s
			if s > parts[i] || float64(s) > float64(taint)*float64(parts[i])/float64(vin)+1 {
				return false
			}
		}
		return sum == taint
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 20000}); err != nil {
		t.Fatal(err)
	}
	// The simulator's rule on a tie: the first part gets the satoshi.
	if got := split(nil, 1, 2, []uint64{1, 1}); got[0] != 1 || got[1] != 0 {
		t.Fatalf("tie went to %v", got)
	}
}

func TestRiskScore(t *testing.T) {
	if r := Score(RiskInput{}); r.Score != 0 || r.Level != "none" || len(r.Reasons) != 0 {
		t.Fatalf("nothing known: %+v", r)
	}
	r := Score(RiskInput{Listings: []string{"sanctioned"}, Exposure: &Exposure{MaxHops: 6, CoinJoin: 0.5, Sources: []SourceShare{{Category: "stolen_funds", Share: 0.2}}}})
	if r.Score != 100 || r.Level != "severe" || len(r.Reasons) != 3 || r.Reasons[0].Code != "listed" {
		t.Fatalf("sanctioned address: %+v", r)
	}
	r = Score(RiskInput{Exposure: &Exposure{MaxHops: 6, Sources: []SourceShare{{Category: "stolen_funds", Share: 0.02}}}})
	if r.Score != 50 || r.Level != "medium" || !strings.Contains(r.Reasons[0].Text, "2.0%") {
		t.Fatalf("2%% exposure: %+v", r)
	}
}

func TestExportsEscape(t *testing.T) {
	v := &View{Model: "haircut", Results: []ResultView{{Address: "bc1q", Service: "=HYPERLINK(\"x\")", Sats: 5, Kind: "cashout"}},
		Graph: GraphView{Nodes: []NodeView{{ID: "addr:a\"b", Kind: "address", Label: "a\"b", Service: "x\ny"}}, Edges: []EdgeView{{From: "tx:1", To: "addr:a\"b", Sats: 100000000}}}}
	var b bytes.Buffer
	if err := WriteCSV(&b, v); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "'=HYPERLINK") {
		t.Fatalf("a formula reached the CSV: %s", b.String())
	}
	b.Reset()
	if err := WriteDOT(&b, v); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"addr:a\"b"`) || !strings.Contains(b.String(), "1.00000000 BTC") || strings.Count(b.String(), "\n") < 5 {
		t.Fatalf("DOT output: %s", b.String())
	}
}
