package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A TagPack and a CSV as an analyst would write them.
const (
	testTagPack = `title: Bybit theft, February 2025
creator: FIU analyst
source: https://www.ic3.gov/PSA/2025/PSA250226
currency: ETH
actor: lazarus-group
category: perpetrator
abuse: service_hack
confidence: authority_data
tags:
  - address: "0x51E9d833Ecae4E8D9D8Be17300AEE6D3398C135D"
    label: TraderTraitor (Bybit theft)
  - address: "0x96244D83DC15d36847C35209bBDc5bdDE9bEc3D8"
    label: TraderTraitor (Bybit theft)
`
	testTagCSV = "address,label,category,source,actor,confidence\n" +
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4,Example exchange hot wallet,exchange,proof of reserves 2025,example-exchange,ownership\n" +
		"0x51e9d833ecae4e8d9d8be17300aee6d3398c135d,Example exchange deposit,exchange,a web crawl,example-exchange,web_crawl\n"
)

type tagImport struct {
	Pack                          string
	Format                        string
	Tags, Added, Removed, Changed int
	Unchanged                     bool
	Sources                       []struct{ Source string }
	Diff                          struct {
		Added, Removed, Changed []struct{ Address, Label string }
	}
}

func TestImportTags(t *testing.T) {
	dir := t.TempDir()
	pack := filepath.Join(dir, "bybit.yaml")
	csv := filepath.Join(dir, "exchanges.csv")
	os.WriteFile(pack, []byte(testTagPack), 0o600)
	os.WriteFile(csv, []byte(testTagCSV), 0o600)

	var r tagImport
	mustJSON(t, &r, "import", "tags", pack, "--data", dir)
	if r.Pack != "Bybit theft, February 2025" || r.Format != "TagPack" || r.Tags != 2 || r.Added != 2 || r.Unchanged {
		t.Fatalf("TagPack import: %+v", r)
	}
	// The same file again: nothing added, said so.
	mustJSON(t, &r, "import", "tags", pack, "--data", dir)
	if r.Added != 0 || r.Removed != 0 || r.Changed != 0 || !r.Unchanged {
		t.Fatalf("repeat import: %+v", r)
	}
	out, _, code := cli(t, "import", "tags", pack, "--data", dir)
	if code != 0 || !strings.Contains(out, "unchanged since the last import (2 tags)") {
		t.Fatalf("text output: %d %q", code, out)
	}
	// A CSV is kept under its file name, or the name given.
	mustJSON(t, &r, "import", "tags", csv, "--data", dir)
	if r.Pack != "exchanges" || r.Format != "CSV" || r.Added != 2 || len(r.Sources) != 2 {
		t.Fatalf("CSV import: %+v", r)
	}
	// A changed TagPack under the name --source gives: one tag gone, one
	// changed, with the diff on request.
	changed := strings.Replace(testTagPack, "  - address: \"0x96244D83DC15d36847C35209bBDc5bdDE9bEc3D8\"\n    label: TraderTraitor (Bybit theft)\n", "", 1)
	changed = strings.Replace(changed, "confidence: authority_data", "confidence: ownership", 1)
	os.WriteFile(pack, []byte(changed), 0o600)
	mustJSON(t, &r, "import", "tags", pack, "--source", "Bybit theft, February 2025", "--diff", "--data", dir)
	if r.Removed != 1 || r.Changed != 1 || r.Added != 0 || len(r.Diff.Removed) != 1 || r.Diff.Removed[0].Address != "0x96244D83DC15d36847C35209bBDc5bdDE9bEc3D8" {
		t.Fatalf("changed import: %+v", r)
	}
	// --format overrides the extension.
	odd := filepath.Join(dir, "tags.txt")
	os.WriteFile(odd, []byte(testTagCSV), 0o600)
	mustJSON(t, &r, "import", "tags", odd, "--format", "csv", "--pack", "odd", "--data", dir)
	if r.Pack != "odd" || r.Tags != 2 {
		t.Fatalf("--format csv: %+v", r)
	}

	// Refusals are usage errors (exit 2) that say where the problem is.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("address,label,category,source\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,Genesis,exchange,s\nnot-an-address,x,exchange,s\n"), 0o600)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"import", "tags", bad}, "CSV line 3, tag 2, field address"},
		{[]string{"import", "tags", odd}, "--format tagpack or --format csv"},
		{[]string{"import", "tags", pack, "--format", "xml"}, "want tagpack or csv"},
		{[]string{"import", "tags", filepath.Join(dir, "missing.csv")}, "no such file"},
		{[]string{"import", "tags"}, "the tag file"},
	} {
		_, errOut, code := cli(t, append(c.args, "--data", dir)...)
		if code != 2 || !strings.Contains(errOut, c.says) {
			t.Errorf("trawl %v: exit %d, %q; want 2 saying %q", c.args, code, errOut, c.says)
		}
	}
	// The refused file stored nothing.
	if _, _, code := cli(t, "import", "tags", bad, "--pack", "exchanges", "--data", dir); code != 2 {
		t.Fatal("a bad file was accepted")
	}

	// Over REST: any key reads tags; only the operator's admin imports.
	cli(t, "admin", "org", "create", "hub", "--operator", "--data", dir)
	cli(t, "admin", "org", "create", "exchange-1", "--data", dir)
	var admin, reader, otherAdmin createdKey
	mustJSON(t, &admin, "admin", "key", "create", "--org", "hub", "--role", "admin", "--data", dir)
	mustJSON(t, &reader, "admin", "key", "create", "--org", "exchange-1", "--role", "reader", "--data", dir)
	mustJSON(t, &otherAdmin, "admin", "key", "create", "--org", "exchange-1", "--role", "admin", "--data", dir)
	in := start(t, "serve", "--data", dir)

	resp := do(t, nil, "GET", in.url+"/api/v1/tags?address=0x51E9D833ECAE4E8D9D8BE17300AEE6D3398C135D", reader.Token, nil)
	m := resp.json(t)
	tags, _ := m["tags"].([]any)
	conflicts, _ := m["conflicts"].([]any)
	if resp.status != 200 || len(tags) != 3 || len(conflicts) != 2 { // the TagPack, the CSV and its copy "odd"
		t.Fatalf("lookup: %d %s", resp.status, resp.body)
	}
	body := "address,label,category,source\n1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa,Genesis,other,block 0\n"
	resp = do(t, nil, "POST", in.url+"/api/v1/tags?pack=genesis", otherAdmin.Token, strings.NewReader(body), "Content-Type", "text/csv")
	if resp.status != 403 || resp.errCode(t) != "forbidden" {
		t.Fatalf("import by another org's admin: %d %s", resp.status, resp.body)
	}
	resp = do(t, nil, "POST", in.url+"/api/v1/tags?pack=genesis", admin.Token, strings.NewReader(body), "Content-Type", "text/csv")
	if resp.status != 200 || resp.json(t)["added"] != 1.0 {
		t.Fatalf("import by the operator's admin: %d %s", resp.status, resp.body)
	}
	resp = do(t, nil, "GET", in.url+"/api/v1/tags?address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", reader.Token, nil)
	if p, _ := resp.json(t)["primary"].(map[string]any); resp.status != 200 || p["label"] != "Genesis" || p["pack"] != "genesis" {
		t.Fatalf("lookup after REST import: %d %s", resp.status, resp.body)
	}
	// Both ways of importing are in the audit log.
	waitFor(t, func() bool {
		out, _, _ := cli(t, "audit", "export", "--data", dir)
		var sawCLI, sawPost bool
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var e struct{ Actor, Action, Target, Detail string }
			json.Unmarshal([]byte(line), &e)
			sawCLI = sawCLI || (e.Actor == "cli" && e.Action == "trawl import tags" && strings.HasSuffix(e.Target, "bybit.yaml"))
			sawPost = sawPost || (e.Action == "POST /api/v1/tags" && strings.Contains(e.Detail, `pack "genesis": 1 tags, 1 added`))
		}
		return sawCLI && sawPost
	})
}
