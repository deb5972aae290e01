package stix

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/errs"
)

func TestUpgrade20Objects(t *testing.T) {
	data, err := os.ReadFile("testdata/stix20-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	decodeInto(t, data, &b)
	type props map[string]any
	checks := map[string]func(t *testing.T, p props){
		"indicator": func(t *testing.T, p props) {
			if p["pattern_type"] != "stix" || p["labels"] != nil || !slices.Equal(strs(p["indicator_types"]), []string{"malicious-activity"}) {
				t.Errorf("indicator %v", p)
			}
			if p["created"] != "2022-04-14T00:00:00.000Z" || p["modified"] != "2022-04-14T00:00:00.500Z" {
				t.Errorf("timestamps not padded: %v %v", p["created"], p["modified"])
			}
		},
		"malware": func(t *testing.T, p props) {
			if p["is_family"] != true || !slices.Equal(strs(p["malware_types"]), []string{"trojan"}) {
				t.Errorf("malware %v", p)
			}
		},
		"tool":         func(t *testing.T, p props) { wantMoved(t, p, "tool_types") },
		"threat-actor": func(t *testing.T, p props) { wantMoved(t, p, "threat_actor_types") },
		"report":       func(t *testing.T, p props) { wantMoved(t, p, "report_types") },
		"observed-data": func(t *testing.T, p props) {
			objs := p["objects"].(map[string]any)
			file := objs["4"].(map[string]any)
			dir := objs["3"].(map[string]any)
			if file["mtime"] == nil || file["modified"] != nil || dir["ctime"] == nil {
				t.Errorf("2.0 observable properties not renamed: %v", objs)
			}
		},
		"marking-definition": func(t *testing.T, p props) {},
	}
	for _, raw := range b.Objects {
		up, err := Upgrade20(raw)
		if err != nil {
			t.Fatal(err)
		}
		o, err := Parse(up)
		if err != nil {
			t.Fatalf("upgraded object does not parse: %v\n%s", err, up)
		}
		var p props
		decodeInto(t, up, &p)
		if p["spec_version"] != "2.1" {
			t.Errorf("%s: spec_version %v", o.ID, p["spec_version"])
		}
		// spec_version goes right after type, and the order is kept.
		if !strings.HasPrefix(string(up), `{"type":"`+o.Type+`","spec_version":"2.1","id":`) {
			t.Errorf("%s: property order not kept: %.80s", o.ID, up)
		}
		t.Run(o.Type, func(t *testing.T) { checks[o.Type](t, p) })

		// Upgrading 2.1 is the identity.
		again, err := Upgrade20(up)
		if err != nil || string(again) != string(up) {
			t.Errorf("%s: upgrading a 2.1 object changed it: %v", o.ID, err)
		}
	}
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, e := range l {
		out[i], _ = e.(string)
	}
	return out
}

func wantMoved(t *testing.T, p map[string]any, to string) {
	t.Helper()
	if p["labels"] != nil || len(strs(p[to])) != 1 {
		t.Errorf("labels not moved to %s: %v", to, p)
	}
}

func TestUpgradeBundle20ExtractsObservables(t *testing.T) {
	data, err := os.ReadFile("testdata/stix20-bundle.json")
	if err != nil {
		t.Fatal(err)
	}
	up, err := UpgradeBundle20(data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(up[:100]), "spec_version") {
		t.Errorf("2.1 bundle kept spec_version: %.100s", up)
	}
	objs, bad, err := ParseBundle(up)
	if err != nil || len(bad) > 0 {
		t.Fatalf("%v %v", err, bad)
	}
	if len(objs) != 7+5 {
		t.Fatalf("%d objects, want 12 (7 + 5 extracted observables)", len(objs))
	}
	byID := map[string]*Object{}
	for _, o := range objs {
		byID[o.ID] = o
	}
	var od struct {
		ObjectRefs []string `json:"object_refs"`
		Objects    any      `json:"objects"`
	}
	decodeInto(t, byID["observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf"].Raw, &od)
	if len(od.ObjectRefs) != 5 || od.Objects != nil {
		t.Fatalf("observed-data not converted to object_refs: %+v", od)
	}
	for _, id := range od.ObjectRefs {
		if byID[id] == nil {
			t.Errorf("object_refs %s not in the bundle", id)
		}
	}
	var nt struct{ SrcRef, DstRef string }
	for _, id := range od.ObjectRefs {
		if IDType(id) == "network-traffic" {
			var v map[string]any
			decodeInto(t, byID[id].Raw, &v)
			nt.SrcRef, _ = v["src_ref"].(string)
			nt.DstRef, _ = v["dst_ref"].(string)
		}
	}
	if IDType(nt.SrcRef) != "ipv4-addr" || byID[nt.SrcRef] == nil || byID[nt.DstRef] == nil {
		t.Errorf("network-traffic refs not rewritten to ids: %+v", nt)
	}
	// Ids follow the STIX 2.1 UUIDv5 scheme, so an upgrade is repeatable.
	if byID["ipv4-addr--ad74bc22-43d2-52ed-890e-7d382f58e1eb"] == nil {
		t.Error("203.0.113.1 did not get its deterministic id")
	}
	if up2, _ := UpgradeBundle20(data); string(up2) != string(up) {
		t.Error("upgrade is not deterministic")
	}
}

func TestUUIDv5(t *testing.T) {
	// The documented example of Python's uuid module: uuid5(NAMESPACE_DNS, "python.org").
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got := uuidV5(dns, []byte("python.org")); got != "886313e1-3b8a-5372-9b90-0c9aee199e5d" {
		t.Errorf("uuidV5 = %s", got)
	}
	// STIX 2.1 SCO namespace over the ID contributing properties.
	if got := uuidV5(scoNamespace, []byte(`{"value":"203.0.113.1"}`)); got != "ad74bc22-43d2-52ed-890e-7d382f58e1eb" {
		t.Errorf("SCO id = %s", got)
	}
}

func TestUpgradeErrors(t *testing.T) {
	cases := []struct{ name, in string }{
		{"not JSON", `{"type":`},
		{"no type", `{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`},
		{"unknown spec_version", `{"type":"indicator","spec_version":"1.2"}`},
		{"observed-data objects not a dict", `{"type":"observed-data","id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","objects":[1]}`},
		{"duplicate property", `{"type":"indicator","type":"malware"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Upgrade20([]byte(c.in)); !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v", err)
			}
		})
	}
	if _, err := UpgradeBundle20([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.1","objects":[]}`)); !errs.Is(err, errs.Invalid) {
		t.Errorf("2.1-labelled bundle accepted for upgrade: %v", err)
	}
	if _, err := UpgradeBundle20([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.0","objects":[{"x":1}]}`)); err == nil || !strings.Contains(err.Error(), "bundle object 0") {
		t.Errorf("bad object in bundle: %v", err)
	}
}
