package stix

// Class groups STIX object types by what the specification requires of them.
type Class int

const (
	ClassCustom Class = iota // not in the specification
	ClassSDO
	ClassSRO
	ClassSCO
	ClassMeta // marking-definition, language-content, extension-definition
)

var classes = map[string]Class{
	"attack-pattern": ClassSDO, "campaign": ClassSDO, "course-of-action": ClassSDO, "grouping": ClassSDO,
	"identity": ClassSDO, "incident": ClassSDO, "indicator": ClassSDO, "infrastructure": ClassSDO,
	"intrusion-set": ClassSDO, "location": ClassSDO, "malware": ClassSDO, "malware-analysis": ClassSDO,
	"note": ClassSDO, "observed-data": ClassSDO, "opinion": ClassSDO, "report": ClassSDO,
	"threat-actor": ClassSDO, "tool": ClassSDO, "vulnerability": ClassSDO,

	"relationship": ClassSRO, "sighting": ClassSRO,

	"artifact": ClassSCO, "autonomous-system": ClassSCO, "directory": ClassSCO, "domain-name": ClassSCO,
	"email-addr": ClassSCO, "email-message": ClassSCO, "file": ClassSCO, "ipv4-addr": ClassSCO,
	"ipv6-addr": ClassSCO, "mac-addr": ClassSCO, "mutex": ClassSCO, "network-traffic": ClassSCO,
	"process": ClassSCO, "software": ClassSCO, "url": ClassSCO, "user-account": ClassSCO,
	"windows-registry-key": ClassSCO, "x509-certificate": ClassSCO,

	"marking-definition": ClassMeta, "language-content": ClassMeta, "extension-definition": ClassMeta,
}

// ClassOf returns the class of a type name; ClassCustom for types outside
// the specification.
func ClassOf(typ string) Class { return classes[typ] }

// requiredProps lists, per type, the properties that the specification
// requires beyond the common ones; the rules that need more than presence
// (one-of, conditional) live in checkType.
var requiredProps = map[string][]string{
	"attack-pattern":   {"name"},
	"campaign":         {"name"},
	"course-of-action": {"name"},
	"grouping":         {"context", "object_refs"},
	"identity":         {"name"},
	"incident":         {"name"},
	"indicator":        {"pattern", "pattern_type", "valid_from"},
	"infrastructure":   {"name"},
	"intrusion-set":    {"name"},
	"malware":          {"is_family"},
	"malware-analysis": {"product"},
	"note":             {"content", "object_refs"},
	"observed-data":    {"first_observed", "last_observed", "number_observed"},
	"opinion":          {"opinion", "object_refs"},
	"report":           {"name", "published", "object_refs"},
	"threat-actor":     {"name"},
	"tool":             {"name"},
	"vulnerability":    {"name"},

	"relationship": {"relationship_type", "source_ref", "target_ref"},
	"sighting":     {"sighting_of_ref"},

	"language-content":     {"object_ref", "contents"},
	"extension-definition": {"created_by_ref", "name", "schema", "version", "extension_types"},

	"autonomous-system": {"number"},
	"directory":         {"path"},
	"domain-name":       {"value"},
	"email-addr":        {"value"},
	"email-message":     {"is_multipart"},
	"ipv4-addr":         {"value"},
	"ipv6-addr":         {"value"},
	"mac-addr":          {"value"},
	"mutex":             {"name"},
	"network-traffic":   {"protocols"},
	"software":          {"name"},
	"url":               {"value"},
}

type kind int

const (
	kString kind = iota + 1
	kStringList
	kTimestamp
	kBool
	kDict
	kObjectList // a non-empty list of JSON objects
)

// propKinds gives the JSON shape of specification properties. Names mean
// the same in every specified type, so one table serves all; it is not
// applied to custom types, whose authors may reuse a name differently.
var propKinds = map[string]kind{
	"name": kString, "description": kString, "pattern": kString, "pattern_type": kString,
	"pattern_version": kString, "relationship_type": kString, "context": kString, "content": kString,
	"abstract": kString, "identity_class": kString, "contact_information": kString, "objective": kString,
	"opinion": kString, "explanation": kString, "definition_type": kString, "schema": kString,
	"version": kString, "value": kString, "path": kString, "product": kString, "result": kString,
	"result_name": kString, "region": kString, "country": kString, "administrative_area": kString,
	"city": kString, "street_address": kString, "postal_code": kString, "mime_type": kString,
	"command_line": kString, "cwd": kString, "key": kString, "body": kString, "subject": kString,
	"message_id": kString, "content_type": kString, "display_name": kString, "user_id": kString,
	"account_login": kString, "account_type": kString, "cpe": kString, "swid": kString, "vendor": kString,
	"serial_number": kString, "signature_algorithm": kString, "issuer": kString, "rir": kString,
	"primary_motivation": kString, "resource_level": kString, "sophistication": kString,
	"tool_version": kString, "access_time": kString, "configuration_version": kString,
	"analysis_engine_version": kString, "analysis_definition_version": kString, "lang": kString,

	"labels": kStringList, "aliases": kStringList, "roles": kStringList, "goals": kStringList,
	"sectors": kStringList, "indicator_types": kStringList, "malware_types": kStringList,
	"tool_types": kStringList, "threat_actor_types": kStringList, "report_types": kStringList,
	"infrastructure_types": kStringList, "architecture_execution_envs": kStringList,
	"implementation_languages": kStringList, "capabilities": kStringList,
	"secondary_motivations": kStringList, "personal_motivations": kStringList, "authors": kStringList,
	"extension_types": kStringList, "extension_properties": kStringList, "protocols": kStringList,
	"languages": kStringList, "received_lines": kStringList, "modules": kStringList,

	"created": kTimestamp, "modified": kTimestamp, "first_seen": kTimestamp, "last_seen": kTimestamp,
	"valid_from": kTimestamp, "valid_until": kTimestamp, "published": kTimestamp,
	"first_observed": kTimestamp, "last_observed": kTimestamp, "start_time": kTimestamp,
	"stop_time": kTimestamp, "object_modified": kTimestamp, "analysis_started": kTimestamp,
	"analysis_ended": kTimestamp, "submitted": kTimestamp, "ctime": kTimestamp, "mtime": kTimestamp,
	"atime": kTimestamp, "start": kTimestamp, "end": kTimestamp, "date": kTimestamp,
	"created_time": kTimestamp, "modified_time": kTimestamp, "validity_not_before": kTimestamp,
	"validity_not_after": kTimestamp, "account_created": kTimestamp, "account_expires": kTimestamp,
	"credential_last_changed": kTimestamp, "account_first_login": kTimestamp,
	"account_last_login": kTimestamp,

	"revoked": kBool, "is_family": kBool, "defanged": kBool, "is_multipart": kBool, "is_active": kBool,
	"is_self_signed": kBool, "is_hidden": kBool, "is_service_account": kBool, "is_privileged": kBool,
	"can_escalate_privs": kBool, "is_disabled": kBool,

	"hashes": kDict, "contents": kDict, "definition": kDict, "environment_variables": kDict,
	"ipfix": kDict, "additional_header_fields": kDict, "x509_v3_extensions": kDict,

	"kill_chain_phases": kObjectList, "external_references": kObjectList, "granular_markings": kObjectList,
	"body_multipart": kObjectList, "values": kObjectList,
}

// intRanges bound the integer properties of specified types.
var intRanges = map[string][2]int64{
	"confidence":        {0, 100},
	"number_observed":   {1, 999_999_999},
	"count":             {0, 999_999_999},
	"number":            {0, 1<<32 - 1},
	"size":              {0, 1<<63 - 1},
	"src_port":          {0, 65535},
	"dst_port":          {0, 65535},
	"src_byte_count":    {0, 1<<63 - 1},
	"dst_byte_count":    {0, 1<<63 - 1},
	"src_packets":       {0, 1<<63 - 1},
	"dst_packets":       {0, 1<<63 - 1},
	"pid":               {-1 << 63, 1<<63 - 1},
	"number_of_subkeys": {0, 1<<63 - 1},
}

// refTargets restricts the target types of reference properties where the
// specification does; "type:prop" entries override "prop" for one type.
// Reference properties not listed here may point at any type.
var refTargets = map[string][]string{
	"created_by_ref":          {"identity"},
	"object_marking_refs":     {"marking-definition"},
	"where_sighted_refs":      {"identity", "location"},
	"observed_data_refs":      {"observed-data"},
	"sample_refs":             {"file", "artifact"},
	"operating_system_refs":   {"software"},
	"host_vm_ref":             {"software"},
	"operating_system_ref":    {"software"},
	"installed_software_refs": {"software"},
	"sample_ref":              {"file", "artifact", "network-traffic"},
	"parent_directory_ref":    {"directory"},
	"content_ref":             {"artifact"},
	"belongs_to_refs":         {"autonomous-system"},
	"belongs_to_ref":          {"user-account"},
	"from_ref":                {"email-addr"},
	"sender_ref":              {"email-addr"},
	"to_refs":                 {"email-addr"},
	"cc_refs":                 {"email-addr"},
	"bcc_refs":                {"email-addr"},
	"raw_email_ref":           {"artifact"},
	"src_ref":                 {"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"},
	"dst_ref":                 {"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"},
	"src_payload_ref":         {"artifact"},
	"dst_payload_ref":         {"artifact"},
	"encapsulates_refs":       {"network-traffic"},
	"encapsulated_by_ref":     {"network-traffic"},
	"opened_connection_refs":  {"network-traffic"},
	"creator_user_ref":        {"user-account"},
	"image_ref":               {"file"},
	"parent_ref":              {"process"},
	"child_refs":              {"process"},

	"domain-name:resolves_to_refs": {"ipv4-addr", "ipv6-addr", "domain-name"},
	"ipv4-addr:resolves_to_refs":   {"mac-addr"},
	"ipv6-addr:resolves_to_refs":   {"mac-addr"},
	"directory:contains_refs":      {"file", "directory"},
}

// hashLengths are the hex lengths of the hash algorithms in the STIX
// hashing-algorithm vocabulary whose values have a fixed size.
var hashLengths = map[string]int{
	"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-512": 128, "SHA3-256": 64, "SHA3-512": 128,
}
