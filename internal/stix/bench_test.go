package stix

import (
	"encoding/json"
	"testing"
)

// typicalIndicator is a shared-intelligence indicator as partners post it:
// a wallet address, markings, a kill chain phase and an external reference.
var typicalIndicator = []byte(`{
  "type": "indicator",
  "spec_version": "2.1",
  "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created_by_ref": "identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",
  "created": "2025-02-26T10:00:00.000Z",
  "modified": "2025-02-26T10:00:00.000Z",
  "name": "Bybit theft: TraderTraitor-controlled Ethereum address",
  "description": "Address attributed by the FBI (PSA I-022625-PSA) to DPRK TraderTraitor; funds from the Bybit theft passed through it.",
  "indicator_types": ["malicious-activity", "attribution"],
  "pattern": "[cryptocurrency-wallet:address = '0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2']",
  "pattern_type": "stix",
  "pattern_version": "2.1",
  "valid_from": "2025-02-26T00:00:00Z",
  "kill_chain_phases": [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "actions-on-objectives"}],
  "confidence": 85,
  "labels": ["lazarus", "tradertraitor"],
  "external_references": [{"source_name": "FBI", "url": "https://www.ic3.gov/PSA/2025/PSA250226", "external_id": "I-022625-PSA"}],
  "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]
}`)

func BenchmarkParse(b *testing.B) {
	if _, err := Parse(typicalIndicator); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(typicalIndicator)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(typicalIndicator); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePattern(b *testing.B) {
	const p = "[cryptocurrency-wallet:address = '0x47666Fab8bd0Ac7003bce3f5C3585383F09486E2' OR file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePattern(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineUnmarshal is the cost of merely decoding the same object
// with encoding/json, to judge BenchmarkParse on a machine of any speed.
func BenchmarkBaselineUnmarshal(b *testing.B) {
	b.SetBytes(int64(len(typicalIndicator)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(typicalIndicator, &v); err != nil {
			b.Fatal(err)
		}
	}
}
