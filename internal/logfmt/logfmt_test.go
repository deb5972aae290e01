package logfmt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	strs = []string{"", "plain", "GET", "/api/v1/address/0xAbC", "with space", "a=b", `quote"d`, `back\slash`, "tab\there",
		"new\nline", "ünïcödé", "\u2028", "<&>", "x", "key_abc", "0123456789abcdef", "-", "+", "{}", "[1]", "\x00", "\x7f", "é"}
	floats = []float64{0, math.Copysign(0, -1), 0.123, 1.5, -2.25, 1e-7, 1e-6, 123456.789, 1e20, 1e21, 1e300, math.Inf(1), math.NaN(), 0.001}
	zones  = []*time.Location{time.UTC, time.Local, time.FixedZone("X", 5*3600+1800), time.FixedZone("Y", -7*3600)}
)

// randomAttr is an attribute of any kind, the fast path's and the others.
func randomAttr(r *rand.Rand) slog.Attr {
	key := strs[r.IntN(len(strs))]
	switch r.IntN(10) {
	case 0, 1, 2:
		return slog.String(key, strs[r.IntN(len(strs))])
	case 3:
		return slog.Int64(key, r.Int64()-math.MaxInt64/2)
	case 4:
		return slog.Uint64(key, r.Uint64())
	case 5:
		return slog.Float64(key, floats[r.IntN(len(floats))])
	case 6:
		return slog.Bool(key, r.IntN(2) == 0)
	case 7:
		return slog.Duration(key, time.Duration(r.Int64N(1e12)))
	case 8:
		return slog.Group(key, slog.String("in", strs[r.IntN(len(strs))]))
	default:
		return slog.Any(key, errors.New(strs[r.IntN(len(strs))]))
	}
}

func randomRecord(r *rand.Rand) slog.Record {
	var t time.Time
	switch r.IntN(6) {
	case 0: // zero: no time
	case 1:
		t = time.Date(10000+r.IntN(5), 1, 2, 3, 4, 5, 0, time.UTC) // beyond RFC 3339
	default:
		ns := r.IntN(1e9)
		switch r.IntN(4) {
		case 0:
			ns = ns / 1e6 * 1e6 // whole milliseconds: trailing zeros
		case 1:
			ns = 0 // a whole second
		}
		t = time.Date(1950+r.IntN(100), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), ns, zones[r.IntN(len(zones))])
	}
	level := []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2, slog.LevelDebug - 3}[r.IntN(6)]
	rec := slog.NewRecord(t, level, strs[r.IntN(len(strs))], 0)
	for range r.IntN(12) {
		rec.AddAttrs(randomAttr(r))
	}
	return rec
}

// TestSameLinesAsTheStandardHandlers: for random records of every kind, in
// text and JSON, through plain and derived handlers, the lines are the
// standard handlers' byte for byte.
func TestSameLinesAsTheStandardHandlers(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	fast := 0
	for i := range 20000 {
		json := i%2 == 0
		opts := &slog.HandlerOptions{Level: slog.LevelDebug - 4}
		var got, want bytes.Buffer
		h := New(&got, json, opts)
		var std slog.Handler
		if json {
			std = slog.NewJSONHandler(&want, opts)
		} else {
			std = slog.NewTextHandler(&want, opts)
		}
		if i%7 == 0 { // derived handlers take the standard path
			as := []slog.Attr{randomAttr(r)}
			h, std = h.WithAttrs(as), std.WithAttrs(as)
			if i%3 == 0 {
				h, std = h.WithGroup("g"), std.WithGroup("g")
			}
		}
		rec := randomRecord(r)
		errGot, errWant := h.Handle(ctx, rec), std.Handle(ctx, rec)
		if (errGot == nil) != (errWant == nil) || got.String() != want.String() {
			t.Fatalf("record %d (json %v):\n got %q (%v)\nwant %q (%v)", i, json, got.String(), errGot, want.String(), errWant)
		}
		if hh, ok := h.(*Handler); ok && hh.fast {
			if _, ok := hh.appendRecord(nil, rec); ok {
				fast++
			}
		}
	}
	// The comparison must cover the fast path, not only the fallback.
	if fast < 1000 {
		t.Fatalf("only %d of the records took the fast path", fast)
	}
}

// TestAccessLineFastAndEqual: the access log's line takes the fast path in
// both formats, and levels are filtered as the options say.
func TestAccessLineFastAndEqual(t *testing.T) {
	rec := accessRecord()
	for _, json := range []bool{false, true} {
		var got, want bytes.Buffer
		h := New(&got, json, &slog.HandlerOptions{Level: slog.LevelInfo}).(*Handler)
		if _, ok := h.appendRecord(nil, rec); !ok {
			t.Fatalf("json %v: the access line took the standard path", json)
		}
		std := slog.Handler(slog.NewTextHandler(&want, nil))
		if json {
			std = slog.NewJSONHandler(&want, nil)
		}
		h.Handle(context.Background(), rec)
		std.Handle(context.Background(), rec)
		if got.String() != want.String() {
			t.Fatalf("json %v:\n got %q\nwant %q", json, got.String(), want.String())
		}
		if h.Enabled(context.Background(), slog.LevelDebug) || !h.Enabled(context.Background(), slog.LevelInfo) {
			t.Fatalf("json %v: level filter", json)
		}
	}
	// AddSource or ReplaceAttr: everything takes the standard path.
	var got, want bytes.Buffer
	opts := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == "path" {
			a.Value = slog.StringValue("[redacted]")
		}
		return a
	}}
	New(&got, false, opts).Handle(context.Background(), rec)
	slog.NewTextHandler(&want, opts).Handle(context.Background(), rec)
	if got.String() != want.String() || !bytes.Contains(got.Bytes(), []byte("path=[redacted]")) {
		t.Fatalf("with ReplaceAttr:\n got %q\nwant %q", got.String(), want.String())
	}
}

func accessRecord() slog.Record {
	rec := slog.NewRecord(time.Date(2026, 11, 27, 4, 30, 0, 123456789, time.UTC), slog.LevelInfo, "http", 0)
	rec.AddAttrs(slog.String("method", "GET"), slog.String("path", "/api/v1/address/0x00000000000000000000000000000000000000a1"),
		slog.String("route", "GET /api/v1/address/{address}"), slog.Int("status", 200), slog.Int64("bytes", 24),
		slog.Float64("ms", 0.123), slog.String("remote", "127.0.0.1"), slog.String("request_id", "0123456789abcdef"),
		slog.String("key", "key_abcdefgh"), slog.String("org", "Exchange"))
	return rec
}

// BenchmarkAccessLine compares the access log's line through this handler
// and through the standard one.
func BenchmarkAccessLine(b *testing.B) {
	rec := accessRecord()
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{
		{"text/logfmt", New(io.Discard, false, nil)},
		{"text/slog", slog.NewTextHandler(io.Discard, nil)},
		{"json/logfmt", New(io.Discard, true, nil)},
		{"json/slog", slog.NewJSONHandler(io.Discard, nil)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.h.Handle(context.Background(), rec)
			}
		})
	}
}

// TestTimesThroughOneHandler: one handler formats the times of many
// records, in a few seconds and zones (its per-second formatting reused
// and replaced), as the standard handlers do.
func TestTimesThroughOneHandler(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 11, 27, 4, 59, 58, 0, time.UTC)
	for _, json := range []bool{false, true} {
		var got, want bytes.Buffer
		h := New(&got, json, nil)
		std := slog.Handler(slog.NewTextHandler(&want, nil))
		if json {
			std = slog.NewJSONHandler(&want, nil)
		}
		for i := range 5000 {
			tm := base.Add(time.Duration(r.IntN(3))*time.Second + time.Duration(r.IntN(1e9))).In(zones[r.IntN(len(zones))])
			if i%5 == 0 {
				tm = tm.Truncate(time.Second)
			}
			rec := slog.NewRecord(tm, slog.LevelInfo, "http", 0)
			rec.AddAttrs(slog.Int("i", i))
			got.Reset()
			want.Reset()
			h.Handle(context.Background(), rec)
			std.Handle(context.Background(), rec)
			if got.String() != want.String() {
				t.Fatalf("json %v, record %d:\n got %q\nwant %q", json, i, got.String(), want.String())
			}
		}
	}
}
