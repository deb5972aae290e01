package stix

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/testenv"
)

// exampleObjects walks the OASIS examples and returns every object, keyed
// by "file#index" (index -1 for a file holding one object).
func exampleObjects(t testing.TB) (names []string, raws []json.RawMessage) {
	t.Helper()
	dir := testenv.SharedData(t, "stix/examples")
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		var head struct {
			Type    string            `json:"type"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		if head.Type != "bundle" {
			names = append(names, rel)
			raws = append(raws, data)
			return nil
		}
		for i, o := range head.Objects {
			names = append(names, rel+"#"+strconv.Itoa(i))
			raws = append(raws, o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names, raws
}

func TestExamplesParse(t *testing.T) {
	names, raws := exampleObjects(t)
	const want = 260
	if len(raws) != want {
		t.Errorf("found %d example objects, want %d", len(raws), want)
	}
	for i, raw := range raws {
		o, err := Parse(raw)
		if err != nil {
			t.Errorf("%s: %v", names[i], err)
			continue
		}
		if string(o.Raw) != string(raw) {
			t.Errorf("%s: Raw is not the input byte-for-byte", names[i])
		}
		if o.Version().IsZero() && ClassOf(o.Type) != ClassSCO {
			t.Errorf("%s: %s has no version", names[i], o.ID)
		}
	}
}

func TestExampleBundlesParse(t *testing.T) {
	dir := testenv.SharedData(t, "stix/examples")
	total := 0
	for _, f := range []string{"threat-reports/apt1.json", "threat-reports/poisonivy.json", "infrastructure.json"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		objs, bad, err := ParseBundle(data)
		if err != nil || len(bad) > 0 {
			t.Fatalf("%s: %v %v", f, err, bad)
		}
		total += len(objs)
	}
	if total != 76+155+10 {
		t.Errorf("parsed %d objects from three bundles, want 241", total)
	}
}

func TestATTACKICS(t *testing.T) {
	path := filepath.Join(testenv.SharedData(t, "stix/attack"), "ics-attack-18.1.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	objs, bad, err := ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range bad {
		t.Errorf("object %d: %v", i, e)
	}
	if len(objs) != 1826 {
		t.Errorf("parsed %d objects, want 1826", len(objs))
	}
	var lazarus *Object
	for _, o := range objs {
		if o.ID == "intrusion-set--c93fccb1-e8e8-42cf-ae33-2ad1d183913a" {
			lazarus = o
		}
	}
	if lazarus == nil {
		t.Fatal("Lazarus Group intrusion-set not found")
	}
	var v struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(lazarus.Raw, &v); err != nil || v.Name != "Lazarus Group" {
		t.Errorf("Lazarus object name %q (%v)", v.Name, err)
	}
	if lazarus.Type != "intrusion-set" || lazarus.Modified.IsZero() || lazarus.CreatedByRef == "" || len(lazarus.MarkingRefs) != 1 {
		t.Errorf("common properties not decoded: %+v", lazarus)
	}
}

func TestLazarusEnterpriseUpgrade(t *testing.T) {
	path := filepath.Join(testenv.SharedData(t, "stix/attack"), "lazarus-enterprise-stix20.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// As 2.0 it must be refused, naming the way out.
	if _, _, err := ParseBundle(data); err == nil || !strings.Contains(err.Error(), "upgrade") {
		t.Errorf("2.0 bundle not refused with a hint to upgrade: %v", err)
	}
	up, err := UpgradeBundle20(data)
	if err != nil {
		t.Fatal(err)
	}
	objs, bad, err := ParseBundle(up)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range bad {
		t.Errorf("object %d: %v", i, e)
	}
	// The shared README says 244; the file holds 243 objects (242 with
	// "modified", plus the marking definition) — counted here.
	const want = 243
	if len(objs) != want {
		t.Errorf("upgraded bundle has %d objects, want %d", len(objs), want)
	}
	types := map[string]int{}
	for _, o := range objs {
		types[o.Type]++
		if o.SpecVersion != "2.1" {
			t.Errorf("%s: spec_version %q", o.ID, o.SpecVersion)
		}
	}
	if types["relationship"] != 120 || types["intrusion-set"] != 1 || types["malware"] != 22 {
		t.Errorf("type counts %v", types)
	}
}

func decodeInto(t testing.TB, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}
