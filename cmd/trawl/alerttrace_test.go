package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestAlertsFromTrace: an FIU traces a simulated theft to the exchanges
// where it was cashed out; each exchange claims its service label; one
// deposit alert goes to each exchange that holds deposits and may read the
// theft's indicator, and the one that may not is skipped and reported.
func TestAlertsFromTrace(t *testing.T) {
	data, truth := simulatedHub(t)
	theft := truth.Thefts[0].Txid
	// Deposits per service, from the simulator's truth.
	trueDeposits := map[string]map[string]bool{}
	for _, co := range truth.CashOuts {
		if co.ServiceKind == "exchange" {
			if trueDeposits[co.Service] == nil {
				trueDeposits[co.Service] = map[string]bool{}
			}
			trueDeposits[co.Service][co.Address] = true
		}
	}
	if len(trueDeposits) < 2 {
		t.Fatalf("the simulated theft reaches %d exchanges; the test needs 2", len(trueDeposits))
	}
	cli(t, "admin", "org", "create", "fiu", "--data", data)
	var fiuKey createdKey
	mustJSON(t, &fiuKey, "admin", "key", "create", "--org", "fiu", "--role", "analyst", "--data", data)
	var coll struct{ ID string }
	mustJSON(t, &coll, "admin", "collection", "create", "--title", "thefts", "--org", "fiu", "--data", data)
	nonName := regexp.MustCompile(`[^a-z0-9-]+`)
	orgOf := map[string]string{} // service -> org name
	var services []string
	for _, x := range truth.Exchanges {
		if trueDeposits[x.ID] != nil {
			services = append(services, x.ID)
		}
	}
	blind := services[len(services)-1] // holds deposits, may not read the indicator
	for _, svc := range services {
		name := "x-" + strings.Trim(nonName.ReplaceAllString(strings.ToLower(svc), "-"), "-")
		orgOf[svc] = name
		if _, e, code := cli(t, "admin", "org", "create", name, "--data", data); code != 0 {
			t.Fatal(e)
		}
		// The label as the tags have it, in other letters: claims ignore case.
		if _, e, code := cli(t, "admin", "org", "claim-service", name, "--label", strings.ToUpper(svc), "--data", data); code != 0 {
			t.Fatal(e)
		}
		if svc != blind {
			cli(t, "admin", "collection", "grant", coll.ID, "--org", name, "--read", "--data", data)
		}
	}
	in := start(t, "serve", "--data", data)
	ind := `{"type":"indicator","spec_version":"2.1","id":"indicator--11111111-0000-4000-8000-000000000001","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","name":"theft","pattern":"[x-crypto-addr:value = 'x']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z","object_marking_refs":["` + tlpAmber + `"]}`
	if r := post(t, in.url+"/taxii2/hub/collections/"+coll.ID+"/objects/", fiuKey.Token, envelope(ind)); r.json(t)["success_count"] != 1.0 {
		t.Fatalf("post: %s", r.body)
	}
	body := fmt.Sprintf(`{"from":[%q],"model":"haircut","max_hops":1000,"sources":["indicator--11111111-0000-4000-8000-000000000001"],"note":"stolen funds from the simulated theft"}`, theft)
	var r response
	waitFor(t, func() bool {
		r = do(t, nil, "POST", in.url+"/api/v1/alerts/from-trace", fiuKey.Token, strings.NewReader(body), "Content-Type", "application/json")
		return r.status != http.StatusServiceUnavailable
	})
	if r.status != 200 {
		t.Fatalf("from-trace: %d %s", r.status, r.body)
	}
	var res struct {
		Deposits int
		Alerts   []struct {
			ID, Kind, Marking string
			ToName            string `json:"to_org_name"`
			Sources           []string
			Subjects          []struct{ Chain, Address, Service, Txid string }
		}
		Skipped []struct {
			Org      string
			Deposits int
			Reason   string
		}
	}
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Alerts) != len(services)-1 || len(res.Skipped) != 1 || res.Skipped[0].Org != orgOf[blind] || !strings.Contains(res.Skipped[0].Reason, "may not read") {
		t.Fatalf("from-trace: %d alerts for %d exchanges, skipped %+v", len(res.Alerts), len(services), res.Skipped)
	}
	svcOf := map[string]string{}
	for s, o := range orgOf {
		svcOf[o] = s
	}
	for _, a := range res.Alerts {
		svc := svcOf[a.ToName]
		if a.Kind != "deposit" || a.Marking != "amber" || len(a.Sources) != 1 || len(a.Subjects) == 0 {
			t.Fatalf("alert: %+v", a)
		}
		named := map[string]bool{}
		for _, s := range a.Subjects {
			if !strings.EqualFold(s.Service, svc) || s.Chain != "btc" || s.Txid == "" {
				t.Fatalf("alert to %s names a deposit of %q: %+v", a.ToName, s.Service, s)
			}
			named[s.Address] = true
		}
		// The haircut taints more deposits than the simulator cashed out at
		// (a trace over-reports); every true one must be named.
		found := 0
		for addr := range trueDeposits[svc] {
			if named[addr] {
				found++
			}
		}
		if found*100 < len(trueDeposits[svc])*95 {
			t.Fatalf("alert to %s names %d of the %d true deposits", a.ToName, found, len(trueDeposits[svc]))
		}
		// The exchange sees its alert; the blind one has none.
		var k createdKey
		mustJSON(t, &k, "admin", "key", "create", "--org", a.ToName, "--role", "reader", "--data", data)
		if g := do(t, nil, "GET", in.url+"/api/v1/alerts/"+a.ID, k.Token, nil); g.status != 200 {
			t.Fatalf("%s reads its alert: %d", a.ToName, g.status)
		}
	}
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", orgOf[blind], "--role", "reader", "--data", data)
	if l := do(t, nil, "GET", in.url+"/api/v1/alerts", k.Token, nil); l.status != 200 || strings.Contains(string(l.body), "alert--") {
		t.Fatalf("the exchange that may not read the source lists: %d %s", l.status, l.body)
	}
	// A reader key may not raise alerts.
	if r := do(t, nil, "POST", in.url+"/api/v1/alerts/from-trace", k.Token, strings.NewReader(body), "Content-Type", "application/json"); r.status != 403 {
		t.Fatalf("reader raises: %d", r.status)
	}
}
