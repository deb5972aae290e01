package httpapi

import (
	"net/http"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/screening"
)

// Header values shared by every JSON answer: a constant slice instead of
// one allocated by Header.Set per response (net/http copies the map's
// values when it writes them and never changes them in place).
var (
	hdrJSON    = []string{"application/json"}
	hdrNosniff = []string{"nosniff"}
)

// writeJSONBytes answers with an encoded JSON body.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["X-Content-Type-Options"] = hdrNosniff
	w.WriteHeader(status)
	w.Write(b)
}

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it with HTML escaping off (FuzzAppendJSONString holds it to that).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendIdentifications writes the Chainalysis-shaped answer,
// {"identifications":[...]} and a newline, as writeJSON would.
func appendIdentifications(b []byte, ids []screening.Identification) []byte {
	b = append(b, `{"identifications":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"category":`...)
		b = appendJSONString(b, id.Category)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, id.Name)
		b = append(b, `,"description":`...)
		b = appendJSONString(b, id.Description)
		b = append(b, `,"url":`...)
		b = appendJSONString(b, id.URL)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}
