package watchlist

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

const formatUN = "UN consolidated XML"

type unAlias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

type unRecord struct {
	DataID   string    `xml:"DATAID"`
	First    string    `xml:"FIRST_NAME"`
	Second   string    `xml:"SECOND_NAME"`
	Third    string    `xml:"THIRD_NAME"`
	Fourth   string    `xml:"FOURTH_NAME"`
	Original string    `xml:"NAME_ORIGINAL_SCRIPT"`
	ListType string    `xml:"UN_LIST_TYPE"`
	Ref      string    `xml:"REFERENCE_NUMBER"`
	Listed   string    `xml:"LISTED_ON"`
	Comments string    `xml:"COMMENTS1"`
	Updated  []string  `xml:"LAST_DAY_UPDATED>VALUE"`
	Aliases  []unAlias `xml:"INDIVIDUAL_ALIAS"`
	EAliases []unAlias `xml:"ENTITY_ALIAS"`
}

// ParseUN reads the UN Security Council consolidated list: one entry per
// INDIVIDUAL and ENTITY, keyed by its reference number (KPi.033), with the
// sanctions regime (DPRK, Al-Qaida, ...) as its program. Aliases of quality
// "Low" are weak aliases; the name in original script is an alias.
func ParseUN(r io.Reader) ([]Entry, Meta, error) {
	file := fileName(r)
	meta := Meta{Source: SourceUN}
	d := xml.NewDecoder(r)
	var out []Entry
	seen := map[string]bool{}
	sawRoot := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		line, _ := d.InputPos()
		if err != nil {
			return nil, meta, &ParseError{Format: formatUN, File: file, Line: line, Msg: err.Error()}
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "CONSOLIDATED_LIST":
			sawRoot = true
			for _, a := range se.Attr {
				if a.Name.Local == "dateGenerated" {
					meta.Issued, _ = time.Parse(time.RFC3339, a.Value)
				}
			}
		case "INDIVIDUAL", "ENTITY":
			var rec unRecord
			if err := d.DecodeElement(&rec, &se); err != nil {
				return nil, meta, &ParseError{Format: formatUN, File: file, Line: line, Element: se.Name.Local, Msg: err.Error()}
			}
			e, problem := unEntry(se.Name.Local, &rec)
			if problem != "" {
				meta.Problems = append(meta.Problems, Problem{Line: line, UID: e.UID, Message: problem})
			}
			if e.UID == "" {
				continue
			}
			if seen[e.UID] {
				meta.Problems = append(meta.Problems, Problem{Line: line, UID: e.UID, Message: "duplicate reference number; the later record is skipped"})
				continue
			}
			seen[e.UID] = true
			out = append(out, e)
		}
	}
	if !sawRoot {
		return nil, meta, &ParseError{Format: formatUN, File: file, Msg: "no CONSOLIDATED_LIST element: not a UN consolidated list"}
	}
	meta.count(out)
	return out, meta, nil
}

// unEntry converts one record; a non-empty problem says what was wrong with
// it (an entry without UID is skipped).
func unEntry(kind string, rec *unRecord) (Entry, string) {
	e := Entry{Source: SourceUN, UID: strings.TrimSpace(rec.Ref), Type: TypeIndividual, Remarks: strings.TrimSpace(rec.Comments)}
	if kind == "ENTITY" {
		e.Type = TypeEntity
	}
	if e.UID == "" {
		// Records without a reference number still have a stable DATAID.
		if id := strings.TrimSpace(rec.DataID); id != "" {
			e.UID = "dataid:" + id
		} else {
			return e, fmt.Sprintf("%s without REFERENCE_NUMBER or DATAID skipped", kind)
		}
	}
	var parts []string
	for _, p := range []string{rec.First, rec.Second, rec.Third, rec.Fourth} {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			parts = append(parts, p)
		}
	}
	e.Name = strings.Join(parts, " ")
	e.Programs = appendUnique(nil, rec.ListType)
	var problem string
	var err error
	if e.Listed, err = parseDate(rec.Listed); err != nil {
		problem = "LISTED_ON: " + err.Error()
	}
	for _, u := range rec.Updated {
		if t, err := parseDate(u); err == nil && t.After(e.Updated) {
			e.Updated = t
		}
	}
	for _, a := range append(rec.Aliases, rec.EAliases...) {
		name := strings.Join(strings.Fields(a.Name), " ")
		if name == "" || name == e.Name {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(a.Quality), "Low") {
			e.WeakAliases = appendUnique(e.WeakAliases, name)
		} else {
			e.Aliases = appendUnique(e.Aliases, name)
		}
	}
	if o := strings.TrimSpace(rec.Original); o != "" && o != e.Name {
		e.Aliases = appendUnique(e.Aliases, o)
	}
	if e.Name == "" {
		if len(e.Aliases) > 0 {
			e.Name, e.Aliases = e.Aliases[0], e.Aliases[1:]
		} else {
			problem = "record without a name"
		}
	}
	return e, problem
}
