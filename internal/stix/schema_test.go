package stix

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/trawlhq/trawl/internal/testenv"
)

// schemaDirs says where the OASIS schema of each specified type lives.
var schemaDirs = map[Class]string{ClassSDO: "sdos", ClassSRO: "sros", ClassSCO: "observables", ClassMeta: "common"}

// schemaExceptions lists objects that legitimately fail the OASIS schemas,
// with the reason. Keyed by object id.
var schemaExceptions = map[string]string{}

type oasisSchemas struct {
	byType map[string]*jsonschema.Schema
}

// loadSchemas compiles the OASIS STIX 2.1 schemas from the shared data. The
// schemas use "\-", which ECMAScript's unicode ("u") mode rejects, so
// JavaScript-minded validators need non-unicode mode. This library compiles
// "pattern" with a pluggable engine (Compiler.UseRegexpEngine) whose default
// is Go's regexp; RE2 syntax accepts any escaped punctuation such as "\-",
// and every pattern in the schemas compiles with it. We set the engine
// explicitly so that the choice is visible and a compile failure would
// surface here.
func loadSchemas(t testing.TB) *oasisSchemas {
	t.Helper()
	dir := testenv.SharedData(t, "stix/schemas")
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(func(s string) (jsonschema.Regexp, error) { return regexp.Compile(s) })
	// The schemas refer to each other by their published URLs; serve
	// those from the local copy.
	const base = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		return c.AddResource(base+filepath.ToSlash(rel), doc)
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &oasisSchemas{byType: map[string]*jsonschema.Schema{}}
	for typ, class := range classes {
		sch, err := c.Compile(base + schemaDirs[class] + "/" + typ + ".json")
		if err != nil {
			if os.IsNotExist(err) || strings.Contains(err.Error(), "no such file") {
				continue
			}
			t.Fatalf("compile schema for %s: %v", typ, err)
		}
		s.byType[typ] = sch
	}
	return s
}

func (s *oasisSchemas) validate(raw []byte) error {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return err
	}
	sch, ok := s.byType[head.Type]
	if !ok {
		return nil // custom types have no schema
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func TestSchemaExamples(t *testing.T) {
	s := loadSchemas(t)
	t.Logf("%d schemas compiled", len(s.byType))
	if len(s.byType) < 30 {
		t.Fatalf("only %d schemas compiled", len(s.byType))
	}
	// The check must be able to fail: a 2.1 indicator without pattern_type.
	bad := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2016-04-06T20:03:48.000Z","modified":"2016-04-06T20:03:48.000Z","pattern":"[file:name = 'x']","valid_from":"2016-01-01T00:00:00Z"}`
	if err := s.validate([]byte(bad)); err == nil {
		t.Fatal("schema accepted an indicator without pattern_type")
	}
	names, raws := exampleObjects(t)
	checked := 0
	for i, raw := range raws {
		o, err := Parse(raw)
		if err != nil {
			t.Errorf("%s: %v", names[i], err)
			continue
		}
		err = s.validate(raw)
		if reason, ok := schemaExceptions[o.ID]; ok {
			if err == nil {
				t.Errorf("%s: listed as failing the schema (%s) but passes", o.ID, reason)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (%s): %v", names[i], o.ID, err)
		}
		checked++
	}
	t.Logf("%d example objects conform to the OASIS schemas", checked)
}

func TestSchemaUpgradedLazarus(t *testing.T) {
	s := loadSchemas(t)
	data, err := os.ReadFile(filepath.Join(testenv.SharedData(t, "stix/attack"), "lazarus-enterprise-stix20.json"))
	if err != nil {
		t.Fatal(err)
	}
	up, err := UpgradeBundle20(data)
	if err != nil {
		t.Fatal(err)
	}
	objs, bad, err := ParseBundle(up)
	if err != nil || len(bad) > 0 {
		t.Fatalf("%v %v", err, bad)
	}
	for _, o := range objs {
		if err := s.validate(o.Raw); err != nil {
			t.Errorf("%s: %v", o.ID, err)
		}
	}
	t.Logf("%d upgraded objects conform to the OASIS schemas", len(objs))
}

func TestSchemaATTACKICS(t *testing.T) {
	s := loadSchemas(t)
	data, err := os.ReadFile(filepath.Join(testenv.SharedData(t, "stix/attack"), "ics-attack-18.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	objs, _, err := ParseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range objs {
		if ClassOf(o.Type) == ClassCustom {
			continue
		}
		n++
		if err := s.validate(o.Raw); err != nil {
			t.Errorf("%s: %v", o.ID, err)
		}
	}
	t.Logf("%d ATT&CK ICS objects of specified types conform to the OASIS schemas", n)
}
