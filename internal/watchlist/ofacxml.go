package watchlist

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

const formatOFACXML = "OFAC advanced XML"

// ParseOFACAdvanced reads the OFAC SDN "Advanced" XML (plain or bzip2) and
// returns one entry per DistinctParty, with every "Digital Currency Address
// - X" feature of the party as a listed address. The currency codes come
// from the file's own FeatureType reference values, so a currency OFAC adds
// later is read without a code change.
//
// The document is 121 MB of one-element-per-line XML of which only the
// reference values, the parties and the sanctions entries matter; a byte
// scanner cuts those elements out, skips the rest (locations, ID documents,
// relationships) unparsed, and a pool of encoding/xml decoders parses the
// elements in parallel while another goroutine decompresses.
func ParseOFACAdvanced(r io.Reader) ([]Entry, Meta, error) {
	file := fileName(r)
	br := bufio.NewReaderSize(r, 1<<16)
	var src io.Reader = br
	if magic, _ := br.Peek(3); string(magic) == "BZh" {
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriterSize(pw, 1<<20)
			_, err := io.Copy(bw, bzip2.NewReader(br))
			if err == nil {
				err = bw.Flush()
			}
			pw.CloseWithError(err)
		}()
		defer pr.Close() // stops the decompressor when we return early
		src = pr
	}
	p := &ofacParse{file: file}
	err := p.run(src)
	if err != nil {
		return nil, Meta{Source: SourceOFACSDN}, err
	}
	return p.assemble()
}

// ofacElements are the elements cut out for parsing; ofacSkip are skipped
// whole. Neither nests inside itself, so the first closing tag ends it.
var (
	ofacElements = map[string]bool{"DateOfIssue": true, "ReferenceValueSets": true, "DistinctParty": true, "SanctionsEntry": true}
	ofacSkip     = map[string]bool{"Locations": true, "IDRegDocuments": true, "ProfileRelationships": true}
)

type ofacJob struct {
	seq  int
	line int
	name string
	data []byte
}

type ofacResult struct {
	seq    int
	issued time.Time
	refs   *ofacRefs
	party  *rawParty
	entry  *rawSanctionsEntry
	err    error
}

type ofacParse struct {
	file    string
	mu      sync.Mutex
	results []ofacResult
}

func (p *ofacParse) errorf(line int, elem, format string, args ...any) error {
	return &ParseError{Format: formatOFACXML, File: p.file, Line: line, Element: elem, Msg: fmt.Sprintf(format, args...)}
}

func (p *ofacParse) run(src io.Reader) error {
	jobs := make(chan ofacJob, 256)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []ofacResult
			for j := range jobs {
				local = append(local, p.parseElement(j))
			}
			p.mu.Lock()
			p.results = append(p.results, local...)
			p.mu.Unlock()
		}()
	}
	err := p.split(src, jobs)
	close(jobs)
	wg.Wait()
	if err != nil {
		return err
	}
	sort.Slice(p.results, func(i, j int) bool { return p.results[i].seq < p.results[j].seq })
	for _, r := range p.results {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// split scans src for the elements of interest and sends each, copied, to
// jobs. It keeps a window of the stream in buf and counts lines as it goes,
// so that every element knows the line it starts on.
func (p *ofacParse) split(src io.Reader, jobs chan<- ofacJob) error {
	s := scanner{r: src, buf: make([]byte, 0, 4<<20), line: 1}
	seq := 0
	for {
		i, err := s.next('<')
		if err == io.EOF {
			if seq == 0 {
				return p.errorf(0, "", "no DistinctParty, SanctionsEntry or ReferenceValueSets element: not an OFAC advanced XML document")
			}
			return nil
		}
		if err != nil {
			return p.errorf(s.lineAt(s.pos), "", "reading: %v", err)
		}
		name, err := s.tagName(i)
		if err != nil {
			return p.errorf(s.lineAt(i), "", "reading: %v", err)
		}
		switch {
		case ofacElements[name]:
			line := s.lineAt(i)
			end, err := s.elementEnd(i, name, false)
			if err != nil {
				return p.errorf(line, name, "%v", err)
			}
			data := bytes.Clone(s.buf[s.idx(i):s.idx(end)])
			jobs <- ofacJob{seq: seq, line: line, name: name, data: data}
			seq++
			s.pos = end
		case ofacSkip[name]:
			line := s.lineAt(i)
			end, err := s.elementEnd(i, name, true)
			if err != nil {
				return p.errorf(line, name, "%v", err)
			}
			s.pos = end
		default:
			s.pos = i + 1
		}
	}
}

// scanner is a window on a stream. Positions are absolute stream offsets;
// buf holds the bytes from base on.
type scanner struct {
	r     io.Reader
	buf   []byte
	base  int // stream offset of buf[0]
	pos   int // stream offset where scanning resumes
	line  int // line number at stream offset lpos
	lpos  int
	eof   bool
	rdErr error
}

func (s *scanner) idx(off int) int { return off - s.base }

// fill discards the bytes before keep and reads more.
func (s *scanner) fill(keep int) error {
	if s.eof {
		if s.rdErr != nil {
			return s.rdErr
		}
		return io.EOF
	}
	if keep > s.lpos { // count the lines of what is discarded
		s.line += bytes.Count(s.buf[s.idx(s.lpos):s.idx(keep)], []byte{'\n'})
		s.lpos = keep
	}
	k := s.idx(min(keep, s.lpos))
	n := copy(s.buf, s.buf[k:])
	s.buf = s.buf[:n]
	s.base += k
	if len(s.buf) == cap(s.buf) {
		s.buf = append(s.buf, make([]byte, cap(s.buf))...)[:n]
	}
	m, err := s.r.Read(s.buf[n:cap(s.buf)])
	s.buf = s.buf[:n+m]
	if err != nil {
		s.eof = true
		if err != io.EOF {
			s.rdErr = err
		}
		if m == 0 {
			return s.fill(keep)
		}
	}
	return nil
}

// lineAt returns the line of stream offset off (off >= the last asked).
func (s *scanner) lineAt(off int) int {
	if off > s.lpos {
		s.line += bytes.Count(s.buf[s.idx(s.lpos):s.idx(off)], []byte{'\n'})
		s.lpos = off
	}
	return s.line
}

// next returns the offset of the next c at or after pos.
func (s *scanner) next(c byte) (int, error) {
	for {
		if i := bytes.IndexByte(s.buf[s.idx(s.pos):], c); i >= 0 {
			return s.pos + i, nil
		}
		s.pos = s.base + len(s.buf)
		if err := s.fill(s.pos); err != nil {
			return 0, err
		}
	}
}

// tagName returns the name of the tag that starts at offset i ("<Name ...").
func (s *scanner) tagName(i int) (string, error) {
	for {
		rest := s.buf[s.idx(i)+1:]
		if j := bytes.IndexAny(rest, " \t\r\n/>"); j >= 0 {
			return string(rest[:j]), nil
		}
		if len(rest) > 256 {
			return string(rest[:256]), nil
		}
		if err := s.fill(i); err != nil {
			if err == io.EOF {
				return string(rest), nil
			}
			return "", err
		}
	}
}

// elementEnd returns the offset just past the element name that starts at
// i. When skip is set the element's bytes are discarded while searching.
func (s *scanner) elementEnd(i int, name string, skip bool) (int, error) {
	closing := []byte("</" + name + ">")
	from := i
	for {
		if from == i {
			b := s.buf[s.idx(i):]
			if gt := bytes.IndexByte(b, '>'); gt >= 0 {
				if gt > 0 && b[gt-1] == '/' {
					return i + gt + 1, nil // self-closing
				}
			}
		}
		if j := bytes.Index(s.buf[s.idx(from):], closing); j >= 0 {
			return from + j + len(closing), nil
		}
		next := max(from, s.base+len(s.buf)-len(closing))
		keep := i
		if skip {
			keep = next
		}
		if err := s.fill(keep); err != nil {
			if err == io.EOF {
				return 0, errors.New("unterminated element")
			}
			return 0, err
		}
		from = next
	}
}

// ofacRefs are the reference values the parties and entries point to.
type ofacRefs struct {
	featureTypes  map[string]string    // ID -> "Digital Currency Address - XBT"
	partySubTypes map[string][2]string // ID -> name, PartyTypeID
	partyTypes    map[string]string
	namePartTypes map[string]string
	aliasTypes    map[string]string
	sanctionTypes map[string]string
	lists         map[string]string
}

type rawNamePart struct{ group, value string }

type rawName struct {
	parts   []rawNamePart
	primary bool
	weak    bool
}

type rawParty struct {
	line      int
	fixedRef  string
	profileID string
	subType   string
	comment   string
	names     []rawName
	groups    map[string]string // NamePartGroup ID -> NamePartTypeID
	features  [][2]string       // FeatureTypeID, VersionDetail text
}

type rawSanctionsEntry struct {
	profileID string
	listID    string
	dates     []time.Time
	measures  [][2]string // SanctionsTypeID, Comment
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// parseElement parses one cut-out element with encoding/xml.
func (p *ofacParse) parseElement(j ofacJob) ofacResult {
	res := ofacResult{seq: j.seq}
	d := xml.NewDecoder(bytes.NewReader(j.data))
	var stack []string
	var text []byte
	var se xml.StartElement
	elem := j.name
	// State of the element being read.
	var (
		refs        *ofacRefs
		party       *rawParty
		entry       *rawSanctionsEntry
		y, m, dd    int
		curName     *rawName
		curGroup    string
		curFeature  string
		curMeasure  string
		measureText string

		identityPrimary, aliasPrimary, aliasWeak bool
	)
	switch j.name {
	case "ReferenceValueSets":
		refs = &ofacRefs{featureTypes: map[string]string{}, partySubTypes: map[string][2]string{}, partyTypes: map[string]string{},
			namePartTypes: map[string]string{}, aliasTypes: map[string]string{}, sanctionTypes: map[string]string{}, lists: map[string]string{}}
		res.refs = refs
	case "DistinctParty":
		party = &rawParty{line: j.line, groups: map[string]string{}}
		res.party = party
	case "SanctionsEntry":
		entry = &rawSanctionsEntry{}
		res.entry = entry
	}
	parent := func(n int) string { // the n-th ancestor of the current element, 1 = parent
		if len(stack) > n {
			return stack[len(stack)-1-n]
		}
		return ""
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			res.err = p.errorf(j.line+line-1, elem, "%v", err)
			return res
		}
		switch t := tok.(type) {
		case xml.StartElement:
			se = t
			name := t.Name.Local
			stack = append(stack, name)
			text = text[:0]
			switch {
			case party != nil:
				switch name {
				case "DistinctParty":
					party.fixedRef = attr(t, "FixedRef")
					elem = `DistinctParty FixedRef="` + party.fixedRef + `"`
				case "Profile":
					party.profileID = attr(t, "ID")
					party.subType = attr(t, "PartySubTypeID")
				case "Identity":
					identityPrimary = attr(t, "Primary") != "false"
				case "Alias":
					curName = nil
					aliasPrimary = identityPrimary && attr(t, "Primary") == "true"
					aliasWeak = attr(t, "LowQuality") == "true"
				case "DocumentedName":
					if parent(1) != "Alias" {
						break
					}
					party.names = append(party.names, rawName{primary: aliasPrimary, weak: aliasWeak})
					curName = &party.names[len(party.names)-1]
				case "NamePartValue":
					curGroup = attr(t, "NamePartGroupID")
				case "NamePartGroup":
					party.groups[attr(t, "ID")] = attr(t, "NamePartTypeID")
				case "Feature":
					curFeature = attr(t, "FeatureTypeID")
				}
			case entry != nil:
				switch name {
				case "SanctionsEntry":
					entry.profileID = attr(t, "ProfileID")
					entry.listID = attr(t, "ListID")
					elem = `SanctionsEntry ProfileID="` + entry.profileID + `"`
				case "Date":
					y, m, dd = 0, 0, 0
				case "SanctionsMeasure":
					curMeasure, measureText = attr(t, "SanctionsTypeID"), ""
				}
			}
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			name := t.Name.Local
			val := strings.TrimSpace(string(text))
			switch {
			case refs != nil && len(stack) == 3:
				id := attr(se, "ID")
				switch name {
				case "FeatureType":
					refs.featureTypes[id] = val
				case "PartySubType":
					refs.partySubTypes[id] = [2]string{val, attr(se, "PartyTypeID")}
				case "PartyType":
					refs.partyTypes[id] = val
				case "NamePartType":
					refs.namePartTypes[id] = val
				case "AliasType":
					refs.aliasTypes[id] = val
				case "SanctionsType":
					refs.sanctionTypes[id] = val
				case "List":
					refs.lists[id] = val
				}
			case party != nil:
				switch name {
				case "Comment":
					if parent(1) == "DistinctParty" {
						party.comment = val
					}
				case "NamePartValue":
					if curName != nil && val != "" {
						curName.parts = append(curName.parts, rawNamePart{curGroup, val})
					}
				case "DocumentedName":
					curName = nil
				case "VersionDetail":
					if curFeature != "" && val != "" {
						party.features = append(party.features, [2]string{curFeature, val})
					}
				case "Feature":
					curFeature = ""
				}
			case entry != nil:
				switch name {
				case "Year", "Month", "Day":
					n, _ := strconv.Atoi(val)
					switch name {
					case "Year":
						y = n
					case "Month":
						m = n
					default:
						dd = n
					}
				case "Date":
					if parent(1) == "EntryEvent" {
						if t := date(y, m, dd); !t.IsZero() {
							entry.dates = append(entry.dates, t)
						}
					}
				case "Comment":
					if parent(1) == "SanctionsMeasure" {
						measureText = val
					}
				case "SanctionsMeasure":
					entry.measures = append(entry.measures, [2]string{curMeasure, measureText})
				}
			case j.name == "DateOfIssue":
				n, _ := strconv.Atoi(val)
				switch name {
				case "Year":
					y = n
				case "Month":
					m = n
				case "Day":
					dd = n
				case "DateOfIssue":
					res.issued = date(y, m, dd)
				}
			}
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			text = text[:0]
		}
	}
	return res
}
