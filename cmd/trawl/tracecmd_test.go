package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/btcsim"
)

// simulatedHub simulates a chain with a theft, ingests it into a data dir,
// tags the exchanges' hot wallets and OTC desks as an analyst would, and
// lists the thief's addresses; it returns the data dir and the truth.
func simulatedHub(t *testing.T) (string, *btcsim.Truth) {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	chain := filepath.Join(dir, "chain")
	if _, errOut, code := cli(t, "simulate", "--seed", "3", "--txs", "20000", "--out", chain); code != 0 {
		t.Fatalf("simulate: %s", errOut)
	}
	if _, errOut, code := cli(t, "ingest", "btc", "--blocks", chain, "--data", data); code != 0 {
		t.Fatalf("ingest: %s", errOut)
	}
	raw, err := os.ReadFile(filepath.Join(chain, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var truth btcsim.Truth
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	kind := map[string]string{}
	for _, e := range truth.Entities {
		kind[e.ID] = e.Kind
	}
	var csv strings.Builder
	csv.WriteString("address,label,category,source\n")
	for _, x := range truth.Exchanges {
		for _, a := range x.HotWallets {
			csv.WriteString(a + "," + x.ID + ",exchange,test analyst\n")
		}
	}
	for a, owner := range truth.Owners {
		if kind[owner] == btcsim.KindOTC {
			csv.WriteString(a + "," + owner + ",otc,test analyst\n")
		}
	}
	tagFile := filepath.Join(dir, "tags.csv")
	os.WriteFile(tagFile, []byte(csv.String()), 0o600)
	if _, errOut, code := cli(t, "import", "tags", tagFile, "--data", data); code != 0 {
		t.Fatalf("import tags: %s", errOut)
	}
	listFile := filepath.Join(dir, "thief.txt")
	os.WriteFile(listFile, []byte(strings.Join(truth.AttackerAddresses, "\n")+"\n"), 0o600)
	if _, errOut, code := cli(t, "import", "addresses", listFile, "--source", "fiu", "--label", "thief of the simulated theft", "--data", data); code != 0 {
		t.Fatalf("import addresses: %s", errOut)
	}
	return data, &truth
}

func TestTraceCommands(t *testing.T) {
	data, truth := simulatedHub(t)
	theft := truth.Thefts[0].Txid

	// JSON lines of where the coins are, with the cash-outs at the exchanges.
	out, errOut, code := cli(t, "trace", "btc", "--from", theft, "--model", "haircut", "--max-hops", "1000", "--json", "--data", data)
	if code != 0 {
		t.Fatalf("trace: %s", errOut)
	}
	truthAt := map[string]btcsim.CashOut{}
	for _, co := range truth.CashOuts {
		truthAt[co.Txid+":"+strconv.Itoa(int(co.Vout))] = co
	}
	var found, lines int
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r struct {
			Address, Service, Txid, Kind string
			Cluster                      uint32
			Sats                         uint64
			Hops                         int
			Vout                         uint32
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		lines++
		if r.Address == "" || r.Txid == "" || r.Sats == 0 || r.Hops < 0 {
			t.Fatalf("incomplete line: %s", l)
		}
		if co, ok := truthAt[r.Txid+":"+strconv.Itoa(int(r.Vout))]; ok && r.Kind == "cashout" && r.Service == co.Service {
			found++
		}
	}
	if found < len(truth.CashOuts)*95/100 {
		t.Fatalf("trace found %d of %d true cash-outs in %d lines", found, len(truth.CashOuts), lines)
	}

	// Evidence exports.
	out, _, code = cli(t, "trace", "btc", "--from", theft, "--format", "dot", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "digraph trace {") || !strings.Contains(out, "->") {
		t.Fatalf("dot export: %.300s", out)
	}
	out, _, code = cli(t, "trace", "btc", "--from", theft, "--format", "csv", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "address,cluster,service,category,sats,hops,txid,vout,kind") {
		t.Fatalf("csv export: %.300s", out)
	}
	var whole struct {
		Totals struct {
			Source uint64 `json:"source_sats"`
		}
		Graph struct{ Nodes []json.RawMessage }
	}
	mustJSON(t, &whole, "trace", "btc", "--from", theft, "--format", "json", "--data", data)
	if whole.Totals.Source == 0 || len(whole.Graph.Nodes) == 0 {
		t.Fatalf("json export: %+v", whole)
	}
	// label: sources reach what the lists name.
	if _, errOut, code := cli(t, "trace", "btc", "--from", "label:thief of the simulated theft", "--data", data); code != 0 {
		t.Fatalf("trace from a label: %s", errOut)
	}

	// Bad input is refused with what to fix.
	for _, bad := range [][]string{
		{"trace", "btc"},
		{"trace", "btc", "--from", theft, "--model", "fifty"},
		{"trace", "btc", "--from", "cluster:999999999"},
		{"trace", "btc", "--from", strings.Repeat("ab", 32)},
		{"trace", "btc", "--from", theft + ":x"},
		{"trace", "btc", "--from", theft, "--format", "pdf"},
	} {
		if _, errOut, code := cli(t, append(bad, "--data", data)...); code == 0 || errOut == "" {
			t.Fatalf("trawl %v succeeded", bad)
		}
	}

	// Exposure of a cash-out deposit to the listed thief.
	co := truth.CashOuts[0]
	var ex struct {
		Sources []struct {
			Category string
			Share    float64
		}
		Risk struct{ Score int }
	}
	mustJSON(t, &ex, "btc", "exposure", co.Address, "--data", data)
	if len(ex.Sources) == 0 || ex.Sources[0].Category != "listed" || ex.Sources[0].Share <= 0 || ex.Risk.Score < 25 {
		t.Fatalf("exposure of cash-out %s: %+v", co.Address, ex)
	}

	// Paths from the theft to that deposit.
	var paths struct {
		Paths []struct {
			Sats  uint64
			Txids []string
		}
	}
	mustJSON(t, &paths, "btc", "path", "--from", theft, "--to", co.Address, "--max-depth", "12", "--data", data)
	if len(paths.Paths) == 0 || paths.Paths[0].Txids[0] == "" {
		t.Fatalf("no path from the theft to %s", co.Address)
	}
}

func TestClusterCommands(t *testing.T) {
	data, truth := simulatedHub(t)
	// Two addresses of one exchange's hot wallet set were spent together.
	var show struct {
		Cluster   uint32
		Size      int
		Addresses []string
		Actor     *struct{ Name string }
	}
	hot := truth.Exchanges[0].HotWallets[0]
	mustJSON(t, &show, "cluster", "show", hot, "--data", data)
	if show.Size == 0 || show.Actor == nil || show.Actor.Name != truth.Exchanges[0].ID {
		t.Fatalf("cluster of a tagged hot wallet: %+v", show)
	}
	// Every address is exported once.
	out, _, code := cli(t, "cluster", "export", "--json", "--data", data)
	if code != 0 {
		t.Fatal("cluster export failed")
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		var r struct {
			Address string
			Cluster uint32
		}
		if json.Unmarshal([]byte(l), &r) != nil || r.Address == "" || r.Cluster == 0 || seen[r.Address] {
			t.Fatalf("bad export line %q", l)
		}
		seen[r.Address] = true
	}
	if len(seen) < len(truth.Owners)*9/10 {
		t.Fatalf("exported %d addresses, the chain has %d", len(seen), len(truth.Owners))
	}
	// Why two members are together, and the veto that undoes it.
	if show.Size < 2 {
		t.Skip("the hot wallet's cluster has one address")
	}
	a, b := show.Addresses[0], show.Addresses[1]
	out, errOut, code := cli(t, "cluster", "why", a, b, "--json", "--data", data)
	if code != 0 {
		t.Fatalf("why: %s", errOut)
	}
	var m struct{ A, B, Txid, Heuristic string }
	if err := json.Unmarshal([]byte(strings.Split(out, "\n")[0]), &m); err != nil || m.Txid == "" || m.Heuristic != "multi-input" {
		t.Fatalf("why: %q", out)
	}
	var path []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		json.Unmarshal([]byte(l), &m)
		path = append(path, m.Txid)
	}
	for _, txid := range path {
		if _, errOut, code := cli(t, "cluster", "veto", txid, "--data", data); code != 0 {
			t.Fatalf("veto: %s", errOut)
		}
	}
	if out, _, code := cli(t, "cluster", "why", a, b, "--data", data); code == 0 {
		// Other merges may still join them; the vetoed ones must not be named.
		for _, txid := range path {
			if strings.Contains(out, txid) {
				t.Fatalf("a vetoed merge still explains the cluster: %s", out)
			}
		}
	}
	if _, errOut, code := cli(t, "cluster", "unveto", path[0], "--data", data); code != 0 {
		t.Fatalf("unveto: %s", errOut)
	}
	if _, _, code := cli(t, "cluster", "veto", "nothex", "--data", data); code != 2 {
		t.Fatalf("veto of garbage: exit %d", code)
	}
}

// The tracing routes on a running server: trace with exports, cluster,
// path, exposure, and screening's exposure block; what the caller may not
// see of the hub stays out of exposure.
func TestTraceAPI(t *testing.T) {
	data, truth := simulatedHub(t)
	var org struct{ ID string }
	mustJSON(t, &org, "admin", "org", "create", "exchange", "--data", data)
	var key createdKey
	mustJSON(t, &key, "admin", "key", "create", "--org", "exchange", "--role", "analyst", "--data", data)
	in := start(t, "serve", "--data", data)
	theft := truth.Thefts[0].Txid
	post := func(path, body string) response {
		return do(t, nil, "POST", in.url+path, key.Token, strings.NewReader(body), "Content-Type", "application/json")
	}
	var r response
	waitFor(t, func() bool {
		r = post("/api/v1/btc/trace", `{"from":["`+theft+`"],"model":"haircut","max_hops":1000}`)
		return r.status != http.StatusServiceUnavailable
	})
	if r.status != 200 {
		t.Fatalf("trace: %d %s", r.status, r.body)
	}
	var v struct {
		Results []struct{ Kind, Service, Txid string }
		Totals  struct {
			Source  uint64 `json:"source_sats"`
			CashOut uint64 `json:"cashout_sats"`
		}
		Graph struct {
			Nodes []struct{ ID, Kind string }
			Edges []struct {
				From, To string
				Sats     uint64
			}
		}
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if v.Totals.Source != uint64(truth.Thefts[0].Amount) || v.Totals.CashOut == 0 || len(v.Graph.Nodes) == 0 || len(v.Graph.Edges) == 0 {
		t.Fatalf("trace answer: totals %+v, %d nodes, %d edges (theft %d)", v.Totals, len(v.Graph.Nodes), len(v.Graph.Edges), truth.Thefts[0].Amount)
	}
	if r := post("/api/v1/btc/trace?format=dot", `{"from":["`+theft+`"]}`); r.status != 200 || !strings.HasPrefix(string(r.body), "digraph") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/vnd.graphviz") {
		t.Fatalf("dot: %d %.200s", r.status, r.body)
	}
	if r := post("/api/v1/btc/trace?format=csv", `{"from":["`+theft+`"]}`); r.status != 200 || !strings.HasPrefix(string(r.body), "address,") {
		t.Fatalf("csv: %d %.200s", r.status, r.body)
	}
	for body, code := range map[string]string{
		`{"from":[]}`: "invalid",
		`{"from":["` + theft + `"],"model":"magic"}`: "invalid",
		`{"from":["cluster:4000000000"]}`:            "not_found",
		`{"from":["` + theft + `"],"max_hops":-1}`:   "invalid",
		`{"form":["x"]}`:                             "invalid",
	} {
		if r := post("/api/v1/btc/trace", body); r.status/100 != 4 || r.errCode(t) != code {
			t.Fatalf("trace %s: %d %s", body, r.status, r.body)
		}
	}
	if r := do(t, nil, "POST", in.url+"/api/v1/btc/trace", "", strings.NewReader(`{"from":["`+theft+`"]}`)); r.status != 401 {
		t.Fatalf("trace without a key: %d", r.status)
	}

	co := truth.CashOuts[0]
	r = do(t, nil, "GET", in.url+"/api/v1/btc/cluster/"+co.Address, key.Token, nil)
	if r.status != 200 || r.json(t)["size"].(float64) < 1 {
		t.Fatalf("cluster of %s: %d %s", co.Address, r.status, r.body)
	}
	r = do(t, nil, "GET", in.url+"/api/v1/btc/path?from="+theft+"&to="+co.Address+"&max_depth=12", key.Token, nil)
	if r.status != 200 || len(r.json(t)["paths"].([]any)) == 0 {
		t.Fatalf("path: %d %s", r.status, r.body)
	}
	if r := do(t, nil, "GET", in.url+"/api/v1/btc/path?from="+theft+"&to="+co.Address+"&max_depth=99", key.Token, nil); r.status != 400 {
		t.Fatalf("path depth 99: %d", r.status)
	}
	r = do(t, nil, "GET", in.url+"/api/v1/btc/exposure/"+co.Address, key.Token, nil)
	if r.status != 200 || len(r.json(t)["sources"].([]any)) == 0 {
		t.Fatalf("exposure: %d %s", r.status, r.body)
	}
	r = post("/api/v1/screen", `{"addresses":["`+co.Address+`","`+truth.AttackerAddresses[0]+`","0x098B716B8Aaf21512996dC57EB0615e2383E2f96"]}`)
	var sr struct {
		Results []struct {
			Address  string
			Listed   bool
			Exposure *struct {
				Sources []struct{ Category string }
				Risk    struct{ Score int }
			}
		}
	}
	if err := json.Unmarshal(r.body, &sr); err != nil || len(sr.Results) != 3 {
		t.Fatalf("screen: %d %s", r.status, r.body)
	}
	if e := sr.Results[0].Exposure; e == nil || len(e.Sources) == 0 || e.Risk.Score == 0 {
		t.Fatalf("screening a cash-out deposit: no exposure block: %s", r.body)
	}
	if !sr.Results[1].Listed || sr.Results[1].Exposure == nil || sr.Results[1].Exposure.Risk.Score < 90 {
		t.Fatalf("screening the listed thief: %s", r.body)
	}
	if sr.Results[2].Exposure != nil {
		t.Fatalf("an Ethereum address got a Bitcoin exposure: %s", r.body)
	}
}

// Change heuristics are chosen by configuration, and a bad name is refused
// with the names that exist.
func TestClusterChangeOption(t *testing.T) {
	data, truth := simulatedHub(t)
	hot := truth.Exchanges[0].HotWallets[0]
	var plain, change struct{ Size int }
	mustJSON(t, &plain, "cluster", "show", hot, "--data", data)
	mustJSON(t, &change, "cluster", "show", hot, "--data", data, "--cluster-change", "onetime,round")
	if plain.Size == 0 || change.Size < plain.Size {
		t.Fatalf("cluster sizes: multi-input %d, with change %d", plain.Size, change.Size)
	}
	_, errOut, code := cli(t, "cluster", "show", hot, "--data", data, "--cluster-change", "magic")
	if code != 2 || !strings.Contains(errOut, "onetime") {
		t.Fatalf("bad heuristic: exit %d: %s", code, errOut)
	}
}
