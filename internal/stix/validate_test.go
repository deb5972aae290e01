package stix

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

const (
	tCreated  = "2016-04-06T20:03:48.000Z"
	tModified = "2016-04-06T20:03:48.123456Z"
)

// uuidFor gives each type its own fixed UUID so ids in messages differ.
func uuidFor(typ string) string {
	h := 0
	for _, c := range typ {
		h = h*31 + int(c)
	}
	return fmt.Sprintf("%08x-17d4-4cbf-938f-98ee46b3cd3f", uint32(h))
}

func idOf(typ string) string { return typ + "--" + uuidFor(typ) }

// minimal returns a minimal valid object of every specified type.
func minimal(typ string) map[string]any {
	o := map[string]any{"type": typ, "id": idOf(typ)}
	if ClassOf(typ) != ClassSCO {
		o["spec_version"] = "2.1"
		o["created"] = tCreated
		if typ != "marking-definition" {
			o["modified"] = tModified
		}
	}
	refs := []any{idOf("indicator")}
	extra := map[string]map[string]any{
		"attack-pattern":   {"name": "Spearphishing"},
		"campaign":         {"name": "AppleJeus"},
		"course-of-action": {"name": "Freeze deposits"},
		"grouping":         {"context": "suspicious-activity", "object_refs": refs},
		"identity":         {"name": "KoFIU", "identity_class": "organization"},
		"incident":         {"name": "Ronin bridge theft"},
		"indicator": {"pattern": "[cryptocurrency-wallet:address = '0x098B716B8Aaf21512996dC57EB0615e2383E2f96']",
			"pattern_type": "stix", "valid_from": "2022-04-14T00:00:00Z"},
		"infrastructure":   {"name": "Tornado deposit relay"},
		"intrusion-set":    {"name": "Lazarus Group"},
		"location":         {"country": "KP"},
		"malware":          {"is_family": true, "name": "AppleJeus"},
		"malware-analysis": {"product": "sandbox", "result": "malicious"},
		"note":             {"content": "seen again", "object_refs": refs},
		"observed-data": {"first_observed": tCreated, "last_observed": tCreated, "number_observed": 1,
			"object_refs": []any{idOf("ipv4-addr")}},
		"opinion":            {"opinion": "agree", "object_refs": refs},
		"report":             {"name": "Bybit", "published": tCreated, "object_refs": refs},
		"threat-actor":       {"name": "TraderTraitor"},
		"tool":               {"name": "Tornado Cash"},
		"vulnerability":      {"name": "CVE-2022-0001"},
		"relationship":       {"relationship_type": "indicates", "source_ref": idOf("indicator"), "target_ref": idOf("intrusion-set")},
		"sighting":           {"sighting_of_ref": idOf("indicator"), "where_sighted_refs": []any{idOf("identity")}},
		"language-content":   {"object_ref": idOf("campaign"), "contents": map[string]any{"ko": map[string]any{"name": "x"}}},
		"marking-definition": {"definition_type": "statement", "definition": map[string]any{"statement": "Copyright"}},
		"extension-definition": {"created_by_ref": idOf("identity"), "name": "wallet", "schema": "https://example.org/s.json",
			"version": "1.0", "extension_types": []any{"property-extension"}},
		"artifact":             {"payload_bin": "aGVsbG8="},
		"autonomous-system":    {"number": 4134},
		"directory":            {"path": "/tmp"},
		"domain-name":          {"value": "example.org"},
		"email-addr":           {"value": "a@example.org"},
		"email-message":        {"is_multipart": false},
		"file":                 {"name": "payload.exe"},
		"ipv4-addr":            {"value": "10.0.0.1"},
		"ipv6-addr":            {"value": "::1"},
		"mac-addr":             {"value": "00:00:5e:00:53:01"},
		"mutex":                {"name": "Global\\x"},
		"network-traffic":      {"protocols": []any{"tcp"}, "src_ref": idOf("ipv4-addr")},
		"process":              {"pid": 4},
		"software":             {"name": "Electrum"},
		"url":                  {"value": "https://example.org/"},
		"user-account":         {"user_id": "1001"},
		"windows-registry-key": {"key": "HKEY_LOCAL_MACHINE\\System"},
		"x509-certificate":     {"serial_number": "01"},
	}
	for k, v := range extra[typ] {
		o[k] = v
	}
	return o
}

// with returns a copy of o with the given changes; a nil value deletes.
func with(o map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(o))
	for k, v := range o {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func encode(t testing.TB, o map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantInvalid asserts an Invalid error that names the object and property.
func wantInvalid(t *testing.T, raw []byte, name, prop string) {
	t.Helper()
	_, err := Parse(raw)
	if err == nil {
		t.Fatalf("accepted: %s", raw)
	}
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("code %s, want invalid: %v", errs.CodeOf(err), err)
	}
	want := fmt.Sprintf("stix: %s: property %q: ", name, prop)
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %q\n does not start with %q", err, want)
	}
}

func TestMinimalObjectsOfEveryType(t *testing.T) {
	if len(classes) != 42 {
		t.Fatalf("%d specified types, want 19 SDOs + 2 SROs + 18 SCOs + 3 meta = 42", len(classes))
	}
	for typ := range classes {
		t.Run(typ, func(t *testing.T) {
			o, err := Parse(encode(t, minimal(typ)))
			if err != nil {
				t.Fatal(err)
			}
			if o.Type != typ || o.ID != idOf(typ) || o.SpecVersion != "2.1" {
				t.Fatalf("decoded %+v", o)
			}
			switch ClassOf(typ) {
			case ClassSCO:
				if !o.Version().IsZero() {
					t.Errorf("SCO has version %v", o.Version())
				}
			default:
				want := tModified
				if typ == "marking-definition" {
					want = tCreated
				}
				if w, _ := time.Parse(time.RFC3339Nano, want); !o.Version().Equal(w) {
					t.Errorf("version %v, want %s", o.Version(), want)
				}
			}
		})
	}
}

func TestRequiredProperties(t *testing.T) {
	for typ, class := range classes {
		req := append([]string{"type", "id"}, requiredProps[typ]...)
		if class != ClassSCO {
			req = append(req, "spec_version", "created")
			if typ != "marking-definition" {
				req = append(req, "modified")
			}
		}
		for _, p := range req {
			t.Run(typ+"/"+p, func(t *testing.T) {
				name := idOf(typ)
				switch p {
				case "id":
					name = typ + " (without valid id)"
				case "type":
					name = "object"
				}
				wantInvalid(t, encode(t, with(minimal(typ), p, nil)), name, p)
			})
		}
	}
}

func TestModifiedKeepsSubSecondPrecision(t *testing.T) {
	o, err := Parse(encode(t, with(minimal("indicator"), "modified", "2016-04-06T20:03:48.123456789Z")))
	if err != nil {
		t.Fatal(err)
	}
	if o.Modified.Nanosecond() != 123456789 {
		t.Errorf("modified %v lost precision", o.Modified)
	}
}

func TestValidationRules(t *testing.T) {
	ind := minimal("indicator")
	indID := idOf("indicator")
	tlp2 := func(id, level string) map[string]any {
		return map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": id, "created": "2022-10-01T00:00:00.000Z",
			"name":       "TLP:" + strings.ToUpper(level),
			"extensions": map[string]any{TLP2ExtensionID: map[string]any{"extension_type": "property-extension", "tlp_2_0": level}}}
	}
	tlp1 := func(id, level string) map[string]any {
		return map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": id, "created": "2017-01-20T00:00:00.000Z",
			"definition_type": "tlp", "definition": map[string]any{"tlp": level}}
	}
	md := func(id string) string { return id }
	cases := []struct {
		name string
		obj  map[string]any
		id   string // object name in the message; "" for the indicator
		prop string
	}{
		{"id type prefix", with(ind, "id", "malware--"+uuidFor("indicator")), "indicator (without valid id)", "id"},
		{"id not uuid", with(ind, "id", "indicator--1234"), "indicator (without valid id)", "id"},
		{"type not a type name", with(ind, "type", "Indicator"), "object", "type"},
		{"timestamp with offset", with(ind, "created", "2016-04-06T20:03:48+00:00"), "", "created"},
		{"timestamp lower-case z", with(ind, "created", "2016-04-06T20:03:48.000z"), "", "created"},
		{"timestamp impossible date", with(ind, "created", "2016-02-30T20:03:48.000Z"), "", "created"},
		{"timestamp not a string", with(ind, "created", 1459973028), "", "created"},
		{"modified before created", with(ind, "modified", "2015-01-01T00:00:00.000Z"), "", "modified"},
		{"spec_version 2.0", with(ind, "spec_version", "2.0"), "", "spec_version"},
		{"spec_version 2.2", with(ind, "spec_version", "2.2"), "", "spec_version"},
		{"created_by_ref to a non-identity", with(ind, "created_by_ref", idOf("malware")), "", "created_by_ref"},
		{"created_by_ref not an id", with(ind, "created_by_ref", "KoFIU"), "", "created_by_ref"},
		{"object_marking_refs to a non-marking", with(ind, "object_marking_refs", []any{idOf("identity")}), "", "object_marking_refs"},
		{"object_marking_refs empty", with(ind, "object_marking_refs", []any{}), "", "object_marking_refs"},
		{"granular marking_ref to a non-marking", with(ind, "granular_markings", []any{map[string]any{"selectors": []any{"name"}, "marking_ref": indID}}), "", "granular_markings[0].marking_ref"},
		{"granular selectors empty", with(ind, "granular_markings", []any{map[string]any{"selectors": []any{}, "marking_ref": TLP2Red}}), "", "granular_markings[0].selectors"},
		{"granular selectors missing", with(ind, "granular_markings", []any{map[string]any{"marking_ref": TLP2Red}}), "", "granular_markings[0].selectors"},
		{"granular selector malformed", with(ind, "granular_markings", []any{map[string]any{"selectors": []any{"name..x"}, "marking_ref": TLP2Red}}), "", "granular_markings[0].selectors"},
		{"granular lang and marking_ref", with(ind, "granular_markings", []any{map[string]any{"selectors": []any{"name"}, "marking_ref": TLP2Red, "lang": "en"}}), "", "granular_markings[0]"},
		{"granular neither lang nor marking_ref", with(ind, "granular_markings", []any{map[string]any{"selectors": []any{"name"}}}), "", "granular_markings[0]"},
		{"extensions not a dict", with(ind, "extensions", []any{"x"}), "", "extensions"},
		{"extensions empty", with(ind, "extensions", map[string]any{}), "", "extensions"},
		{"extension key neither id nor -ext", with(ind, "extensions", map[string]any{"acme": map[string]any{"a": 1}}), "", "extensions.acme"},
		{"extension value not a dict", with(ind, "extensions", map[string]any{"x-acme-ext": "a"}), "", "extensions.x-acme-ext"},
		{"extension_type unknown", with(ind, "extensions", map[string]any{TLP2ExtensionID: map[string]any{"extension_type": "new-thing"}}), "", "extensions." + TLP2ExtensionID + ".extension_type"},
		{"custom property upper case", with(ind, "X_Acme", "a"), "", "X_Acme"},
		{"custom property too short", with(ind, "xa", "a"), "", "xa"},
		{"custom property with hyphen", with(ind, "x-acme", "a"), "", "x-acme"},
		{"custom property too long", with(ind, strings.Repeat("x", 251), "a"), "", strings.Repeat("x", 251)},
		{"custom ref not an id", with(ind, "x_acme_ref", "nope"), "", "x_acme_ref"},
		{"custom refs not ids", with(ind, "x_acme_refs", []any{"nope"}), "", "x_acme_refs"},
		{"_bin not base64", with(ind, "x_acme_bin", "!!"), "", "x_acme_bin"},
		{"_hex not hex", with(ind, "x_acme_hex", "xyz"), "", "x_acme_hex"},
		{"pattern malformed", with(ind, "pattern", "[file:name = 'x'"), "", "pattern"},
		{"pattern_type missing", with(ind, "pattern_type", nil), "", "pattern_type"},
		{"valid_until before valid_from", with(ind, "valid_until", "2021-01-01T00:00:00Z"), "", "valid_until"},
		{"valid_until equal valid_from", with(ind, "valid_until", "2022-04-14T00:00:00Z"), "", "valid_until"},
		{"valid_from malformed", with(ind, "valid_from", "yesterday"), "", "valid_from"},
		{"confidence above 100", with(ind, "confidence", 101), "", "confidence"},
		{"confidence negative", with(ind, "confidence", -1), "", "confidence"},
		{"confidence not an integer", with(ind, "confidence", 50.5), "", "confidence"},
		{"lang malformed", with(ind, "lang", "en_US"), "", "lang"},
		{"labels not a list", with(ind, "labels", "apt"), "", "labels"},
		{"labels of numbers", with(ind, "labels", []any{1}), "", "labels"},
		{"labels empty", with(ind, "labels", []any{}), "", "labels"},
		{"revoked not bool", with(ind, "revoked", "yes"), "", "revoked"},
		{"name not a string", with(ind, "name", 7), "", "name"},
		{"kill_chain_phases not objects", with(ind, "kill_chain_phases", []any{"x"}), "", "kill_chain_phases[0]"},
		{"external_references without source_name", with(ind, "external_references", []any{map[string]any{"url": "https://x"}}), "", "external_references[0].source_name"},
		{"external_references with source_name only", with(ind, "external_references", []any{map[string]any{"source_name": "x"}}), "", "external_references[0]"},
		{"external_references bad hash", with(ind, "external_references", []any{map[string]any{"source_name": "x", "url": "https://x", "hashes": map[string]any{"SHA-256": "abc"}}}), "", "external_references[0].hashes"},
		{"spec_version missing on custom SDO-like", with(ind, "type", "x-acme-case", "id", "x-acme-case--"+uuidFor("x"), "spec_version", nil), "x-acme-case--" + uuidFor("x"), "spec_version"},
		{"custom object bad created", with(ind, "type", "x-acme-case", "id", "x-acme-case--"+uuidFor("x"), "created", "now"), "x-acme-case--" + uuidFor("x"), "created"},

		{"malware family without name", with(minimal("malware"), "name", nil), idOf("malware"), "name"},
		{"malware is_family not bool", with(minimal("malware"), "is_family", "yes"), idOf("malware"), "is_family"},
		{"malware sample_refs to an ip", with(minimal("malware"), "sample_refs", []any{idOf("ipv4-addr")}), idOf("malware"), "sample_refs"},
		{"location without place", with(minimal("location"), "country", nil), idOf("location"), "region"},
		{"location latitude alone", with(minimal("location"), "latitude", 39.0), idOf("location"), "latitude"},
		{"location latitude out of range", with(minimal("location"), "latitude", 91.0, "longitude", 125.7), idOf("location"), "latitude"},
		{"location precision without coordinates", with(minimal("location"), "precision", 10.0), idOf("location"), "precision"},
		{"malware-analysis without result", with(minimal("malware-analysis"), "result", nil), idOf("malware-analysis"), "result"},
		{"observed-data objects and object_refs", with(minimal("observed-data"), "objects", map[string]any{"0": map[string]any{"type": "ipv4-addr", "value": "10.0.0.1"}}), idOf("observed-data"), "object_refs"},
		{"observed-data object_refs to an SDO", with(minimal("observed-data"), "object_refs", []any{indID}), idOf("observed-data"), "object_refs"},
		{"observed-data objects without type", with(minimal("observed-data"), "object_refs", nil, "objects", map[string]any{"0": map[string]any{"value": "10.0.0.1"}}), idOf("observed-data"), "objects.0.type"},
		{"observed-data last before first", with(minimal("observed-data"), "last_observed", "2015-01-01T00:00:00Z"), idOf("observed-data"), "last_observed"},
		{"observed-data number_observed 0", with(minimal("observed-data"), "number_observed", 0), idOf("observed-data"), "number_observed"},
		{"opinion outside vocabulary", with(minimal("opinion"), "opinion", "meh"), idOf("opinion"), "opinion"},
		{"report object_refs not ids", with(minimal("report"), "object_refs", []any{"x"}), idOf("report"), "object_refs"},
		{"relationship source_ref to a marking", with(minimal("relationship"), "source_ref", TLP2Red), idOf("relationship"), "source_ref"},
		{"relationship target_ref to a relationship", with(minimal("relationship"), "target_ref", idOf("relationship")), idOf("relationship"), "target_ref"},
		{"relationship target_ref not an id", with(minimal("relationship"), "target_ref", "Lazarus"), idOf("relationship"), "target_ref"},
		{"relationship stop before start", with(minimal("relationship"), "start_time", "2020-01-01T00:00:00Z", "stop_time", "2019-01-01T00:00:00Z"), idOf("relationship"), "stop_time"},
		{"sighting_of_ref to an SCO", with(minimal("sighting"), "sighting_of_ref", idOf("ipv4-addr")), idOf("sighting"), "sighting_of_ref"},
		{"sighting where_sighted_refs to an indicator", with(minimal("sighting"), "where_sighted_refs", []any{indID}), idOf("sighting"), "where_sighted_refs"},
		{"sighting observed_data_refs to an indicator", with(minimal("sighting"), "observed_data_refs", []any{indID}), idOf("sighting"), "observed_data_refs"},
		{"sighting count negative", with(minimal("sighting"), "count", -1), idOf("sighting"), "count"},
		{"sighting last_seen before first_seen", with(minimal("sighting"), "first_seen", "2020-01-01T00:00:00Z", "last_seen", "2019-01-01T00:00:00Z"), idOf("sighting"), "last_seen"},
		{"language-content object_ref to a bundle", with(minimal("language-content"), "object_ref", "bundle--"+uuidFor("b")), idOf("language-content"), "object_ref"},
		{"language-content contents key", with(minimal("language-content"), "contents", map[string]any{"not a tag": map[string]any{"name": "x"}}), idOf("language-content"), "contents"},
		{"extension-definition unknown extension type", with(minimal("extension-definition"), "extension_types", []any{"new-thing"}), idOf("extension-definition"), "extension_types"},
		{"extension-definition created_by_ref", with(minimal("extension-definition"), "created_by_ref", nil), idOf("extension-definition"), "created_by_ref"},
		{"marking-definition without definition", with(minimal("marking-definition"), "definition", nil, "definition_type", nil), idOf("marking-definition"), "definition_type"},
		{"marking-definition statement empty", with(minimal("marking-definition"), "definition", map[string]any{"statement": ""}), idOf("marking-definition"), "definition.statement"},
		{"TLP 2.0 under a foreign id", tlp2(idOf("marking-definition"), "clear"), idOf("marking-definition"), "id"},
		{"TLP 2.0 relabelled", tlp2(md(TLP2Clear), "red"), TLP2Clear, "id"},
		{"TLP 2.0 unknown level", tlp2(md(TLP2Clear), "white"), TLP2Clear, "extensions." + TLP2ExtensionID + ".tlp_2_0"},
		{"TLP 1.0 under a foreign id", tlp1(TLP2Red, "red"), TLP2Red, "id"},
		{"TLP 1.0 unknown level", tlp1(TLP1Red, "black"), TLP1Red, "definition.tlp"},

		{"SCO spec_version 2.0", with(minimal("ipv4-addr"), "spec_version", "2.0"), idOf("ipv4-addr"), "spec_version"},
		{"SCO value empty", with(minimal("ipv4-addr"), "value", ""), idOf("ipv4-addr"), "value"},
		{"ipv4 resolves_to_refs to a domain", with(minimal("ipv4-addr"), "resolves_to_refs", []any{idOf("domain-name")}), idOf("ipv4-addr"), "resolves_to_refs"},
		{"artifact payload_bin and url", with(minimal("artifact"), "url", "https://x"), idOf("artifact"), "payload_bin"},
		{"artifact url without hashes", with(minimal("artifact"), "payload_bin", nil, "url", "https://x"), idOf("artifact"), "hashes"},
		{"artifact payload_bin not base64", with(minimal("artifact"), "payload_bin", "%%"), idOf("artifact"), "payload_bin"},
		{"autonomous-system number not int", with(minimal("autonomous-system"), "number", "AS4134"), idOf("autonomous-system"), "number"},
		{"file without hashes or name", with(minimal("file"), "name", nil, "size", 10), idOf("file"), "name"},
		{"file hash wrong length", with(minimal("file"), "hashes", map[string]any{"MD5": "abc"}), idOf("file"), "hashes"},
		{"file hash not a string", with(minimal("file"), "hashes", map[string]any{"SHA-256": 1}), idOf("file"), "hashes"},
		{"file size negative", with(minimal("file"), "size", -1), idOf("file"), "size"},
		{"file parent_directory_ref to a file", with(minimal("file"), "parent_directory_ref", idOf("file")), idOf("file"), "parent_directory_ref"},
		{"email-message multipart with body", with(minimal("email-message"), "is_multipart", true, "body", "x"), idOf("email-message"), "body"},
		{"email-message from_ref to a url", with(minimal("email-message"), "from_ref", idOf("url")), idOf("email-message"), "from_ref"},
		{"network-traffic without ends", with(minimal("network-traffic"), "src_ref", nil), idOf("network-traffic"), "src_ref"},
		{"network-traffic src_ref to a file", with(minimal("network-traffic"), "src_ref", idOf("file")), idOf("network-traffic"), "src_ref"},
		{"network-traffic port out of range", with(minimal("network-traffic"), "dst_port", 70000), idOf("network-traffic"), "dst_port"},
		{"network-traffic protocols empty", with(minimal("network-traffic"), "protocols", []any{}), idOf("network-traffic"), "protocols"},
		{"process with no property", with(minimal("process"), "pid", nil), idOf("process"), "type"},
		{"user-account with no property", with(minimal("user-account"), "user_id", nil), idOf("user-account"), "type"},
		{"x509 validity not a timestamp", with(minimal("x509-certificate"), "validity_not_after", "2030"), idOf("x509-certificate"), "validity_not_after"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := c.id
			if name == "" {
				name = indID
			}
			wantInvalid(t, encode(t, c.obj), name, c.prop)
		})
	}
}

func TestValidVariants(t *testing.T) {
	ind := minimal("indicator")
	cases := []struct {
		name string
		obj  map[string]any
	}{
		{"TLP 2.0 CLEAR", map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": TLP2Clear, "created": "2022-10-01T00:00:00.000Z",
			"name": "TLP:CLEAR", "extensions": map[string]any{TLP2ExtensionID: map[string]any{"extension_type": "property-extension", "tlp_2_0": "clear"}}}},
		{"TLP 2.0 AMBER+STRICT", map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": TLP2AmberStrict, "created": "2022-10-01T00:00:00.000Z",
			"name": "TLP:AMBER+STRICT", "extensions": map[string]any{TLP2ExtensionID: map[string]any{"extension_type": "property-extension", "tlp_2_0": "amber+strict"}}}},
		{"TLP 1.0 WHITE", map[string]any{"type": "marking-definition", "spec_version": "2.1", "id": TLP1White, "created": "2017-01-20T00:00:00.000Z",
			"definition_type": "tlp", "definition": map[string]any{"tlp": "white"}}},
		{"custom object type", map[string]any{"type": "x-trawl-wallet-cluster", "spec_version": "2.1", "id": "x-trawl-wallet-cluster--" + uuidFor("w"),
			"created": tCreated, "modified": tCreated, "x_trawl_addresses": []any{"bc1q…"}, "member_refs": []any{idOf("indicator")}}},
		{"custom SCO-like object", map[string]any{"type": "cryptocurrency-wallet", "id": "cryptocurrency-wallet--" + uuidFor("c"), "address": "0x098B716B8Aaf21512996dC57EB0615e2383E2f96"}},
		{"custom properties", with(ind, "x_mitre_version", "1.0", "x_acme_score", 7, "acme_flag", true)},
		{"granular markings by lang and ref", with(ind, "granular_markings", []any{
			map[string]any{"selectors": []any{"description", "external_references.[0].url"}, "marking_ref": TLP2Red},
			map[string]any{"selectors": []any{"name"}, "lang": "ko"}})},
		{"extensions of both kinds", with(ind, "extensions", map[string]any{"x-acme-ext": map[string]any{"a": 1}, "extension-definition--" + uuidFor("e"): map[string]any{"extension_type": "property-extension", "rank": 2}})},
		{"upper-case UUID", with(ind, "id", "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F")},
		{"SCO without spec_version", with(minimal("ipv4-addr"), "spec_version", nil)},
		{"artifact by url", with(minimal("artifact"), "payload_bin", nil, "url", "https://x", "hashes", map[string]any{"SHA-256": strings.Repeat("ab", 32)})},
		{"observed-data with deprecated objects", with(minimal("observed-data"), "object_refs", nil, "objects", map[string]any{"0": map[string]any{"type": "ipv4-addr", "value": "10.0.0.1"}})},
		{"non-stix pattern not parsed", with(ind, "pattern_type", "sigma", "pattern", "title: x")},
		{"location by coordinates", with(minimal("location"), "country", nil, "latitude", 39.0, "longitude", 125.75, "precision", 1000.0)},
		{"marking-definition with stray modified", with(minimal("marking-definition"), "modified", tModified)},
		{"custom empty x_ ref (ATT&CK)", with(ind, "x_mitre_data_source_ref", "")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := Parse(encode(t, c.obj))
			if err != nil {
				t.Fatal(err)
			}
			if o.SpecVersion != "2.1" {
				t.Errorf("spec version %q", o.SpecVersion)
			}
			if o.Type == "marking-definition" && !o.Modified.IsZero() {
				t.Errorf("marking definition got a modified time")
			}
		})
	}
}

func TestMalformedInput(t *testing.T) {
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	deepObj := `{"type":"indicator","x_deep":` + deep + `}`
	long := `{"type":"indicator","x_long":[` + strings.Repeat("0,", MaxListLen) + `0]}`
	cases := []struct {
		name, raw string
		code      errs.Code
		msg       string
	}{
		{"not JSON", `{"type":`, errs.Invalid, "malformed JSON"},
		{"array", `[{"type":"indicator"}]`, errs.Invalid, "must be a JSON object"},
		{"empty", ``, errs.Invalid, "must be a JSON object"},
		{"duplicate property", `{"type":"indicator","id":"a","id":"b"}`, errs.Invalid, "duplicate"},
		{"duplicate via escape", `{"type":"indicator","id":"a","\u0069d":"b"}`, errs.Invalid, "duplicate"},
		{"invalid UTF-8", "{\"type\":\"indicator\",\"name\":\"\xff\"}", errs.Invalid, "UTF-8"},
		{"too deep", deepObj, errs.Invalid, "nested deeper"},
		{"too long a list", long, errs.Invalid, "more than"},
		{"too large", `{"type":"indicator","x_big":"` + strings.Repeat("a", MaxObjectBytes) + `"}`, errs.TooLarge, "exceeds"},
		{"type missing", `{"id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, errs.Invalid, `property "type": required`},
		{"type not a string", `{"type":1}`, errs.Invalid, `property "type": must be a string`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.raw))
			if err == nil || errs.CodeOf(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v (%s), want %s containing %q", err, errs.CodeOf(err), c.code, c.msg)
			}
		})
	}
}

func TestParseBundle(t *testing.T) {
	good := encode(t, minimal("indicator"))
	bad := encode(t, with(minimal("malware"), "name", nil))
	sco := encode(t, minimal("ipv4-addr"))
	raw := `{"type":"bundle","id":"bundle--` + uuidFor("b") + `","objects":[` + string(good) + `,` + string(bad) + `,` + string(sco) + `]}`
	objs, bad2, err := ParseBundle([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].Type != "indicator" || objs[1].Type != "ipv4-addr" {
		t.Errorf("objects %v", objs)
	}
	if len(bad2) != 1 || bad2[1] == nil || !strings.Contains(bad2[1].Error(), idOf("malware")) {
		t.Errorf("errors %v", bad2)
	}
	if string(objs[0].Raw) != string(good) {
		t.Error("bundle object Raw is not byte-for-byte")
	}
	for _, b := range []string{
		`{"type":"bundle","id":"bundle--x","objects":[]}`,
		`{"type":"report","id":"bundle--` + uuidFor("b") + `","objects":[]}`,
		`{"type":"bundle","id":"bundle--` + uuidFor("b") + `","spec_version":"2.0","objects":[]}`,
		`{"type":"bundle","id":"bundle--` + uuidFor("b") + `","objects":{}}`,
		`[]`,
	} {
		if _, _, err := ParseBundle([]byte(b)); !errs.Is(err, errs.Invalid) {
			t.Errorf("bundle %s: %v", b, err)
		}
	}
}

func TestTLP(t *testing.T) {
	cases := []struct {
		id   string
		want TLP
	}{
		{TLP2Clear, TLPClear}, {TLP2Green, TLPGreen}, {TLP2Amber, TLPAmber}, {TLP2AmberStrict, TLPAmberStrict}, {TLP2Red, TLPRed},
		{TLP1White, TLPClear}, {TLP1Green, TLPGreen}, {TLP1Amber, TLPAmber}, {TLP1Red, TLPRed},
	}
	for _, c := range cases {
		if got, ok := TLPOf(c.id); !ok || got != c.want {
			t.Errorf("TLPOf(%s) = %q %v, want %q", c.id, got, ok, c.want)
		}
		if IDType(c.id) != "marking-definition" {
			t.Errorf("%s is not a marking-definition id", c.id)
		}
	}
	if _, ok := TLPOf(idOf("marking-definition")); ok {
		t.Error("a statement marking has a TLP level")
	}
	if !IsTLP1(TLP1Amber) || IsTLP1(TLP2Amber) {
		t.Error("IsTLP1")
	}
	o, err := Parse(encode(t, with(minimal("indicator"), "object_marking_refs", []any{TLP1Green, TLP2AmberStrict, idOf("marking-definition")})))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := o.TLP(); !ok || got != TLPAmberStrict {
		t.Errorf("object TLP %q %v, want amber+strict", got, ok)
	}
	for i, l := range []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed} {
		if l.Rank() != i {
			t.Errorf("%s rank %d", l, l.Rank())
		}
	}
}
