package stix

import (
	"encoding/json"
)

// The decoder splits objects and arrays into raw members itself instead of
// using encoding/json's reflection: validation touches each value at most
// once or twice, and this keeps Parse well within the TAXII ingest budget.
// The functions below trust their input to be valid JSON (Parse checks it
// with json.Valid first).

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' }

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	return i
}

// valueEnd returns the index just after the JSON value starting at raw[i].
func valueEnd(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		return stringEnd(raw, i)
	case '{', '[':
		depth := 0
		for ; i < len(raw); i++ {
			switch raw[i] {
			case '"':
				i = stringEnd(raw, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(raw)
	}
	for i < len(raw) && raw[i] != ',' && raw[i] != '}' && raw[i] != ']' && !isSpace(raw[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just after the string whose quote is raw[i].
func stringEnd(raw []byte, i int) int {
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(raw)
}

// splitObject splits a valid JSON object into its members; dup reports a
// repeated member name (which decoders resolve differently, so STIX
// content with one is refused).
func splitMembers(raw []byte) (m map[string]json.RawMessage, dup string, ok bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, "", false
	}
	m = make(map[string]json.RawMessage, 16)
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return m, "", true
	}
	for i < len(raw) {
		end := stringEnd(raw, i)
		key, ok := decodeString(raw[i:end])
		if !ok {
			return nil, "", false
		}
		i = skipSpace(raw, end)
		i = skipSpace(raw, i+1) // ':'
		end = valueEnd(raw, i)
		if _, seen := m[key]; seen {
			return nil, key, false
		}
		m[key] = raw[i:end:end]
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] == '}' {
			break
		}
		i = skipSpace(raw, i+1) // ','
	}
	return m, "", true
}

// splitArray splits a valid JSON array into its elements.
func splitArray(raw []byte) ([]json.RawMessage, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	var out []json.RawMessage
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return []json.RawMessage{}, true
	}
	for i < len(raw) {
		end := valueEnd(raw, i)
		out = append(out, raw[i:end:end])
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] == ']' {
			break
		}
		i = skipSpace(raw, i+1)
	}
	return out, true
}
