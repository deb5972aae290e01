// Package logfmt is trawl's log handler: it writes the lines log/slog's
// TextHandler or JSONHandler would write, byte for byte, and writes the
// common ones (flat records of strings, integers, floats and booleans in
// plain ASCII, such as the access log's line per request) several times
// faster. Everything else goes to the standard handler it wraps.
//
// The access log is a line per HTTP request: at 20,000 screening requests
// a second the standard text handler took about a tenth of the server's
// CPU (BenchmarkAccessLine).
package logfmt

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// New returns a handler writing text (logfmt), or JSON when json is set,
// to w. opts may be nil; with AddSource or ReplaceAttr set, every record
// takes the standard path.
func New(w io.Writer, json bool, opts *slog.HandlerOptions) slog.Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	lw := &lockedWriter{w: w}
	h := &Handler{w: lw, json: json, fast: !opts.AddSource && opts.ReplaceAttr == nil}
	if json {
		h.std = slog.NewJSONHandler(lw, opts)
	} else {
		h.std = slog.NewTextHandler(lw, opts)
	}
	return h
}

// Handler is the handler New returns.
type Handler struct {
	std   slog.Handler // the standard handler, for what the fast path does not write
	w     *lockedWriter
	json  bool
	fast  bool // false once WithAttrs or WithGroup was used, or with options the fast path lacks
	clock atomic.Pointer[second]
}

// lockedWriter serializes the lines of both paths.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.std.Enabled(ctx, l) }

// WithAttrs and WithGroup derive handlers that take the standard path for
// every record (the level is the standard handler's to judge, in Enabled).
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{std: h.std.WithAttrs(as)}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{std: h.std.WithGroup(name)}
}

var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if !h.fast {
		return h.std.Handle(ctx, r)
	}
	bp := bufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			bufs.Put(bp)
		}
	}()
	b, ok := h.appendRecord((*bp)[:0], r)
	*bp = b
	if !ok {
		return h.std.Handle(ctx, r)
	}
	_, err := h.w.Write(b)
	return err
}

// appendRecord appends r's line, or reports that the fast path cannot
// write it.
func (h *Handler) appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	if h.json {
		b = append(b, '{')
	}
	first := true
	if !r.Time.IsZero() {
		t := r.Time.Round(0) // as the standard handlers: no monotonic reading
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		if h.json {
			b = append(b, `"time":"`...)
			b = h.appendTime(b, t, false)
			b = append(b, '"')
		} else {
			b = append(b, "time="...)
			b = h.appendTime(b, t, true)
		}
		first = false
	}
	var ok bool
	if b, ok = h.appendString(b, "level", r.Level.String(), first); !ok {
		return b, false
	}
	if b, ok = h.appendString(b, "msg", r.Message, false); !ok {
		return b, false
	}
	r.Attrs(func(a slog.Attr) bool {
		b, ok = h.appendAttr(b, a)
		return ok
	})
	if !ok {
		return b, false
	}
	if h.json {
		b = append(b, '}')
	}
	return append(b, '\n'), true
}

func (h *Handler) appendKey(b []byte, key string, first bool) ([]byte, bool) {
	if h.json {
		if !first {
			b = append(b, ',')
		}
	} else if !first {
		b = append(b, ' ')
	}
	b, ok := h.appendText(b, key)
	if h.json {
		return append(b, ':'), ok
	}
	return append(b, '='), ok
}

func (h *Handler) appendString(b []byte, key, s string, first bool) ([]byte, bool) {
	b, ok := h.appendKey(b, key, first)
	if !ok {
		return b, false
	}
	return h.appendText(b, s)
}

// appendText appends s as the standard handlers write a key or a string
// value, for printable ASCII; it reports false for anything else. JSON:
// quoted, with '"' and '\\' escaped. Text: bare, or quoted (Go syntax)
// when empty or holding a space, '=' or '"'.
func (h *Handler) appendText(b []byte, s string) ([]byte, bool) {
	var cls byte
	if s == "" {
		cls = clsQuote
	}
	for i := 0; i < len(s); i++ {
		cls |= class[s[i]]
	}
	switch {
	case cls&clsOther != 0:
		return b, false
	case h.json:
		if cls&clsEscape != 0 {
			return b, false // rare: left to the standard handler
		}
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"'), true
	case cls&clsQuote == 0:
		return append(b, s...), true
	}
	// strconv.Quote's form, which for printable ASCII escapes only these two.
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			b = append(b, '\\', c)
		} else {
			b = append(b, c)
		}
	}
	return append(b, '"'), true
}

// The classes of bytes for appendText.
const (
	clsOther  = 1 << iota // not printable ASCII
	clsQuote              // quoted in text
	clsEscape             // escaped when quoted
)

var class = func() (t [256]byte) {
	for c := range t {
		switch {
		case c < 0x20 || c >= 0x7f:
			t[c] = clsOther
		case c == '"':
			t[c] = clsQuote | clsEscape
		case c == '\\':
			t[c] = clsEscape
		case c == ' ' || c == '=':
			t[c] = clsQuote
		}
	}
	return
}()

func (h *Handler) appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	v := a.Value
	switch v.Kind() {
	case slog.KindString:
		return h.appendString(b, a.Key, v.String(), false)
	case slog.KindInt64:
		b, ok := h.appendKey(b, a.Key, false)
		return strconv.AppendInt(b, v.Int64(), 10), ok
	case slog.KindUint64:
		b, ok := h.appendKey(b, a.Key, false)
		return strconv.AppendUint(b, v.Uint64(), 10), ok
	case slog.KindBool:
		b, ok := h.appendKey(b, a.Key, false)
		return strconv.AppendBool(b, v.Bool()), ok
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return b, false
		}
		if h.json {
			// encoding/json's form, which the JSON handler uses: 'f'
			// within these bounds.
			if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
				return b, false
			}
			b, ok := h.appendKey(b, a.Key, false)
			return strconv.AppendFloat(b, f, 'f', -1, 64), ok
		}
		b, ok := h.appendKey(b, a.Key, false)
		return strconv.AppendFloat(b, f, 'g', -1, 64), ok
	}
	return b, false // groups, times, durations, any: the standard path
}

// appendTime appends t in RFC 3339: with exactly three digits of
// milliseconds (truncated), as the text handler writes it, or with the
// nanoseconds and no trailing zeros (none at all for a whole second), as
// the JSON handler does. The date, the time to the second and the zone are
// formatted once a second.
func (h *Handler) appendTime(b []byte, t time.Time, millis bool) []byte {
	sec, loc := t.Unix(), t.Location()
	c := h.clock.Load()
	if c == nil || c.sec != sec || c.loc != loc {
		c = &second{sec: sec, loc: loc, date: t.AppendFormat(nil, "2006-01-02T15:04:05"), zone: t.AppendFormat(nil, "Z07:00")}
		h.clock.Store(c)
	}
	b = append(b, c.date...)
	ns := t.Nanosecond()
	if millis {
		ms := ns / 1e6
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	} else if ns != 0 {
		var f [10]byte
		f[0] = '.'
		for i := 9; i >= 1; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	return append(b, c.zone...)
}

// second is the formatted date, time to the second and zone of one second.
type second struct {
	sec        int64
	loc        *time.Location
	date, zone []byte
}
