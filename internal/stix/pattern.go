package stix

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/errs"
)

// Pattern is a parsed STIX patterning expression (STIX 2.1 Part 9).
type Pattern struct {
	Expr ObservationExpr
}

// ObservationExpr is one of *Observation, *ObservationOp, *Qualified.
type ObservationExpr interface {
	String() string
	isObservation()
}

// ComparisonExpr is one of *Comparison, *ComparisonOp.
type ComparisonExpr interface {
	String() string
	isComparison()
}

// Observation is "[ comparison-expression ]".
type Observation struct{ Expr ComparisonExpr }

// ObservationOp joins two observation expressions with AND, OR or FOLLOWEDBY.
type ObservationOp struct {
	Op          string
	Left, Right ObservationExpr
}

// Qualified is an observation expression with a WITHIN, REPEATS or
// START/STOP qualifier.
type Qualified struct {
	Expr      ObservationExpr
	Qualifier Qualifier
}

// Qualifier is "WITHIN n SECONDS" (Seconds), "REPEATS n TIMES" (Times) or
// "START t'…' STOP t'…'" (Start, Stop), by Kind.
type Qualifier struct {
	Kind        string // "WITHIN", "REPEATS" or "START"
	Seconds     float64
	Times       int64
	Start, Stop time.Time
}

// ComparisonOp joins two comparison expressions with AND or OR.
type ComparisonOp struct {
	Op          string
	Left, Right ComparisonExpr
}

// Comparison is one comparison expression: an object path, an operator and
// a constant. Value is nil for EXISTS, else string, int64, float64, bool,
// time.Time, Hex, Binary or, for IN, []any of those.
type Comparison struct {
	Path     ObjectPath
	Operator string // = != > < >= <= IN LIKE MATCHES ISSUBSET ISSUPERSET EXISTS
	Negated  bool   // NOT before the operator
	Value    any
	Column   int // 1-based column of the object path in the pattern
}

// Hex is an h'…' constant; Binary is a b'…' (base64) constant.
type (
	Hex    []byte
	Binary []byte
)

// ObjectPath is "type:property.sub[0].'quoted key'".
type ObjectPath struct {
	ObjectType string
	Steps      []PathStep // the first is always a key
}

// PathStep is one step of an object path: a key, a list index, or [*].
type PathStep struct {
	Key      string
	IsIndex  bool
	Index    int64
	AnyIndex bool // [*]
}

func (*Observation) isObservation()   {}
func (*ObservationOp) isObservation() {}
func (*Qualified) isObservation()     {}
func (*Comparison) isComparison()     {}
func (*ComparisonOp) isComparison()   {}

// Comparisons returns every comparison expression of the pattern in source
// order, so that callers can pick, say, the wallet addresses compared with
// '=' (Path.String() == "cryptocurrency-wallet:address").
func (p *Pattern) Comparisons() []Comparison {
	var out []Comparison
	var walkCmp func(ComparisonExpr)
	walkCmp = func(e ComparisonExpr) {
		switch e := e.(type) {
		case *Comparison:
			out = append(out, *e)
		case *ComparisonOp:
			walkCmp(e.Left)
			walkCmp(e.Right)
		}
	}
	var walkObs func(ObservationExpr)
	walkObs = func(e ObservationExpr) {
		switch e := e.(type) {
		case *Observation:
			walkCmp(e.Expr)
		case *ObservationOp:
			walkObs(e.Left)
			walkObs(e.Right)
		case *Qualified:
			walkObs(e.Expr)
		}
	}
	if p != nil && p.Expr != nil {
		walkObs(p.Expr)
	}
	return out
}

// String renders the pattern canonically, with every compound
// sub-expression in parentheses.
func (p *Pattern) String() string { return p.Expr.String() }

func (o *Observation) String() string { return "[" + o.Expr.String() + "]" }

func (o *ObservationOp) String() string {
	return paren(o.Left.String(), isObsOp(o.Left)) + " " + o.Op + " " + paren(o.Right.String(), isObsOp(o.Right))
}

func isObsOp(e ObservationExpr) bool { _, ok := e.(*ObservationOp); return ok }

func (q *Qualified) String() string {
	return paren(q.Expr.String(), isObsOp(q.Expr)) + " " + q.Qualifier.String()
}

func (q Qualifier) String() string {
	switch q.Kind {
	case "WITHIN":
		return "WITHIN " + strconv.FormatFloat(q.Seconds, 'f', -1, 64) + " SECONDS"
	case "REPEATS":
		return "REPEATS " + strconv.FormatInt(q.Times, 10) + " TIMES"
	}
	return "START t'" + formatTS(q.Start) + "' STOP t'" + formatTS(q.Stop) + "'"
}

func (c *ComparisonOp) String() string {
	_, l := c.Left.(*ComparisonOp)
	_, r := c.Right.(*ComparisonOp)
	return paren(c.Left.String(), l) + " " + c.Op + " " + paren(c.Right.String(), r)
}

func (c *Comparison) String() string {
	if c.Operator == "EXISTS" {
		return "EXISTS " + c.Path.String()
	}
	op := c.Operator
	if c.Negated {
		op = "NOT " + op
	}
	return c.Path.String() + " " + op + " " + formatConst(c.Value)
}

func paren(s string, yes bool) string {
	if yes {
		return "(" + s + ")"
	}
	return s
}

func formatTS(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999999Z") }

func formatConst(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	case bool:
		return strconv.FormatBool(v)
	case time.Time:
		return "t'" + formatTS(v) + "'"
	case Hex:
		return "h'" + hex.EncodeToString(v) + "'"
	case Binary:
		return "b'" + base64.StdEncoding.EncodeToString(v) + "'"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = formatConst(e)
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprint(v)
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// String renders the path as written in patterns, quoting keys that are
// not plain identifiers: file:hashes.'SHA-256'.
func (p ObjectPath) String() string {
	var b strings.Builder
	b.WriteString(p.ObjectType)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch {
		case s.AnyIndex:
			b.WriteString("[*]")
		case s.IsIndex:
			b.WriteString("[" + strconv.FormatInt(s.Index, 10) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainIdent(s.Key) {
				b.WriteString(s.Key)
			} else {
				b.WriteString(quote(s.Key))
			}
		}
	}
	return b.String()
}

// Property returns the path without the object type ("hashes.'SHA-256'").
func (p ObjectPath) Property() string {
	s := p.String()
	return s[len(p.ObjectType)+1:]
}

func isPlainIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '_' || i > 0 && ch >= '0' && ch <= '9') {
			return false
		}
	}
	return true
}

// ---- lexer ----

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tTimestamp
	tHex
	tBinary
	tPunct // [ ] ( ) , : . * and comparison operators
)

type token struct {
	kind tokKind
	text string // identifier, punctuation, or the decoded string
	pos  int    // byte offset
	val  any    // decoded constant
}

type patternParser struct {
	src   string
	pos   int
	tok   token
	depth int
	err   error
}

// patternError carries the column so messages read
// "pattern: at column 17: expected ']'".
type patternError struct {
	col int
	msg string
}

func (e *patternError) Error() string { return fmt.Sprintf("pattern: at column %d: %s", e.col, e.msg) }

func (p *patternParser) failAt(pos int, format string, args ...any) {
	if p.err != nil {
		return
	}
	if pos > len(p.src) {
		pos = len(p.src)
	}
	p.err = &patternError{col: utf8.RuneCountInString(p.src[:pos]) + 1, msg: fmt.Sprintf(format, args...)}
}

// ParsePattern parses a STIX patterning language expression. Errors have
// code errs.Invalid and read "stix: pattern: at column N: what was expected".
// Keywords (AND, OR, NOT, IN, LIKE, WITHIN ...) are matched without regard to
// case, like the OASIS reference grammar.
func ParsePattern(s string) (*Pattern, error) {
	if len(s) > MaxPatternBytes {
		return nil, errs.E(errs.Invalid, "stix: pattern: longer than %d bytes", MaxPatternBytes)
	}
	if !utf8.ValidString(s) {
		return nil, errs.E(errs.Invalid, "stix: pattern: not valid UTF-8")
	}
	p := &patternParser{src: s}
	p.next()
	e := p.observationExprs()
	if p.err == nil && p.tok.kind != tEOF {
		p.failAt(p.tok.pos, "unexpected %s after the end of the pattern", p.tok.describe())
	}
	if p.err != nil {
		return nil, errs.E(errs.Invalid, "stix: %s", p.err.Error())
	}
	return &Pattern{Expr: e}, nil
}

// patternMessage returns the caller-facing text of a ParsePattern error
// without the package prefix, for embedding in an object error.
func patternMessage(err error) string {
	return strings.TrimPrefix(errs.MessageOf(err), "stix: ")
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tIdent:
		return fmt.Sprintf("%q", t.text)
	case tPunct:
		return "'" + t.text + "'"
	case tString:
		return "string " + quote(t.text)
	}
	return "constant"
}

func isDigit(ch byte) bool { return ch >= '0' && ch <= '9' }

func (p *patternParser) next() {
	if p.err != nil {
		p.tok = token{kind: tEOF, pos: len(p.src)}
		return
	}
	src := p.src
	for p.pos < len(src) && (src[p.pos] == ' ' || src[p.pos] == '\t' || src[p.pos] == '\n' || src[p.pos] == '\r') {
		p.pos++
	}
	start := p.pos
	if p.pos >= len(src) {
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	ch := src[p.pos]
	// A '.' followed by a digit starts a float like .5: a path step after
	// '.' is never a digit, it is an identifier or a quoted key.
	switch {
	case (ch == 't' || ch == 'h' || ch == 'b') && p.pos+1 < len(src) && src[p.pos+1] == '\'':
		p.pos++
		s, ok := p.lexString()
		if !ok {
			return
		}
		p.typedConst(ch, s, start)
	case ch == '\'':
		s, ok := p.lexString()
		if !ok {
			return
		}
		p.tok = token{kind: tString, text: s, pos: start, val: s}
	case ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '_':
		p.pos++
		for p.pos < len(src) {
			c := src[p.pos]
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || isDigit(c) {
				p.pos++
				continue
			}
			break
		}
		p.tok = token{kind: tIdent, text: src[start:p.pos], pos: start}
	case isDigit(ch) || (ch == '+' || ch == '-') && p.pos+1 < len(src) && (isDigit(src[p.pos+1]) || src[p.pos+1] == '.') ||
		ch == '.' && p.pos+1 < len(src) && isDigit(src[p.pos+1]):
		p.lexNumber()
	default:
		two := ""
		if p.pos+1 < len(src) {
			two = src[p.pos : p.pos+2]
		}
		switch two {
		case "!=", "<>", ">=", "<=":
			p.pos += 2
			if two == "<>" {
				two = "!="
			}
			p.tok = token{kind: tPunct, text: two, pos: start}
			return
		}
		switch ch {
		case '[', ']', '(', ')', ',', ':', '.', '*', '=', '<', '>':
			p.pos++
			p.tok = token{kind: tPunct, text: string(ch), pos: start}
			return
		}
		r, _ := utf8.DecodeRuneInString(src[p.pos:])
		p.failAt(start, "unexpected character %q", r)
		p.tok = token{kind: tEOF, pos: start}
	}
}

// lexString reads a quoted string at p.pos; only \' and \\ are escapes.
func (p *patternParser) lexString() (string, bool) {
	start := p.pos
	p.pos++ // opening quote
	var b strings.Builder
	for p.pos < len(p.src) {
		ch := p.src[p.pos]
		switch ch {
		case '\'':
			p.pos++
			return b.String(), true
		case '\\':
			if p.pos+1 < len(p.src) && (p.src[p.pos+1] == '\'' || p.src[p.pos+1] == '\\') {
				b.WriteByte(p.src[p.pos+1])
				p.pos += 2
				continue
			}
			p.failAt(p.pos, `invalid escape in string (only \' and \\ are allowed)`)
			p.tok = token{kind: tEOF, pos: p.pos}
			return "", false
		}
		b.WriteByte(ch)
		p.pos++
	}
	p.failAt(start, "unterminated string")
	p.tok = token{kind: tEOF, pos: p.pos}
	return "", false
}

func (p *patternParser) typedConst(prefix byte, s string, start int) {
	switch prefix {
	case 't':
		t, err := ParseTimestamp(s)
		if err != nil {
			p.failAt(start, "bad timestamp: %v", err)
			break
		}
		p.tok = token{kind: tTimestamp, pos: start, val: t}
		return
	case 'h':
		b, err := hex.DecodeString(s)
		if err != nil {
			p.failAt(start, "bad hex constant h'%s' (pairs of hex digits)", s)
			break
		}
		p.tok = token{kind: tHex, pos: start, val: Hex(b)}
		return
	case 'b':
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || strings.ContainsAny(s, "\r\n") {
			p.failAt(start, "bad binary constant b'%s' (padded base64)", s)
			break
		}
		p.tok = token{kind: tBinary, pos: start, val: Binary(b)}
		return
	}
	p.tok = token{kind: tEOF, pos: start}
}

func (p *patternParser) lexNumber() {
	src := p.src
	start := p.pos
	if src[p.pos] == '+' || src[p.pos] == '-' {
		p.pos++
	}
	intStart := p.pos
	for p.pos < len(src) && isDigit(src[p.pos]) {
		p.pos++
	}
	intDigits := src[intStart:p.pos]
	isFloat := false
	if p.pos < len(src) && src[p.pos] == '.' && p.pos+1 < len(src) && isDigit(src[p.pos+1]) {
		isFloat = true
		p.pos++
		for p.pos < len(src) && isDigit(src[p.pos]) {
			p.pos++
		}
	}
	text := src[start:p.pos]
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(f, 0) {
			p.failAt(start, "bad number %s", text)
			p.tok = token{kind: tEOF, pos: start}
			return
		}
		p.tok = token{kind: tFloat, text: text, pos: start, val: f}
		return
	}
	if intDigits == "" || len(intDigits) > 1 && intDigits[0] == '0' {
		p.failAt(start, "bad integer %s (no leading zeros)", text)
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		p.failAt(start, "integer %s out of range", text)
		p.tok = token{kind: tEOF, pos: start}
		return
	}
	p.tok = token{kind: tInt, text: text, pos: start, val: n}
}

// ---- parser ----

func (p *patternParser) isKeyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *patternParser) isPunct(s string) bool { return p.tok.kind == tPunct && p.tok.text == s }

func (p *patternParser) expectPunct(s string) bool {
	if !p.isPunct(s) {
		p.failAt(p.tok.pos, "expected '%s', found %s", s, p.tok.describe())
		return false
	}
	p.next()
	return true
}

func (p *patternParser) enter() bool {
	p.depth++
	if p.depth > maxPatternDepth {
		p.failAt(p.tok.pos, "nested deeper than %d levels", maxPatternDepth)
		return false
	}
	return true
}

// observationExprs: FOLLOWEDBY binds loosest, then OR, then AND.
func (p *patternParser) observationExprs() ObservationExpr {
	left := p.observationOr()
	for p.err == nil && p.isKeyword("FOLLOWEDBY") {
		p.next()
		right := p.observationOr()
		left = &ObservationOp{Op: "FOLLOWEDBY", Left: left, Right: right}
	}
	return left
}

func (p *patternParser) observationOr() ObservationExpr {
	left := p.observationAnd()
	for p.err == nil && p.isKeyword("OR") {
		p.next()
		right := p.observationAnd()
		left = &ObservationOp{Op: "OR", Left: left, Right: right}
	}
	return left
}

func (p *patternParser) observationAnd() ObservationExpr {
	left := p.observation()
	for p.err == nil && p.isKeyword("AND") {
		p.next()
		right := p.observation()
		left = &ObservationOp{Op: "AND", Left: left, Right: right}
	}
	return left
}

func (p *patternParser) observation() ObservationExpr {
	if p.err != nil || !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	var e ObservationExpr
	switch {
	case p.isPunct("["):
		p.next()
		c := p.comparisonOr()
		if !p.expectPunct("]") {
			return nil
		}
		e = &Observation{Expr: c}
	case p.isPunct("("):
		p.next()
		e = p.observationExprs()
		if !p.expectPunct(")") {
			return nil
		}
	default:
		p.failAt(p.tok.pos, "expected '[' or '(' to start an observation expression, found %s", p.tok.describe())
		return nil
	}
	for p.err == nil {
		q, ok := p.qualifier()
		if !ok {
			break
		}
		e = &Qualified{Expr: e, Qualifier: q}
	}
	return e
}

func (p *patternParser) qualifier() (Qualifier, bool) {
	switch {
	case p.isKeyword("WITHIN"):
		p.next()
		var secs float64
		switch v := p.tok.val.(type) {
		case int64:
			secs = float64(v)
		case float64:
			secs = v
		default:
			p.failAt(p.tok.pos, "WITHIN needs a number of seconds, found %s", p.tok.describe())
			return Qualifier{}, false
		}
		if secs <= 0 {
			p.failAt(p.tok.pos, "WITHIN needs a positive number of seconds")
			return Qualifier{}, false
		}
		p.next()
		if !p.isKeyword("SECONDS") {
			p.failAt(p.tok.pos, "expected SECONDS, found %s", p.tok.describe())
			return Qualifier{}, false
		}
		p.next()
		return Qualifier{Kind: "WITHIN", Seconds: secs}, true
	case p.isKeyword("REPEATS"):
		p.next()
		n, ok := p.tok.val.(int64)
		if !ok || p.tok.kind != tInt || n <= 0 {
			p.failAt(p.tok.pos, "REPEATS needs a positive integer, found %s", p.tok.describe())
			return Qualifier{}, false
		}
		p.next()
		if !p.isKeyword("TIMES") {
			p.failAt(p.tok.pos, "expected TIMES, found %s", p.tok.describe())
			return Qualifier{}, false
		}
		p.next()
		return Qualifier{Kind: "REPEATS", Times: n}, true
	case p.isKeyword("START"):
		p.next()
		start, ok := p.tok.val.(time.Time)
		if !ok {
			p.failAt(p.tok.pos, "START needs a timestamp t'...', found %s", p.tok.describe())
			return Qualifier{}, false
		}
		p.next()
		if !p.isKeyword("STOP") {
			p.failAt(p.tok.pos, "expected STOP, found %s", p.tok.describe())
			return Qualifier{}, false
		}
		p.next()
		stopPos := p.tok.pos
		stop, ok := p.tok.val.(time.Time)
		if !ok {
			p.failAt(p.tok.pos, "STOP needs a timestamp t'...', found %s", p.tok.describe())
			return Qualifier{}, false
		}
		if !stop.After(start) {
			p.failAt(stopPos, "STOP must be after START")
			return Qualifier{}, false
		}
		p.next()
		return Qualifier{Kind: "START", Start: start, Stop: stop}, true
	}
	return Qualifier{}, false
}

func (p *patternParser) comparisonOr() ComparisonExpr {
	left := p.comparisonAnd()
	for p.err == nil && p.isKeyword("OR") {
		p.next()
		right := p.comparisonAnd()
		left = &ComparisonOp{Op: "OR", Left: left, Right: right}
	}
	return left
}

func (p *patternParser) comparisonAnd() ComparisonExpr {
	left := p.propTest()
	for p.err == nil && p.isKeyword("AND") {
		p.next()
		right := p.propTest()
		left = &ComparisonOp{Op: "AND", Left: left, Right: right}
	}
	return left
}

func (p *patternParser) propTest() ComparisonExpr {
	if p.err != nil || !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	if p.isPunct("(") {
		p.next()
		e := p.comparisonOr()
		if !p.expectPunct(")") {
			return nil
		}
		return e
	}
	col := p.tok.pos
	if p.isKeyword("EXISTS") {
		p.next()
		path, ok := p.objectPath()
		if !ok {
			return nil
		}
		return &Comparison{Path: path, Operator: "EXISTS", Column: p.column(col)}
	}
	path, ok := p.objectPath()
	if !ok {
		return nil
	}
	cmp := &Comparison{Path: path, Column: p.column(col)}
	if p.isKeyword("NOT") {
		cmp.Negated = true
		p.next()
	}
	opPos := p.tok.pos
	switch {
	case p.tok.kind == tPunct && (p.tok.text == "=" || p.tok.text == "!=" || p.tok.text == "<" || p.tok.text == ">" || p.tok.text == "<=" || p.tok.text == ">="):
		cmp.Operator = p.tok.text
	case p.isKeyword("IN"), p.isKeyword("LIKE"), p.isKeyword("MATCHES"), p.isKeyword("ISSUBSET"), p.isKeyword("ISSUPERSET"):
		cmp.Operator = strings.ToUpper(p.tok.text)
	default:
		p.failAt(opPos, "expected a comparison operator (= != < > <= >= IN LIKE MATCHES ISSUBSET ISSUPERSET), found %s", p.tok.describe())
		return nil
	}
	p.next()
	valPos := p.tok.pos
	switch cmp.Operator {
	case "IN":
		if !p.isPunct("(") {
			p.failAt(valPos, "IN needs a list like ('a', 'b'), found %s", p.tok.describe())
			return nil
		}
		p.next()
		list := []any{}
		for !p.isPunct(")") {
			if len(list) > 0 && !p.expectPunct(",") {
				return nil
			}
			v, ok := p.literal()
			if !ok {
				return nil
			}
			list = append(list, v)
		}
		p.next()
		cmp.Value = list
		return cmp
	case "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET":
		if p.tok.kind != tString {
			p.failAt(valPos, "%s needs a string, found %s", cmp.Operator, p.tok.describe())
			return nil
		}
	}
	v, ok := p.literal()
	if !ok {
		return nil
	}
	if _, isBool := v.(bool); isBool && cmp.Operator != "=" && cmp.Operator != "!=" {
		p.failAt(valPos, "%s cannot compare with a boolean", cmp.Operator)
		return nil
	}
	cmp.Value = v
	return cmp
}

func (p *patternParser) column(pos int) int {
	return utf8.RuneCountInString(p.src[:pos]) + 1
}

// literal reads one primitive constant.
func (p *patternParser) literal() (any, bool) {
	switch p.tok.kind {
	case tString, tInt, tFloat, tTimestamp, tHex, tBinary:
		v := p.tok.val
		p.next()
		return v, true
	case tIdent:
		if strings.EqualFold(p.tok.text, "true") || strings.EqualFold(p.tok.text, "false") {
			v := strings.EqualFold(p.tok.text, "true")
			p.next()
			return v, true
		}
	}
	p.failAt(p.tok.pos, "expected a constant ('string', number, true, false, t'...', h'...', b'...'), found %s", p.tok.describe())
	return nil, false
}

func (p *patternParser) objectPath() (ObjectPath, bool) {
	if p.tok.kind != tIdent {
		p.failAt(p.tok.pos, "expected an object path like file:name, found %s", p.tok.describe())
		return ObjectPath{}, false
	}
	path := ObjectPath{ObjectType: p.tok.text}
	p.next()
	if !p.expectPunct(":") {
		return ObjectPath{}, false
	}
	if !p.pathKey(&path) {
		return ObjectPath{}, false
	}
	for p.err == nil {
		switch {
		case p.isPunct("."):
			p.next()
			if !p.pathKey(&path) {
				return ObjectPath{}, false
			}
		case p.isPunct("["):
			p.next()
			switch {
			case p.isPunct("*"):
				path.Steps = append(path.Steps, PathStep{AnyIndex: true})
			case p.tok.kind == tInt:
				path.Steps = append(path.Steps, PathStep{IsIndex: true, Index: p.tok.val.(int64)})
			default:
				p.failAt(p.tok.pos, "expected a list index or '*', found %s", p.tok.describe())
				return ObjectPath{}, false
			}
			p.next()
			if !p.expectPunct("]") {
				return ObjectPath{}, false
			}
		default:
			return path, true
		}
	}
	return ObjectPath{}, false
}

// pathKey reads a property name: an identifier without '-', or a quoted
// string for keys like 'SHA-256'.
func (p *patternParser) pathKey(path *ObjectPath) bool {
	switch {
	case p.tok.kind == tString:
	case p.tok.kind == tIdent && !strings.Contains(p.tok.text, "-"):
	case p.tok.kind == tIdent:
		p.failAt(p.tok.pos, "property name %q contains '-'; quote it: '%s'", p.tok.text, p.tok.text)
		return false
	default:
		p.failAt(p.tok.pos, "expected a property name, found %s", p.tok.describe())
		return false
	}
	path.Steps = append(path.Steps, PathStep{Key: p.tok.text})
	p.next()
	return true
}
