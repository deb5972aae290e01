package watchlist

import (
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strings"
)

const formatOFACCSV = "OFAC legacy CSV"

// OFACCSVFiles are the files of OFAC's legacy CSV set; SDN or Comments must
// be given, Alt is optional.
type OFACCSVFiles struct {
	SDN      io.Reader // sdn.csv: ent_num, name, type, programs, ..., remarks
	Alt      io.Reader // alt.csv: ent_num, alt_num, alt_type, alt_name, remarks
	Comments io.Reader // sdn_comments.csv: ent_num, the rest of the remarks
}

// ParseOFACCSV reads sdn.csv and its remarks-overflow file. Either may be
// nil: a comments file alone yields entries with a UID and the addresses of
// the overflow, but no name.
func ParseOFACCSV(sdn, comments io.Reader) ([]Entry, Meta, error) {
	return ParseOFACCSVFiles(OFACCSVFiles{SDN: sdn, Comments: comments})
}

var (
	// The currency code is followed by a space in OFAC's text, but a colon
	// has been seen in hand-edited copies.
	reCSVAddress = regexp.MustCompile(`Digital Currency Address - ([A-Za-z0-9]+)[ :]+([^;\s"]+)`)
	reCSVAKA     = regexp.MustCompile(`[af]\.k\.a\. '([^']+)'`)
)

// ParseOFACCSVFiles reads the legacy CSV set. Remarks that sdn.csv cuts off
// continue, mid-word, in sdn_comments.csv under the same entity number, so
// the two are joined before addresses are looked for.
func ParseOFACCSVFiles(f OFACCSVFiles) ([]Entry, Meta, error) {
	meta := Meta{Source: SourceOFACCSV}
	if f.SDN == nil && f.Comments == nil {
		return nil, meta, &ParseError{Format: formatOFACCSV, Msg: "neither sdn.csv nor sdn_comments.csv given"}
	}
	var out []Entry
	pos := map[string]int{} // ent_num -> index in out
	entry := func(num string) *Entry {
		if i, ok := pos[num]; ok {
			return &out[i]
		}
		pos[num] = len(out)
		out = append(out, Entry{Source: SourceOFACCSV, UID: num, URL: ofacRecordURL + num})
		return &out[len(out)-1]
	}
	if f.SDN != nil {
		err := readCSV(f.SDN, 2, func(line int, rec []string) {
			e := entry(rec[0])
			e.Name = strings.TrimSpace(rec[1])
			if len(rec) > 2 {
				e.Type = csvType(rec[2])
			}
			if len(rec) > 3 {
				for _, p := range strings.Split(rec[3], "] [") {
					e.Programs = appendUnique(e.Programs, strings.Trim(p, "[] "))
				}
			}
			if len(rec) > 11 {
				e.Remarks = rec[11]
			}
		})
		if err != nil {
			return nil, meta, err
		}
	}
	if f.Comments != nil {
		err := readCSV(f.Comments, 2, func(line int, rec []string) {
			e := entry(rec[0])
			e.Remarks += rec[1]
		})
		if err != nil {
			return nil, meta, err
		}
	}
	if f.Alt != nil {
		err := readCSV(f.Alt, 4, func(line int, rec []string) {
			if i, ok := pos[rec[0]]; ok {
				out[i].Aliases = appendUnique(out[i].Aliases, rec[3]) // appendUnique trims
			} else {
				meta.Problems = append(meta.Problems, Problem{Line: line, UID: rec[0], Message: "alt.csv names an entity that sdn.csv does not list"})
			}
		})
		if err != nil {
			return nil, meta, err
		}
	}
	for i := range out {
		e := &out[i]
		for _, m := range reCSVAKA.FindAllStringSubmatch(e.Remarks, -1) {
			if m[1] != e.Name {
				e.Aliases = appendUnique(e.Aliases, m[1])
			}
		}
		for _, m := range reCSVAddress.FindAllStringSubmatch(e.Remarks, -1) {
			// A value that ends the remarks carries the remarks' full stop;
			// no address format ends in one.
			e.Addresses = append(e.Addresses, NewListedAddress(m[1], strings.TrimRight(m[2], ".")))
		}
	}
	meta.count(out)
	return out, meta, nil
}

// csvNull is OFAC's null, padded with a space.
func csvNull(s string) string {
	s = strings.TrimSpace(s)
	if s == "-0-" {
		return ""
	}
	return s
}

func csvType(s string) string {
	switch t := csvNull(s); t {
	case "":
		return TypeEntity
	default:
		return strings.ToLower(t)
	}
}

// readCSV calls fn for every record of at least minFields fields, with the
// OFAC nulls blanked and the entity number trimmed. The files end in a DOS end-of-file byte, which is no
// record.
func readCSV(r io.Reader, minFields int, fn func(line int, rec []string)) error {
	file := fileName(r)
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return &ParseError{Format: formatOFACCSV, File: file, Line: line, Msg: err.Error()}
		}
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \r\n") == "" {
			continue
		}
		if len(rec) < minFields {
			return &ParseError{Format: formatOFACCSV, File: file, Line: line, Msg: "record has too few fields"}
		}
		// Remarks keep their spaces: a remark cut off in sdn.csv continues
		// in the comments file exactly where it stopped.
		for i := range rec {
			if strings.TrimSpace(rec[i]) == "-0-" {
				rec[i] = ""
			}
		}
		rec[0] = strings.TrimSpace(rec[0])
		if rec[0] == "" {
			return &ParseError{Format: formatOFACCSV, File: file, Line: line, Msg: "record without entity number"}
		}
		fn(line, rec)
	}
}
