package tags

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CSV columns: the first four are required, in any order.
var (
	csvRequired = []string{"address", "label", "category", "source"}
	csvOptional = []string{"actor", "confidence", "currency"}
)

// ParseCSV reads tags from CSV with a header line naming the columns:
// address, label, category and source, and optionally actor, confidence and
// currency. Without a currency, a tag's chain is the one its address is most
// likely an address of (see address.Detect).
func ParseCSV(r io.Reader) ([]Tag, Meta, error) {
	meta := Meta{Format: "CSV"}
	br := bufio.NewReader(io.LimitReader(r, MaxFile+1))
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		br.Discard(3) // a byte-order mark, as spreadsheets write
	}
	counted := &countingReader{r: br}
	cr := csv.NewReader(counted)
	cr.ReuseRecord = true
	perr := func(line, tag int, field, format string, args ...any) error {
		return &ParseError{Format: "CSV", Line: line, Tag: tag, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return perr(pe.Line, 0, "", "%v", pe.Err)
		}
		return err
	}
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, meta, perr(1, 0, "", "empty file: want a header line %s", strings.Join(csvRequired, ","))
	}
	if err != nil {
		return nil, meta, csvErr(err)
	}
	col := map[string]int{}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case !slices.Contains(csvRequired, name) && !slices.Contains(csvOptional, name):
			return nil, meta, perr(1, 0, clip(h), "unknown column: the header names %s and optionally %s",
				strings.Join(csvRequired, ", "), strings.Join(csvOptional, ", "))
		case col[name] != 0:
			return nil, meta, perr(1, 0, name, "column given twice")
		}
		col[name] = i + 1 // 0 means absent
	}
	for _, name := range csvRequired {
		if col[name] == 0 {
			return nil, meta, perr(1, 0, name, "missing column: the header must name %s", strings.Join(csvRequired, ","))
		}
	}
	get := func(rec []string, name string) string {
		if i := col[name]; i > 0 {
			return rec[i-1]
		}
		return ""
	}
	var out []Tag
	for num := 1; ; num++ {
		rec, err := cr.Read()
		if counted.n > MaxFile {
			return nil, meta, perr(0, 0, "", "larger than %d MiB; split the file", MaxFile>>20)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, meta, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		f := fields{
			address: get(rec, "address"), label: get(rec, "label"), category: get(rec, "category"),
			source: get(rec, "source"), actor: get(rec, "actor"), confidence: get(rec, "confidence"),
			currency: get(rec, "currency"),
		}
		if strings.TrimSpace(f.category) == "" {
			return nil, meta, perr(line, num, "category", "missing: give a category (%s, ...)", strings.Join([]string{string(Exchange), string(Mixer), string(StolenFunds), string(Other)}, ", "))
		}
		t, ferr := f.build()
		if ferr != nil {
			if i := col[ferr.field]; i > 0 {
				line, _ = cr.FieldPos(i - 1)
			}
			return nil, meta, perr(line, num, ferr.field, "%s", ferr.msg)
		}
		out = append(out, t)
	}
	out, meta.Duplicates = dedupe(out)
	meta.Tags = len(out)
	return out, meta, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
