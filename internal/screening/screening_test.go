package screening

import (
	"fmt"
	"testing"
)

func TestWalletAddresses(t *testing.T) {
	cases := []struct {
		pattern string
		want    string
	}{
		{"[cryptocurrency-wallet:address = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq']", "[bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq]"},
		{"[x-crypto-wallet:value IN ('0xabc', '0xdef')] OR [ipv4-addr:value = '1.2.3.4']", "[0xabc 0xdef]"},
		{"[cryptocurrency-wallet:address != '0xabc']", "[]"},
		{"[NOT cryptocurrency-wallet:address = '0xabc']", "[]"},
		{"[cryptocurrency-wallet:owner = 'x']", "[]"},
		{"[file:name = 'x']", "[]"},
		{"not a pattern", "[]"},
	}
	for _, c := range cases {
		got := WalletAddresses(c.pattern)
		if got == nil {
			got = []string{}
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("%s: %v, want %s", c.pattern, got, c.want)
		}
	}
}

func TestIdentifications(t *testing.T) {
	res := Result{Hits: []Hit{
		{Source: "ofac-sdn", UID: "27307", Name: "LAZARUS GROUP", Programs: []string{"DPRK3"}, Currency: "ETH", Value: "0x098b", Listed: "2019-09-13", URL: "u"},
		{Source: "fbi-tradertraitor", Name: "TraderTraitor", Value: "0x1"},
		{Source: "hub", Name: "cash-out", TLP: "amber", Value: "bc1q"},
	}}
	ids := Identifications(res)
	if len(ids) != 3 || ids[0].Category != "sanctions" || ids[0].Name != "SANCTIONS: OFAC SDN LAZARUS GROUP 2019-09-13" ||
		ids[1].Category != "law enforcement attribution" || ids[2].Category != "shared intelligence" || ids[2].Name != "SHARED INTELLIGENCE: TLP:AMBER cash-out" {
		t.Fatalf("%+v", ids)
	}
	if len(Identifications(Result{})) != 0 || Identifications(Result{}) == nil {
		t.Fatal("a clean address must give an empty list, not null")
	}
}
