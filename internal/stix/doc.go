// Package stix is the STIX 2.1 object model of trawl: it decodes and
// validates objects before anything stores or shares them, parses the STIX
// patterning language, and upgrades STIX 2.0 content to 2.1.
//
// Words:
//   - Object: one STIX object. Its JSON is kept byte-for-byte (Raw) because a
//     TAXII server must return exactly what was posted; the common properties
//     are decoded beside it.
//   - SDO, SRO, SCO: domain objects (indicator, intrusion-set ...), relationship
//     objects (relationship, sighting) and cyber-observable objects (file,
//     ipv4-addr ...). SCOs have no created/modified and may omit spec_version.
//   - Meta object: marking-definition, language-content, extension-definition.
//   - Custom object or property: anything outside the specification whose name
//     follows the STIX naming rules (e.g. x-mitre-tactic, x_mitre_version); it
//     is accepted and its common properties are validated.
//   - Version: the modified timestamp, else created; TAXII identifies object
//     versions by it.
//   - Pattern: an indicator's detection rule in the STIX patterning language;
//     a Comparison inside it (file:hashes.'SHA-256' = '...') is where callers
//     find addresses and hashes.
//   - TLP: Traffic Light Protocol marking definitions with fixed ids (TLP 2.0
//     and the older TLP 1.0).
package stix
