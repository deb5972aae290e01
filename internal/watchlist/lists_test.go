package watchlist

import (
	"reflect"
	"strings"
	"testing"
)

func TestUNReal(t *testing.T) {
	es, meta, err := ParseUN(open(t, "sanctions/UN_consolidated_2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	dprk, ki, ke := 0, 0, 0
	var ri *Entry
	for i, e := range es {
		if len(e.Programs) == 1 && e.Programs[0] == "DPRK" {
			dprk++
		}
		switch {
		case strings.HasPrefix(e.UID, "KPi."):
			ki++
		case strings.HasPrefix(e.UID, "KPe."):
			ke++
		}
		if e.UID == "KPi.033" {
			ri = &es[i]
		}
	}
	t.Logf("%d entries (issued %v), DPRK %d: %d KPi, %d KPe; %d problems", meta.Entries, meta.Issued, dprk, ki, ke, len(meta.Problems))
	if meta.Entries != 1003 || dprk != 155 || ki+ke != 155 {
		t.Errorf("entries %d, DPRK %d (KPi %d + KPe %d); want 1003 and 155", meta.Entries, dprk, ki, ke)
	}
	if ri == nil || ri.Type != TypeIndividual || ri.Listed.Format("2006-01-02") != "2016-11-30" || ri.Name == "" {
		t.Errorf("KPi.033: %+v", ri)
	}
	again, _, _ := ParseUN(open(t, "sanctions/UN_consolidated_2026-02-27.xml"))
	if !reflect.DeepEqual(es, again) || !DiffEntries(es, again).Empty() {
		t.Error("parsing twice differs")
	}
}

func TestAddressListFBI(t *testing.T) {
	es, meta, err := ParseAddressList(open(t, "sanctions/fbi_psa250226_bybit_tradertraitor_eth.txt"), "fbi-psa250226", "TraderTraitor (Bybit theft)")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || meta.Addresses != 51 || meta.Invalid != 0 {
		t.Fatalf("%d entries, %d addresses, %d invalid; want 1, 51, 0", len(es), meta.Addresses, meta.Invalid)
	}
	ix := NewIndex(es)
	for _, a := range es[0].Addresses {
		if hs := ix.Lookup(strings.ToUpper(a.Value[2:])); hs != nil {
			t.Fatalf("an address without 0x matched: %v", hs)
		}
		if hs := ix.Lookup(strings.ToLower(a.Value)); len(hs) != 1 || hs[0].UID != "TraderTraitor (Bybit theft)" {
			t.Fatalf("%s: %v", a.Value, hs)
		}
	}
	// None is on the SDN list.
	if sdn, _ := realSDNIfCheap(t); sdn != nil {
		for _, a := range es[0].Addresses {
			if sdn.Listed(a.Value) {
				t.Errorf("%s is on the SDN list", a.Value)
			}
		}
	}
}

// realSDNIfCheap returns an index of the SDN list when another test has
// parsed it already.
func realSDNIfCheap(t *testing.T) (*Index, bool) {
	if sdnEntries == nil {
		return nil, false
	}
	return NewIndex(sdnEntries), true
}

func TestAddressListSyntax(t *testing.T) {
	in := "\ufeff# TraderTraitor\n\n0x098B716B8Aaf21512996dC57EB0615e2383E2f96 # Ronin\n" +
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2,ransom\n" +
		"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a\tBCH sample\n" +
		"0x098b716b8aaf21512996dc57eb0615e2383e2f96\nnot-an-address\n"
	es, meta, err := ParseAddressList(strings.NewReader(in), "hub", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 || es[0].UID != "hub" || len(es[0].Addresses) != 2 || meta.Invalid != 1 || len(meta.Problems) != 2 {
		t.Fatalf("%+v\n%+v", es, meta)
	}
	ix := NewIndex(es)
	// Legacy spelling of the listed cashaddr.
	if hs := ix.Lookup("1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu"); len(hs) != 1 || !hs[0].Alias || hs[0].UID != "BCH sample" {
		t.Errorf("BCH alias: %+v", hs)
	}
	if hs := ix.Lookup("1bvbmseystwetqtfn5au4m4gfg7xjanvn2"); hs != nil {
		t.Errorf("base58 folded: %+v", hs)
	}
	if hs := ix.Lookup(" 0X098B716B8AAF21512996DC57EB0615E2383E2F96 "); len(hs) != 1 {
		t.Errorf("EVM case: %+v", hs)
	}
}

func TestOracleReal(t *testing.T) {
	es, meta, err := ParseOracleEvents(open(t, "sanctions/oracle_sanctioned_addresses.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 165 || meta.Invalid != 0 {
		t.Fatalf("%d addresses, %d invalid; want 165, 0", len(es), meta.Invalid)
	}
	if !strings.Contains(es[0].Remarks, "block 14356555") {
		t.Errorf("%+v", es[0])
	}
}

func TestOracleRemoval(t *testing.T) {
	in := `[{"blockNum":1,"blockHash":"0x01","addrs":["0x098B716B8Aaf21512996dC57EB0615e2383E2f96","0x7ff9cfad3877f21d41da833e2f775db0569ee3d9"]},
	{"blockNum":2,"event":"SanctionedAddressesRemoved","addrs":["0x098b716b8aaf21512996dc57eb0615e2383e2f96","0x0000000000000000000000000000000000000001"]}]`
	es, meta, err := ParseOracleEvents(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].UID != "0x7ff9cfad3877f21d41da833e2f775db0569ee3d9" || len(meta.Problems) != 1 {
		t.Errorf("%+v %+v", es, meta)
	}
	if _, _, err := ParseOracleEvents(strings.NewReader(`{"a":1}`)); err == nil || !strings.Contains(err.Error(), "array") {
		t.Errorf("want an error naming the problem, got %v", err)
	}
}

func TestDiff(t *testing.T) {
	old := []Entry{
		{Source: "hub", UID: "a", Name: "Alpha", Addresses: []ListedAddress{NewListedAddress("ETH", "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"), NewListedAddress("XBT", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")}},
		{Source: "hub", UID: "b", Name: "Beta"},
	}
	if d := DiffEntries(old, old); !d.Empty() {
		t.Fatalf("diff of equal lists: %+v", d)
	}
	new := []Entry{
		{Source: "hub", UID: "a", Name: "Alpha", Addresses: []ListedAddress{NewListedAddress("ETH", "0x098b716b8aaf21512996dc57eb0615e2383e2f96")}},
		{Source: "hub", UID: "b", Name: "Beta Two"},
		{Source: "hub", UID: "c", Name: "Gamma", Addresses: []ListedAddress{NewListedAddress("TRX", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq")}},
	}
	d := DiffEntries(old, new)
	if len(d.Added) != 1 || d.Added[0].UID != "c" || len(d.Removed) != 0 || len(d.Changed) != 2 ||
		len(d.AddressesRemoved) != 1 || d.AddressesRemoved[0].UID != "a" || d.AddressesRemoved[0].Value != "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2" ||
		len(d.AddressesAdded) != 1 || d.AddressesAdded[0].UID != "c" {
		t.Errorf("%+v", d)
	}
}

func TestOFACIdempotentAndIndexed(t *testing.T) {
	es, meta := realSDN(t)
	if testingShortSkip(t) {
		return
	}
	// Parsing again is equal.
	f := open(t, "sanctions/sdn_advanced.xml.bz2")
	again, meta2, err := ParseOFACAdvanced(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(es, again) || !reflect.DeepEqual(meta, meta2) || !DiffEntries(es, again).Empty() {
		t.Error("parsing twice differs")
	}
	ix := NewIndex(es)
	hs := ix.Lookup("0x098b716b8aaf21512996dc57eb0615e2383e2f96")
	if len(hs) != 1 || hs[0].UID != "27307" || hs[0].Name != "Lazarus Group" || hs[0].Currency != "ETH" || hs[0].Value != "0x098B716B8Aaf21512996dC57EB0615e2383E2f96" {
		t.Errorf("%+v", hs)
	}
	// The Tron address listed as XBT is still found.
	if !ix.Listed("TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq") {
		t.Error("invalid listing not indexed")
	}
	nh := ix.ScreenName("Lazarus Grp", NameOptions{})
	if len(nh) == 0 || nh[0].UID != "27307" {
		t.Errorf("%+v", nh)
	}
	nh = ix.ScreenName("Kim Jong-un", NameOptions{Types: []string{TypeIndividual}})
	if len(nh) == 0 || !strings.Contains(strings.ToUpper(nh[0].Name), "KIM") {
		t.Errorf("%+v", nh)
	} else {
		t.Logf("Kim Jong-un: %+v", nh[0])
	}
}

func testingShortSkip(t *testing.T) bool {
	if testing.Short() {
		t.Skip("parses the full SDN file a second time")
		return true
	}
	return false
}

func TestScreenNameKorean(t *testing.T) {
	es := []Entry{
		{Source: "un", UID: "1", Name: "KIM JONG UN", Type: TypeIndividual},
		{Source: "un", UID: "2", Name: "RI PYONG CHUL", Type: TypeIndividual, Aliases: []string{"Ri Pyo’ng-ch’o’l"}},
		{Source: "un", UID: "3", Name: "PAK CHANG HO", Type: TypeIndividual},
		{Source: "un", UID: "4", Name: "CHOE CHUN SIK", Type: TypeIndividual},
		{Source: "un", UID: "5", Name: "JANG MYONG JIN", Type: TypeIndividual},
		{Source: "un", UID: "6", Name: "Zoë Müller-Lüdenscheidt", Type: TypeIndividual},
	}
	ix := NewIndex(es)
	for q, want := range map[string]string{
		"Kim Jong-un": "1", "Kim Jongun": "1", "Gim Jong Un": "1", "Jong Un Kim": "1", "KIM Jeong-eun": "1",
		"Lee Pyong Chol": "2", "Yi Byong-cheol": "2", "Park Chang-ho": "3", "Bak Chang Ho": "3",
		"Choi Chun-sik": "4", "Chang Myong-chin": "5", "zoe muller ludenscheidt": "6", "Zoe Mueller": "",
	} {
		hs := ix.ScreenName(q, NameOptions{Threshold: 0.85})
		got := ""
		if len(hs) > 0 {
			got = hs[0].UID
		}
		if got != want && want != "" {
			t.Errorf("%q: top hit %q, want %q (%+v)", q, got, want, hs)
		}
		if len(hs) > 0 && len(hs[0].Tokens) == 0 {
			t.Errorf("%q: no explanation", q)
		}
	}
	if hs := ix.ScreenName("Kim Jong-un", NameOptions{}); len(hs) == 0 || hs[0].Score < 0.95 {
		t.Errorf("%+v", hs)
	}
}
