package watchlist

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

const (
	formatPlain  = "address list"
	formatOracle = "sanctions oracle events"
	maxLine      = 64 << 10
)

// ParseAddressList reads a plain list: one address per line, blank lines and
// "#" comments ignored, optionally "address,label" (a comma, semicolon or
// tab separates). Every label becomes one entry of source whose UID and name
// are the label; lines without one get label, or the source's name when
// label is "". The list names no currency, so each address is detected
// among all known formats.
func ParseAddressList(r io.Reader, source Source, label string) ([]Entry, Meta, error) {
	file := fileName(r)
	meta := Meta{Source: source}
	if label == "" {
		label = string(source)
	}
	var out []Entry
	pos := map[string]int{}
	seen := map[[2]string]bool{} // label, key
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		value, lab := text, label
		if i := strings.IndexAny(text, ",;\t"); i >= 0 {
			value = strings.TrimSpace(text[:i])
			if l := strings.Trim(strings.TrimSpace(text[i+1:]), `"`); l != "" {
				lab = l
			}
		}
		value = strings.Trim(value, `"`)
		if line == 1 && strings.EqualFold(value, "address") {
			continue // a CSV header
		}
		if value == "" {
			meta.Problems = append(meta.Problems, Problem{Line: line, UID: lab, Message: "no address before the label"})
			continue
		}
		la := NewListedAddress("", value)
		if seen[[2]string{lab, la.Key}] {
			meta.Problems = append(meta.Problems, Problem{Line: line, UID: lab, Value: value, Message: "listed twice under one label; the repetition is ignored"})
			continue
		}
		seen[[2]string{lab, la.Key}] = true
		if la.Invalid != "" {
			meta.Problems = append(meta.Problems, Problem{Line: line, UID: lab, Value: value, Message: la.Invalid})
		}
		i, ok := pos[lab]
		if !ok {
			i = len(out)
			pos[lab] = i
			out = append(out, Entry{Source: source, UID: lab, Name: lab, Type: TypeAddresses})
		}
		out[i].Addresses = append(out[i].Addresses, la)
	}
	if err := sc.Err(); err != nil {
		return nil, meta, &ParseError{Format: formatPlain, File: file, Line: line + 1, Msg: err.Error()}
	}
	problems := meta.Problems
	meta.count(out)
	meta.Problems = problems // count's address problems are already there, with lines
	return out, meta, nil
}

// oracleEvent is one event of the sanctions oracle contract as exported to
// JSON. The export this was written against holds only additions; an
// "event" naming SanctionedAddressesRemoved (or "removed": true) is a
// removal.
type oracleEvent struct {
	BlockNum  uint64   `json:"blockNum"`
	BlockHash string   `json:"blockHash"`
	Event     string   `json:"event"`
	Removed   bool     `json:"removed"`
	Addrs     []string `json:"addrs"`
	Addresses []string `json:"addresses"`
}

// OracleName is the name of every entry of the oracle source.
const OracleName = "Chainalysis sanctions oracle"

// ParseOracleEvents reads the events of the Chainalysis sanctions oracle (a
// JSON array of {blockNum, blockHash, addrs}) and replays them in order: the
// result is the set of addresses sanctioned after the last event, one entry
// per address (UID: its key), in order of first addition. Re-additions keep
// the first block; a removal drops the address until it is added again.
func ParseOracleEvents(r io.Reader) ([]Entry, Meta, error) {
	file := fileName(r)
	meta := Meta{Source: SourceOracle}
	d := json.NewDecoder(r)
	fail := func(msg string, args ...any) ([]Entry, Meta, error) {
		off := d.InputOffset()
		return nil, meta, &ParseError{Format: formatOracle, File: file, Element: fmt.Sprintf("byte %d", off), Msg: fmt.Sprintf(msg, args...)}
	}
	tok, err := d.Token()
	if err != nil {
		return fail("%v", err)
	}
	if delim, ok := tok.(json.Delim); !ok || delim != '[' {
		return fail("expected a JSON array of events")
	}
	type state struct {
		entry  Entry
		active bool
		order  int
	}
	byKey := map[string]*state{}
	n := 0
	for i := 0; d.More(); i++ {
		var ev oracleEvent
		if err := d.Decode(&ev); err != nil {
			return fail("event %d: %v", i, err)
		}
		removal := ev.Removed || strings.Contains(strings.ToLower(ev.Event), "removed")
		for _, a := range append(ev.Addrs, ev.Addresses...) {
			la := NewListedAddress("ETH", a)
			st := byKey[la.Key]
			switch {
			case removal && (st == nil || !st.active):
				meta.Problems = append(meta.Problems, Problem{UID: la.Key, Value: a, Message: fmt.Sprintf("removed in block %d but not sanctioned before", ev.BlockNum)})
			case removal:
				st.active = false
			case st != nil && st.active:
				// A repeated addition changes nothing.
			case st != nil:
				st.active = true
				st.entry.Remarks += fmt.Sprintf("; sanctioned again in block %d", ev.BlockNum)
			default:
				st = &state{active: true, order: n}
				n++
				st.entry = Entry{Source: SourceOracle, UID: la.Key, Name: OracleName, Type: TypeAddresses,
					Remarks: fmt.Sprintf("sanctioned in block %d (%s)", ev.BlockNum, ev.BlockHash), Addresses: []ListedAddress{la}}
				byKey[la.Key] = st
			}
		}
	}
	if _, err := d.Token(); err != nil {
		return fail("%v", err)
	}
	out := make([]Entry, n)
	keep := make([]bool, n)
	for _, st := range byKey {
		out[st.order] = st.entry
		keep[st.order] = st.active
	}
	j := 0
	for i := range out {
		if keep[i] {
			out[j] = out[i]
			j++
		}
	}
	out = out[:j]
	meta.count(out)
	return out, meta, nil
}
