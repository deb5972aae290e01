package stix

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/errs"
)

// Upgrade20 converts one STIX 2.0 object to STIX 2.1 and returns its JSON,
// keeping the order of the properties:
//   - adds spec_version "2.1";
//   - moves the 2.0 "labels" of indicator, malware, report, threat-actor and
//     tool to their 2.1 *_types property, adds pattern_type "stix" to
//     indicators and is_family true to malware (2.0 malware were families);
//   - pads created and modified to the millisecond precision 2.1 requires;
//   - renames the cyber-observable properties that changed in 2.1 inside an
//     observed-data "objects" (kept, as 2.1 still allows it; UpgradeBundle20
//     turns them into separate SCOs).
//
// An object that already says spec_version "2.1" is returned unchanged.
// The result is not validated; Parse it.
func Upgrade20(raw []byte) ([]byte, error) {
	ms, err := splitObject(raw, MaxObjectBytes)
	if err != nil {
		return nil, err
	}
	out, _, err := upgradeMembers(ms, false)
	if err != nil {
		return nil, err
	}
	if out == nil {
		return bytes.Clone(raw), nil
	}
	return joinObject(out), nil
}

// UpgradeBundle20 converts a STIX 2.0 bundle ("spec_version": "2.0") to a
// STIX 2.1 bundle (which has no spec_version). Cyber observables embedded
// in observed-data become top-level SCOs with deterministic ids, placed
// right after their observed-data, which then refers to them by
// object_refs.
func UpgradeBundle20(raw []byte) ([]byte, error) {
	b, err := decodeBundle(raw)
	if err != nil {
		return nil, err
	}
	if b.SpecVersion != "2.0" && b.SpecVersion != "" {
		return nil, errs.E(errs.Invalid, "stix: bundle %s: property \"spec_version\": %q is not 2.0", b.ID, b.SpecVersion)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"type":"bundle","id":`)
	idJSON, _ := json.Marshal(b.ID)
	buf.Write(idJSON)
	buf.WriteString(`,"objects":[`)
	first := true
	emit := func(obj []byte) {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.Write(obj)
	}
	for i, r := range b.Objects {
		ms, err := splitObject(r, MaxObjectBytes)
		if err != nil {
			return nil, errs.E(errs.Invalid, "stix: bundle object %d: %s", i, strings.TrimPrefix(errs.MessageOf(err), "stix: "))
		}
		out, extra, err := upgradeMembers(ms, true)
		if err != nil {
			return nil, errs.E(errs.Invalid, "stix: bundle object %d: %s", i, strings.TrimPrefix(errs.MessageOf(err), "stix: "))
		}
		if out == nil {
			emit(r)
			continue
		}
		emit(joinObject(out))
		for _, sco := range extra {
			emit(sco)
		}
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}

type member struct {
	key string
	val json.RawMessage
}

// splitObject decodes the members of a JSON object in their order.
func splitObject(raw []byte, limit int) ([]member, error) {
	if len(raw) > limit {
		return nil, errs.E(errs.TooLarge, "stix: object of %d bytes exceeds the limit of %d bytes", len(raw), limit)
	}
	if !utf8.Valid(raw) {
		return nil, errs.E(errs.Invalid, "stix: object is not valid UTF-8")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errs.E(errs.Invalid, "stix: an object must be a JSON object")
	}
	if _, err := checkShape(raw, MaxDepth, MaxListLen); err != nil {
		return nil, err
	}
	if !json.Valid(raw) {
		return nil, errs.E(errs.Invalid, "stix: malformed JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, errs.E(errs.Invalid, "stix: malformed JSON: %v", err)
	}
	var ms []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errs.E(errs.Invalid, "stix: malformed JSON: %v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, errs.E(errs.Invalid, "stix: object has duplicate property %q", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errs.E(errs.Invalid, "stix: malformed JSON: %v", err)
		}
		ms = append(ms, member{key, v})
	}
	return ms, nil
}

func joinObject(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func get(ms []member, key string) (json.RawMessage, int) {
	for i, m := range ms {
		if m.key == key {
			return m.val, i
		}
	}
	return nil, -1
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("stix: marshal of a plain value failed: " + err.Error())
	}
	return b
}

// labelsTo names the 2.1 property that took over the role of 2.0 "labels".
var labelsTo = map[string]string{
	"indicator": "indicator_types", "malware": "malware_types", "report": "report_types",
	"threat-actor": "threat_actor_types", "tool": "tool_types",
}

// upgradeMembers upgrades one object; out is nil when it is already 2.1.
// With extract, an observed-data's embedded observables come back as
// separate SCOs in extra and the object refers to them by object_refs.
func upgradeMembers(ms []member, extract bool) (out []member, extra [][]byte, err error) {
	typRaw, _ := get(ms, "type")
	typ, ok := decodeString(typRaw)
	if !ok || !validTypeName(typ) {
		return nil, nil, errs.E(errs.Invalid, "stix: property \"type\": required, a STIX type name")
	}
	idRaw, _ := get(ms, "id")
	id, _ := decodeString(idRaw)
	name := id
	if name == "" {
		name = typ
	}
	fail := func(prop, format string, args ...any) ([]member, [][]byte, error) {
		return nil, nil, errs.E(errs.Invalid, "stix: %s: property %q: %s", name, prop, fmt.Sprintf(format, args...))
	}
	if svRaw, i := get(ms, "spec_version"); i >= 0 {
		sv, _ := decodeString(svRaw)
		switch sv {
		case "2.1":
			return nil, nil, nil
		case "2.0":
		default:
			return fail("spec_version", "%q is not 2.0", sv)
		}
	}
	out = make([]member, 0, len(ms)+2)
	for _, m := range ms {
		switch m.key {
		case "spec_version":
			continue
		case "created", "modified":
			if s, ok := decodeString(m.val); ok {
				m.val = mustJSON(padMillis(s))
			}
		case "labels":
			if to, ok := labelsTo[typ]; ok {
				if _, i := get(ms, to); i < 0 {
					m.key = to
				}
			}
		}
		out = append(out, m)
		if m.key == "type" {
			out = append(out, member{"spec_version", json.RawMessage(`"2.1"`)})
		}
	}
	switch typ {
	case "indicator":
		if _, i := get(out, "pattern_type"); i < 0 {
			_, at := get(out, "pattern")
			out = slices.Insert(out, at+1, member{"pattern_type", json.RawMessage(`"stix"`)})
		}
	case "malware":
		if _, i := get(out, "is_family"); i < 0 {
			out = append(out, member{"is_family", json.RawMessage(`true`)})
		}
	case "observed-data":
		objsRaw, i := get(out, "objects")
		if i < 0 {
			break
		}
		upgraded, scos, err := upgradeObservables(id, objsRaw)
		if err != nil {
			return fail("objects", "%v", err)
		}
		if !extract {
			out[i].val = upgraded
			break
		}
		out[i] = member{"object_refs", mustJSON(scos.ids)}
		return out, scos.objects, nil
	}
	return out, nil, nil
}

// padMillis gives a timestamp at least millisecond precision:
// "2016-04-06T20:03:00Z" → "2016-04-06T20:03:00.000Z".
func padMillis(s string) string {
	if len(s) < 20 || s[len(s)-1] != 'Z' {
		return s
	}
	body := s[:len(s)-1]
	dot := strings.IndexByte(body, '.')
	if dot < 0 {
		return body + ".000Z"
	}
	if frac := len(body) - dot - 1; frac < 3 {
		return body + strings.Repeat("0", 3-frac) + "Z"
	}
	return s
}

// scoRenames maps 2.0 cyber-observable properties to their 2.1 names.
// Properties that 2.1 dropped keep their value under an x_stix20_ name.
var scoRenames = map[string]map[string]string{
	"file": {"created": "ctime", "modified": "mtime", "accessed": "atime",
		"is_encrypted": "x_stix20_is_encrypted", "encryption_algorithm": "x_stix20_encryption_algorithm",
		"decryption_key": "x_stix20_decryption_key"},
	"directory":            {"created": "ctime", "modified": "mtime", "accessed": "atime"},
	"windows-registry-key": {"modified": "modified_time"},
	"user-account":         {"password_last_changed": "credential_last_changed"},
	"process":              {"created": "created_time", "name": "x_stix20_name", "arguments": "x_stix20_arguments"},
}

// idContributing lists the properties from which STIX 2.1 derives a
// deterministic SCO id (Part 2, "ID Contributing Properties").
var idContributing = map[string][]string{
	"artifact": {"hashes", "payload_bin"}, "autonomous-system": {"number"}, "directory": {"path"},
	"domain-name": {"value"}, "email-addr": {"value"}, "email-message": {"from_ref", "subject", "body"},
	"file": {"hashes", "name", "extensions", "parent_directory_ref"}, "ipv4-addr": {"value"},
	"ipv6-addr": {"value"}, "mac-addr": {"value"}, "mutex": {"name"},
	"network-traffic": {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"software":        {"name", "cpe", "swid", "vendor", "version"}, "url": {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"}, "x509-certificate": {"hashes", "serial_number"},
}

// scoNamespace is the UUIDv5 namespace STIX 2.1 defines for SCO ids.
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

func uuidV5(ns [16]byte, name []byte) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write(name)
	sum := h.Sum(nil)
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	x := hex.EncodeToString(sum[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

type extracted struct {
	ids     []string
	objects [][]byte
}

// upgradeObservables renames 2.0 properties in an observed-data "objects"
// dictionary and also builds the equivalent top-level 2.1 SCOs. The ids
// follow the 2.1 UUIDv5 scheme over the ID contributing properties, with
// references resolved to ids where the target's id does not itself depend on
// a reference; an observable with none of those properties gets an id
// derived from the observed-data id and its key, so an upgrade is
// repeatable.
func upgradeObservables(observedID string, raw json.RawMessage) (upgraded json.RawMessage, ex *extracted, err error) {
	var objs map[string]map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&objs); err != nil || len(objs) == 0 {
		return nil, nil, fmt.Errorf("must be a non-empty dictionary of cyber observables")
	}
	keys := make([]string, 0, len(objs))
	for k, o := range objs {
		t, _ := o["type"].(string)
		if !validTypeName(t) {
			return nil, nil, fmt.Errorf("observable %q has no valid type", k)
		}
		for from, to := range scoRenames[t] {
			if v, ok := o[from]; ok {
				if _, taken := o[to]; !taken {
					o[to] = v
					delete(o, from)
				}
			}
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	upgraded = mustJSON(objs)

	ids := make(map[string]string, len(objs))
	dependsOnRef := func(o map[string]any) bool {
		for _, p := range idContributing[o["type"].(string)] {
			if strings.HasSuffix(p, "_ref") && o[p] != nil {
				return true
			}
		}
		return false
	}
	assign := func(k string) {
		o := objs[k]
		t := o["type"].(string)
		contrib := map[string]any{}
		for _, p := range idContributing[t] {
			if v, ok := o[p]; ok {
				contrib[p] = rewriteRefs(v, ids, p)
			}
		}
		var name []byte
		if len(contrib) > 0 {
			name = mustJSON(contrib)
		} else {
			name = []byte(observedID + "/" + k)
		}
		ids[k] = t + "--" + uuidV5(scoNamespace, name)
	}
	for _, k := range keys {
		if !dependsOnRef(objs[k]) {
			assign(k)
		}
	}
	for _, k := range keys {
		if dependsOnRef(objs[k]) {
			assign(k)
		}
	}
	ex = &extracted{}
	for _, k := range keys {
		o := objs[k]
		sco := make(map[string]any, len(o)+2)
		for p, v := range o {
			sco[p] = rewriteRefs(v, ids, p)
		}
		sco["id"] = ids[k]
		sco["spec_version"] = "2.1"
		ex.ids = append(ex.ids, ids[k])
		ex.objects = append(ex.objects, mustJSON(sco))
	}
	return upgraded, ex, nil
}

// rewriteRefs replaces 2.0 observable keys by ids in *_ref and *_refs
// values, also inside extensions and lists of objects.
func rewriteRefs(v any, ids map[string]string, prop string) any {
	switch x := v.(type) {
	case string:
		if strings.HasSuffix(prop, "_ref") || strings.HasSuffix(prop, "_refs") {
			if id, ok := ids[x]; ok {
				return id
			}
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = rewriteRefs(e, ids, prop)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = rewriteRefs(e, ids, k)
		}
		return out
	}
	return v
}
