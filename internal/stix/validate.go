package stix

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

func (c *checker) validate() error {
	o := c.obj
	typ, ok := c.str("type")
	if !ok {
		if !c.has("type") {
			c.fail("type", "required")
		}
		return c.err
	}
	if !validTypeName(typ) {
		c.fail("type", "%q is not a STIX type name (3-250 of a-z, 0-9 and '-', starting with a letter)", typ)
		return c.err
	}
	o.Type = typ
	id, ok := c.str("id")
	if !ok {
		if !c.has("id") {
			c.fail("id", "required")
		}
		return c.err
	}
	if err := checkID(id, typ); err != nil {
		c.fail("id", "%v", err)
		return c.err
	}
	o.ID = id

	keys := make([]string, 0, len(c.m))
	for k := range c.m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first error must not depend on map order
	for _, k := range keys {
		if !validPropName(k) {
			c.fail(k, "is not a valid property name (3-250 of a-z, 0-9 and '_')")
			return c.err
		}
	}

	class := ClassOf(typ)
	c.checkCommon(class)
	if c.err != nil {
		return c.err
	}
	for _, k := range keys {
		c.checkProp(class, k)
		if c.err != nil {
			return c.err
		}
	}
	c.require(requiredProps[typ]...)
	if c.err == nil {
		c.checkType(typ)
	}
	return c.err
}

// checkCommon checks the properties every object may carry and fills the
// Object fields.
func (c *checker) checkCommon(class Class) {
	o := c.obj
	// A custom object with created/modified is SDO-like; without, SCO-like.
	sdoLike := class == ClassSDO || class == ClassSRO || class == ClassMeta ||
		class == ClassCustom && (c.has("created") || c.has("modified"))
	if sv, ok := c.str("spec_version"); ok {
		switch sv {
		case "2.1":
		case "2.0":
			c.fail("spec_version", "this is a STIX 2.0 object; upgrade it to 2.1 first")
		default:
			c.fail("spec_version", "%q is not supported (want \"2.1\")", sv)
		}
	} else if sdoLike && !c.has("spec_version") {
		c.fail("spec_version", "required for %s", o.Type)
	}
	o.SpecVersion = "2.1"

	if sdoLike {
		c.require("created")
		if o.Type != "marking-definition" {
			c.require("modified")
		}
	}
	if t, ok := c.ts("created"); ok {
		o.Created = t
	}
	if o.Type != "marking-definition" { // immutable: its version is created
		if t, ok := c.ts("modified"); ok {
			o.Modified = t
			if !o.Created.IsZero() && t.Before(o.Created) {
				c.fail("modified", "must not be before created")
			}
		}
	}
	if r, ok := c.ref("created_by_ref"); ok {
		o.CreatedByRef = r
	}
	if l, ok := c.refs("object_marking_refs"); ok {
		o.MarkingRefs = l
	}
	if b, ok := c.boolean("revoked"); ok {
		o.Revoked = b
	}
	c.integer("confidence", 0, 100)
	if lang, ok := c.str("lang"); ok && !validLangTag(lang) {
		c.fail("lang", "%q is not an RFC 5646 language tag", lang)
	}
	c.strList("labels")
	c.checkExternalReferences()
	c.checkGranularMarkings()
	c.checkExtensions()
}

// commonProps are checked by checkCommon (or validate) already.
var commonProps = map[string]bool{
	"type": true, "id": true, "spec_version": true, "created": true, "modified": true,
	"created_by_ref": true, "object_marking_refs": true, "revoked": true, "confidence": true,
	"lang": true, "labels": true, "external_references": true, "granular_markings": true, "extensions": true,
}

// checkProp checks one property by its name: references, binary and hex
// values for every type, the shapes of specification properties for
// specified types.
func (c *checker) checkProp(class Class, k string) {
	if commonProps[k] {
		return
	}
	custom := class == ClassCustom || strings.HasPrefix(k, "x_")
	switch {
	case strings.HasSuffix(k, "_ref"):
		// ATT&CK leaves custom references empty ("x_mitre_data_source_ref":
		// "") on deprecated objects; an empty custom ref refers to nothing.
		if custom && string(c.m[k]) == `""` {
			return
		}
		c.ref(k)
		return
	case strings.HasSuffix(k, "_refs"):
		c.refs(k)
		return
	case strings.HasSuffix(k, "_bin"):
		if s, ok := c.str(k); ok && !isBase64(s) {
			c.fail(k, "must be base64")
		}
		return
	case strings.HasSuffix(k, "_hex"):
		if s, ok := c.str(k); ok && !isHex(s) {
			c.fail(k, "must be hexadecimal")
		}
		return
	}
	if class == ClassCustom {
		return
	}
	switch propKinds[k] {
	case kString:
		c.str(k)
	case kStringList:
		c.strList(k)
	case kTimestamp:
		c.ts(k)
	case kBool:
		c.boolean(k)
	case kDict:
		if d, ok := c.dict(k); ok && k == "hashes" {
			c.checkHashes(k, d)
		}
	case kObjectList:
		c.objectList(k)
	}
	if r, ok := intRanges[k]; ok {
		c.integer(k, r[0], r[1])
	}
}

func (c *checker) objectList(prop string) []map[string]json.RawMessage {
	raw, ok := c.m[prop]
	if !ok {
		return nil
	}
	l, ok := decodeList(raw)
	if !ok || len(l) == 0 {
		c.fail(prop, "must be a non-empty list of objects")
		return nil
	}
	out := make([]map[string]json.RawMessage, len(l))
	for i, e := range l {
		d, msg := decodeDict(e)
		if msg != "" {
			c.fail(fmt.Sprintf("%s[%d]", prop, i), "%s", msg)
			return nil
		}
		out[i] = d
	}
	return out
}

// targetsFor returns the allowed target types of reference property prop.
func (c *checker) targetsFor(prop string) []string {
	if t, ok := refTargets[c.obj.Type+":"+prop]; ok {
		return t
	}
	return refTargets[prop]
}

func (c *checker) checkRef(prop, id string) bool {
	t := IDType(id)
	if t == "" {
		c.fail(prop, "%q is not an id of the form type--uuid", id)
		return false
	}
	if allowed := c.targetsFor(prop); allowed != nil && !slices.Contains(allowed, t) {
		c.fail(prop, "must refer to %s, not %s", strings.Join(allowed, " or "), t)
		return false
	}
	return true
}

func (c *checker) ref(prop string) (string, bool) {
	s, ok := c.str(prop)
	if !ok || !c.checkRef(prop, s) {
		return "", false
	}
	return s, true
}

func (c *checker) refs(prop string) ([]string, bool) {
	l, ok := c.strList(prop)
	if !ok {
		return nil, false
	}
	for _, id := range l {
		if !c.checkRef(prop, id) {
			return nil, false
		}
	}
	return l, true
}

func (c *checker) checkHashes(prop string, d map[string]json.RawMessage) {
	for alg, raw := range d {
		v, ok := decodeString(raw)
		if !ok {
			c.fail(prop, "value of %q must be a string", alg)
			return
		}
		if len(alg) > 250 {
			c.fail(prop, "hash algorithm name longer than 250 characters")
			return
		}
		if n, known := hashLengths[alg]; known && (len(v) != n || !isHex(v)) {
			c.fail(prop, "%s value must be %d hex digits", alg, n)
			return
		}
	}
}

func (c *checker) checkExternalReferences() {
	for i, r := range c.objectList("external_references") {
		p := fmt.Sprintf("external_references[%d]", i)
		src, ok := r["source_name"]
		if !ok {
			c.fail(p+".source_name", "required")
			return
		}
		if _, ok := decodeString(src); !ok {
			c.fail(p+".source_name", "must be a string")
			return
		}
		n := 0
		for _, k := range []string{"description", "url", "external_id"} {
			if v, ok := r[k]; ok {
				n++
				if _, ok := decodeString(v); !ok {
					c.fail(p+"."+k, "must be a string")
					return
				}
			}
		}
		if n == 0 {
			c.fail(p, "needs at least one of description, url or external_id")
			return
		}
		if h, ok := r["hashes"]; ok {
			d, msg := decodeDict(h)
			if msg != "" {
				c.fail(p+".hashes", "%s", msg)
				return
			}
			c.checkHashes(p+".hashes", d)
		}
	}
}

func (c *checker) checkGranularMarkings() {
	for i, g := range c.objectList("granular_markings") {
		p := fmt.Sprintf("granular_markings[%d]", i)
		sel, ok := g["selectors"]
		if !ok {
			c.fail(p+".selectors", "required")
			return
		}
		l, msg := decodeStringList(sel)
		if msg != "" {
			c.fail(p+".selectors", "%s", msg)
			return
		}
		for _, s := range l {
			if !validSelector(s) {
				c.fail(p+".selectors", "%q is not a selector like description or external_references.[0].url", s)
				return
			}
		}
		lang, hasLang := g["lang"]
		ref, hasRef := g["marking_ref"]
		if hasLang == hasRef {
			c.fail(p, "needs exactly one of lang or marking_ref")
			return
		}
		if hasLang {
			if s, ok := decodeString(lang); !ok || !validLangTag(s) {
				c.fail(p+".lang", "must be an RFC 5646 language tag")
			}
			continue
		}
		s, ok := decodeString(ref)
		if !ok || IDType(s) != "marking-definition" {
			c.fail(p+".marking_ref", "must be a marking-definition id")
			return
		}
	}
}

// validSelector accepts dotted property paths with [n] list indexes.
func validSelector(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		if part[0] == '[' {
			if len(part) < 3 || part[len(part)-1] != ']' {
				return false
			}
			for _, ch := range part[1 : len(part)-1] {
				if ch < '0' || ch > '9' {
					return false
				}
			}
			continue
		}
		for i := 0; i < len(part); i++ {
			ch := part[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
				return false
			}
		}
	}
	return true
}

// validLangTag accepts the shape of an RFC 5646 tag: alphanumeric subtags
// of 1-8 characters separated by '-', the first alphabetic.
func validLangTag(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) == 0 || len(sub) > 8 {
			return false
		}
		for _, ch := range sub {
			alpha := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
			if !alpha && (i == 0 || ch < '0' || ch > '9') {
				return false
			}
		}
	}
	return true
}

var extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

func (c *checker) checkExtensions() {
	d, ok := c.dict("extensions")
	if !ok {
		return
	}
	for _, k := range sortedKeys(d) {
		p := "extensions." + k
		if IDType(k) != "extension-definition" && !validExtName(k) {
			c.fail(p, "an extension key must be an extension-definition id or a name ending in -ext")
			return
		}
		ext, msg := decodeDict(d[k])
		if msg != "" {
			c.fail(p, "%s", msg)
			return
		}
		if raw, ok := ext["extension_type"]; ok {
			s, _ := decodeString(raw)
			if !slices.Contains(extensionTypes, s) {
				c.fail(p+".extension_type", "must be one of %s", strings.Join(extensionTypes, ", "))
				return
			}
		}
	}
}

// validExtName accepts the predefined and legacy custom extension names of
// STIX 2.0/2.1 ("ntfs-ext", "x-acme-ext").
func validExtName(k string) bool {
	return strings.HasSuffix(k, "-ext") && validTypeName(k)
}

func sortedKeys(d map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkType applies the rules of one type that go beyond presence and shape.
func (c *checker) checkType(typ string) {
	switch typ {
	case "indicator":
		c.order("valid_from", "valid_until", true)
		pt, _ := c.str("pattern_type")
		p, _ := c.str("pattern")
		if pt == "stix" {
			if _, err := ParsePattern(p); err != nil {
				c.fail("pattern", "%s", patternMessage(err))
			}
		}
	case "malware":
		if fam, _ := c.boolean("is_family"); fam && !c.has("name") {
			c.fail("name", "required when is_family is true")
		}
		c.order("first_seen", "last_seen", false)
	case "campaign", "intrusion-set", "threat-actor", "infrastructure":
		c.order("first_seen", "last_seen", false)
	case "location":
		c.checkLocation()
	case "malware-analysis":
		if !c.has("result") && !c.has("analysis_sco_refs") {
			c.fail("result", "malware-analysis needs result or analysis_sco_refs")
		}
	case "observed-data":
		c.checkObservedData()
	case "opinion":
		if s, ok := c.str("opinion"); ok && !slices.Contains([]string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"}, s) {
			c.fail("opinion", "%q is not one of strongly-disagree, disagree, neutral, agree, strongly-agree", s)
		}
	case "relationship":
		c.endpoint("source_ref")
		c.endpoint("target_ref")
		c.order("start_time", "stop_time", true)
	case "sighting":
		if s, ok := c.str("sighting_of_ref"); ok {
			if cl := ClassOf(IDType(s)); cl != ClassSDO && cl != ClassCustom {
				c.fail("sighting_of_ref", "must refer to an SDO, not %s", IDType(s))
			}
		}
		c.integer("count", 0, 999_999_999)
		c.boolean("summary")
		c.order("first_seen", "last_seen", false)
	case "marking-definition":
		c.checkMarkingDefinition()
	case "language-content":
		if t := IDType(c.mustStr("object_ref")); t == "bundle" || t == "language-content" {
			c.fail("object_ref", "must not refer to a %s", t)
		}
		if d, ok := c.dict("contents"); ok {
			for _, k := range sortedKeys(d) {
				if !validLangTag(k) {
					c.fail("contents", "key %q is not a language tag", k)
					return
				}
				if _, msg := decodeDict(d[k]); msg != "" {
					c.fail("contents."+k, "%s", msg)
					return
				}
			}
		}
	case "extension-definition":
		if l, ok := c.strList("extension_types"); ok {
			for _, t := range l {
				if !slices.Contains(extensionTypes, t) {
					c.fail("extension_types", "%q is not one of %s", t, strings.Join(extensionTypes, ", "))
					return
				}
			}
		}
	case "artifact":
		bin, url := c.has("payload_bin"), c.has("url")
		switch {
		case bin == url:
			c.fail("payload_bin", "artifact needs exactly one of payload_bin or url")
		case url && !c.has("hashes"):
			c.fail("hashes", "required when url is present")
		}
	case "file":
		if !c.has("hashes") && !c.has("name") {
			c.fail("name", "file needs hashes or name")
		}
	case "email-message":
		if multi, ok := c.boolean("is_multipart"); ok {
			if multi && c.has("body") {
				c.fail("body", "must be absent when is_multipart is true (use body_multipart)")
			}
			if !multi && c.has("body_multipart") {
				c.fail("body_multipart", "must be absent when is_multipart is false")
			}
		}
	case "network-traffic":
		if !c.has("src_ref") && !c.has("dst_ref") {
			c.fail("src_ref", "network-traffic needs src_ref or dst_ref")
		}
	case "process", "user-account", "windows-registry-key", "x509-certificate":
		n := 0
		for k := range c.m {
			switch k {
			case "type", "id", "spec_version", "object_marking_refs", "granular_markings", "defanged":
			default:
				n++
			}
		}
		if n == 0 {
			c.fail("type", "%s needs at least one property of its own", typ)
		}
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr":
		if s, ok := c.str("value"); ok && s == "" {
			c.fail("value", "must not be empty")
		}
	}
}

func (c *checker) mustStr(prop string) string { s, _ := c.str(prop); return s }

// endpoint checks a relationship end: any SDO or SCO, including custom
// objects, but no relationship, bundle or meta object.
func (c *checker) endpoint(prop string) {
	t := IDType(c.mustStr(prop))
	if t == "" {
		return
	}
	if cl := ClassOf(t); cl == ClassSRO || cl == ClassMeta || t == "bundle" {
		c.fail(prop, "must refer to an SDO or SCO, not %s", t)
	}
}

func (c *checker) checkLocation() {
	lat, lon := c.has("latitude"), c.has("longitude")
	if lat != lon {
		c.fail("latitude", "latitude and longitude go together")
		return
	}
	c.number("latitude", -90, 90)
	c.number("longitude", -180, 180)
	if c.has("precision") {
		if !lat {
			c.fail("precision", "requires latitude and longitude")
			return
		}
		c.number("precision", 0, 1e12)
	}
	if !lat && !c.has("region") && !c.has("country") {
		c.fail("region", "location needs region, country, or latitude and longitude")
	}
}

func (c *checker) checkObservedData() {
	c.order("first_observed", "last_observed", false)
	objs, refs := c.has("objects"), c.has("object_refs")
	if objs == refs {
		c.fail("object_refs", "observed-data needs exactly one of object_refs or (deprecated) objects")
		return
	}
	if refs {
		l, _ := c.strList("object_refs")
		for _, id := range l {
			if cl := ClassOf(IDType(id)); cl != ClassSCO && cl != ClassCustom && IDType(id) != "relationship" {
				c.fail("object_refs", "must refer to SCOs or relationships, not %s", IDType(id))
				return
			}
		}
		return
	}
	d, ok := c.dict("objects")
	if !ok {
		return
	}
	for _, k := range sortedKeys(d) {
		o, msg := decodeDict(d[k])
		if msg != "" {
			c.fail("objects."+k, "%s", msg)
			return
		}
		t, ok := decodeString(o["type"])
		if !ok || !validTypeName(t) {
			c.fail("objects."+k+".type", "required, a STIX type name")
			return
		}
	}
}

func (c *checker) checkMarkingDefinition() {
	// A stray "modified" is tolerated but not used: marking definitions
	// are immutable, so their version is created.
	ext, _ := c.dict("extensions")
	if raw, ok := ext[TLP2ExtensionID]; ok {
		d, _ := decodeDict(raw)
		level, ok := decodeString(d["tlp_2_0"])
		p := "extensions." + TLP2ExtensionID + ".tlp_2_0"
		want, known := tlp2ID[level]
		switch {
		case !ok:
			c.fail(p, "required: one of clear, green, amber, amber+strict, red")
		case !known:
			c.fail(p, "%q is not one of clear, green, amber, amber+strict, red", level)
		case c.obj.ID != want:
			c.fail("id", "the TLP 2.0 %s marking definition has id %s", strings.ToUpper(level), want)
		}
		return
	}
	dt, hasType := c.str("definition_type")
	def, hasDef := c.dict("definition")
	if c.err != nil {
		return
	}
	if !hasType || !hasDef {
		if len(ext) == 0 {
			c.fail("definition_type", "a marking definition needs definition_type and definition, or extensions")
		} else if hasType != hasDef {
			c.fail("definition", "definition_type and definition go together")
		}
		return
	}
	switch dt {
	case "statement":
		if s, ok := decodeString(def["statement"]); !ok || s == "" {
			c.fail("definition.statement", "required: a non-empty string")
		}
	case "tlp":
		level, _ := decodeString(def["tlp"])
		want, known := tlp1ID[level]
		switch {
		case !known:
			c.fail("definition.tlp", "%q is not one of white, green, amber, red", level)
		case c.obj.ID != want:
			c.fail("id", "the TLP 1.0 %s marking definition has id %s", strings.ToUpper(level), want)
		}
	}
}
