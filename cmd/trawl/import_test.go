package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/testenv"
)

// TestImportRealSTIX imports the OASIS examples, MITRE ATT&CK for ICS and the
// STIX 2.0 Lazarus bundle (upgraded on import), then reads everything back
// over TAXII: every object comes back byte for byte as stored. (The stix
// package's tests check those same bytes against the OASIS JSON schemas.)
func TestImportRealSTIX(t *testing.T) {
	examples := testenv.SharedData(t, "stix/examples")
	ics := testenv.SharedData(t, "stix/attack/ics-attack-18.1.json")
	lazarus := testenv.SharedData(t, "stix/attack/lazarus-enterprise-stix20.json")
	dir := t.TempDir()
	cli(t, "admin", "org", "create", "cert", "--data", dir)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "cert", "--role", "analyst", "--data", dir)
	var coll struct{ ID string }
	mustJSON(t, &coll, "admin", "collection", "create", "--title", "imports", "--org", "cert", "--alias", "imports", "--data", dir)

	type result struct {
		Objects, Imported, Failed int
		Upgraded                  bool `json:"upgraded_from_2_0"`
	}
	// The examples: single objects and bundles, gathered into one JSON-lines file.
	var lines []string
	var files []string
	filepath.WalkDir(examples, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	for _, f := range files {
		objs, _, err := readSTIXFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range objs {
			var buf bytes.Buffer
			json.Compact(&buf, o)
			lines = append(lines, buf.String())
		}
	}
	exFile := filepath.Join(dir, "examples.jsonl")
	os.WriteFile(exFile, []byte(strings.Join(lines, "\n")), 0o600)
	var r result
	mustJSON(t, &r, "import", "stix", exFile, "--collection", "imports", "--data", dir)
	if r.Failed != 0 || r.Imported != len(lines) || len(lines) != 260 {
		t.Fatalf("examples: %+v of %d objects", r, len(lines))
	}
	mustJSON(t, &r, "import", "stix", ics, "--collection", "imports", "--data", dir)
	if r.Failed != 0 || r.Imported != 1826 {
		t.Fatalf("ATT&CK ICS: %+v", r)
	}
	mustJSON(t, &r, "import", "stix", lazarus, "--collection", "imports", "--data", dir)
	if r.Failed != 0 || !r.Upgraded || r.Imported < 243 {
		t.Fatalf("Lazarus STIX 2.0: %+v", r)
	}
	// Idempotent: importing again adds nothing new.
	mustJSON(t, &r, "import", "stix", ics, "--collection", "imports", "--data", dir)
	if r.Failed != 0 {
		t.Fatalf("re-import: %+v", r)
	}

	in := start(t, "serve", "--data", dir)
	want := map[string]string{}
	for _, l := range lines {
		var o struct{ ID, Modified, Created string }
		json.Unmarshal([]byte(l), &o)
		want[o.ID+"|"+o.Modified+o.Created] = l
	}
	got, next := 0, ""
	matched := 0
	for {
		u := in.url + "/taxii2/hub/collections/" + coll.ID + "/objects/?match[version]=all&limit=1000"
		if next != "" {
			u += "&next=" + next
		}
		resp := do(t, nil, "GET", u, k.Token, nil)
		var env struct {
			More    bool
			Next    string
			Objects []json.RawMessage
		}
		if err := json.Unmarshal(resp.body, &env); err != nil {
			t.Fatal(err)
		}
		for _, o := range env.Objects {
			got++
			var m struct{ ID, Modified, Created string }
			json.Unmarshal(o, &m)
			if l, ok := want[m.ID+"|"+m.Modified+m.Created]; ok {
				var buf bytes.Buffer
				json.Compact(&buf, o)
				if buf.String() != l {
					t.Fatalf("%s changed on the way:\n%s\n%s", m.ID, l, buf.String())
				}
				matched++
			}
		}
		if !env.More {
			break
		}
		next = env.Next
	}
	// Some examples share an id and version (the same object in two files).
	if got < 1826+243+200 || matched < 200 {
		t.Fatalf("read back %d objects, %d of them examples", got, matched)
	}
	t.Logf("imported and read back %d objects (%d example objects byte for byte)", got, matched)
}
