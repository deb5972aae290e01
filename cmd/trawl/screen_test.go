package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/testenv"
)

const ronin = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96" // OFAC: LAZARUS GROUP

// TestScreeningWithRealLists imports the real OFAC, FBI and oracle lists,
// then screens through the CLI, POST /api/v1/screen and the
// Chainalysis-compatible endpoint, with a hub indicator that only some
// organizations may see.
func TestScreeningWithRealLists(t *testing.T) {
	sdn := testenv.SharedData(t, "sanctions/sdn_advanced.xml.bz2")
	fbi := testenv.SharedData(t, "sanctions/fbi_psa250226_bybit_tradertraitor_eth.txt")
	oracle := testenv.SharedData(t, "sanctions/oracle_sanctioned_addresses.json")
	dir := t.TempDir()
	type rec struct {
		Entries, Added, Removed, Changed, Addresses int
		Unchanged                                   bool
	}
	var r rec
	mustJSON(t, &r, "import", "ofac", sdn, "--data", dir)
	if r.Addresses != 761 || r.Added != r.Entries || r.Entries < 18000 {
		t.Fatalf("OFAC import: %+v", r)
	}
	mustJSON(t, &r, "import", "addresses", fbi, "--source", "fbi-tradertraitor", "--label", "TraderTraitor (Bybit theft)", "--data", dir)
	if r.Addresses != 51 {
		t.Fatalf("FBI import: %+v", r)
	}
	mustJSON(t, &r, "import", "oracle", oracle, "--data", dir)
	mustJSON(t, &r, "import", "oracle", oracle, "--data", dir)
	if !r.Unchanged {
		t.Fatalf("a repeated import must change nothing: %+v", r)
	}
	fbiAddr := firstAddress(t, fbi)

	// The CLI.
	out, errOut, code := cli(t, "screen", strings.ToLower(ronin), fbiAddr, "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "not-an-address", "--json", "--data", dir)
	if code != 0 {
		t.Fatalf("screen: %s", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var res []struct {
		Address string
		Valid   bool
		Listed  bool
		Error   string
		Hits    []struct{ Source, UID, Name, TLP string }
	}
	for _, l := range lines {
		var x struct {
			Address string
			Valid   bool
			Listed  bool
			Error   string
			Hits    []struct{ Source, UID, Name, TLP string }
		}
		json.Unmarshal([]byte(l), &x)
		res = append(res, x)
	}
	if len(res) != 4 || !res[0].Listed || res[0].Hits[0].UID != "27307" || res[0].Hits[0].TLP != "clear" {
		t.Fatalf("Ronin exploiter (lower-case): %+v", res)
	}
	if !res[1].Listed || res[1].Hits[0].Source != "fbi-tradertraitor" {
		t.Fatalf("FBI address: %+v", res[1])
	}
	if res[2].Listed || !res[2].Valid || res[3].Valid || res[3].Error == "" {
		t.Fatalf("clean and invalid: %+v %+v", res[2], res[3])
	}
	out, _, _ = cli(t, "screen", "--name", "Kim Jong-un", "--name", "LAZARUS GRP", "--data", dir)
	if !strings.Contains(out, "27307 Lazarus Group") || !strings.Contains(out, "20157 Kim, Jong Un") {
		t.Fatalf("name screening: %s", out)
	}

	// A hub indicator of a wallet, AMBER, shared only with the exchange.
	h := setupHub(t, []string{"--data", dir})
	wallet := "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
	ind := `{"type":"indicator","spec_version":"2.1","id":"indicator--6b2c7a4e-0000-4000-8000-000000000001","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":"Cash-out deposit of the Bybit theft","pattern":"[cryptocurrency-wallet:address = '` + wallet + `']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","object_marking_refs":["` + tlpAmber + `"]}`
	if r := post(t, h.objectsURL(), h.ownerKey, envelope(ind)); r.json(t)["success_count"] != 1.0 {
		t.Fatalf("post indicator: %s", r.body)
	}
	screenAs := func(key string) map[string]any {
		r := do(t, nil, "POST", h.url+"/api/v1/screen", key, strings.NewReader(`{"addresses":["`+wallet+`","`+ronin+`"]}`))
		if r.status != 200 {
			t.Fatalf("screen: %d %s", r.status, r.body)
		}
		return r.json(t)
	}
	hitsOf := func(m map[string]any, i int) []any {
		return m["results"].([]any)[i].(map[string]any)["hits"].([]any)
	}
	if hits := hitsOf(screenAs(h.readerKey), 0); len(hits) != 1 || hits[0].(map[string]any)["tlp"] != "amber" {
		t.Fatalf("the exchange's reader must see the AMBER hub hit: %v", hits)
	}
	if hits := hitsOf(screenAs(h.strangerKey), 0); len(hits) != 0 {
		t.Fatalf("a stranger sees a hub hit it may not: %v", hits)
	}
	if hits := hitsOf(screenAs(h.strangerKey), 1); len(hits) == 0 {
		t.Fatal("public lists must answer everyone")
	}
	// Chainalysis-compatible, with its X-API-Key header.
	r2 := do(t, nil, "GET", h.url+"/api/v1/address/"+ronin, "", nil, "X-API-Key", h.strangerKey)
	if r2.status != 200 || !strings.Contains(string(r2.body), `"category":"sanctions"`) || !strings.Contains(string(r2.body), "Lazarus Group") || !strings.Contains(string(r2.body), "Details.aspx?id=27307") {
		t.Fatalf("chainalysis format: %d %s", r2.status, r2.body)
	}
	r2 = do(t, nil, "GET", h.url+"/api/v1/address/bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", "", nil, "X-API-Key", h.strangerKey)
	if string(r2.body) != "{\"identifications\":[]}\n" {
		t.Fatalf("clean address: %s", r2.body)
	}
	if r := do(t, nil, "POST", h.url+"/api/v1/screen", h.readerKey, strings.NewReader(`{"addresses":[]}`)); r.status != 400 {
		t.Fatalf("empty request: %d", r.status)
	}
	big := `{"addresses":["` + strings.Repeat(`x","`, 10001) + `x"]}`
	if r := do(t, nil, "POST", h.url+"/api/v1/screen", h.readerKey, strings.NewReader(big)); r.status != 413 {
		t.Fatalf("10,002 addresses: %d", r.status)
	}
}

func firstAddress(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "0x") {
			return strings.Fields(strings.ReplaceAll(l, ",", " "))[0]
		}
	}
	t.Fatal("no address in " + path)
	return ""
}

// TestSanctionsUpdate downloads the lists from a local server standing in
// for OFAC's and the UN's.
func TestSanctionsUpdate(t *testing.T) {
	sdn := filepath.Join(testenv.RepoRoot(), "internal", "watchlist", "testdata", "sdn_small.xml")
	un := testenv.SharedData(t, "sanctions/UN_consolidated_2026-02-27.xml")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ofac.xml":
			http.ServeFile(w, r, sdn)
		case "/un.xml":
			http.ServeFile(w, r, un)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	if _, errOut, code := cli(t, "sanctions", "update", "--ofac-url", srv.URL+"/ofac.xml", "--un-url", srv.URL+"/un.xml", "--data", dir); code != 0 {
		t.Fatalf("update: %s", errOut)
	}
	out, _, _ := cli(t, "screen", "--name", "Kim Yong Chol", "--data", dir)
	if !strings.Contains(out, " un KPi.") {
		t.Fatalf("after update: %s", out)
	}
	if _, errOut, code := cli(t, "sanctions", "update", "--ofac-url", srv.URL+"/missing", "--un-url", srv.URL+"/un.xml", "--data", dir); code != 1 || !strings.Contains(errOut, "404") {
		t.Fatalf("a failed download: exit %d %s", code, errOut)
	}
}

// TestScreeningFindsWalletObservables: a custom wallet observable on the hub
// is a hit too, under its own marking.
func TestScreeningFindsWalletObservables(t *testing.T) {
	h := setupHub(t, []string{"--data", t.TempDir()})
	wallet := "0x0000000000000000000000000000000000c0ffee"
	obs := `{"type":"cryptocurrency-wallet","spec_version":"2.1","id":"cryptocurrency-wallet--7d3c6a52-0000-4000-8000-000000000001","address":"` + wallet + `","object_marking_refs":["` + tlpGreen + `"]}`
	if r := post(t, h.objectsURL(), h.ownerKey, envelope(obs)); r.json(t)["success_count"] != 1.0 {
		t.Fatalf("post observable: %s", r.body)
	}
	r := do(t, nil, "POST", h.url+"/api/v1/screen", h.readerKey, strings.NewReader(`{"addresses":["`+wallet+`"]}`))
	if r.status != 200 || !strings.Contains(string(r.body), `"listed":true`) || !strings.Contains(string(r.body), `"tlp":"green"`) {
		t.Fatalf("observable hit: %d %s", r.status, r.body)
	}
	r = do(t, nil, "POST", h.url+"/api/v1/screen", h.strangerKey, strings.NewReader(`{"addresses":["`+wallet+`"]}`))
	if !strings.Contains(string(r.body), `"listed":false`) {
		t.Fatalf("a stranger (no access to the collection) got the hit: %s", r.body)
	}
}
