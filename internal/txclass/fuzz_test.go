package txclass_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/txclass"
)

// palette holds the values the protocols care about, so that the fuzzer
// reaches their rules: pool denominations, premixes and fees, Wasabi's
// base and levels, standard denominations, dust and the extremes.
var palette = []uint64{0, 1, 546, 5_000, 50_000, 100_000, 102_000, 250_000, 1_000_000, 1_001_500, 1_750_000,
	5_000_000, 5_010_000, 10_000_000, 10_012_345, 20_024_690, 4_782_969, 8_388_608, 12_345_678, 50_000_000,
	50_010_000, 2_100_000_000_000_000, math.MaxUint64}

// reader takes a transaction apart from fuzz bytes; past the end it reads
// zeros.
type reader []byte

func (r *reader) byte() byte {
	if len(*r) == 0 {
		return 0
	}
	b := (*r)[0]
	*r = (*r)[1:]
	return b
}

func (r *reader) value() uint64 {
	if t := int(r.byte()); t < len(palette) {
		return palette[t]
	}
	var b [8]byte
	for i := range b {
		b[i] = r.byte()
	}
	return binary.BigEndian.Uint64(b[:])
}

func (r *reader) class() btcscript.Class {
	return btcscript.Classes[int(r.byte())%len(btcscript.Classes)]
}

func decode(data []byte) txclass.Tx {
	r := reader(data)
	flags := r.byte()
	t := txclass.Tx{Version: int32(flags >> 4), LockTime: uint32(flags & 4), Coinbase: flags&1 != 0}
	nIn, nOut := int(r.byte())%80, int(r.byte())%80
	for range nIn {
		f := r.byte()
		t.Ins = append(t.Ins, txclass.In{Value: r.value(), Class: r.class(), Addr: uint32(f % 16),
			Sequence: uint32(f>>4) * 0x11111111, FromPeelStep: f&0x80 != 0})
	}
	for range nOut {
		f := r.byte()
		o := txclass.Out{Value: r.value(), Class: r.class(), Addr: uint32(f % 16),
			FirstSeen: f&0x10 != 0, Reused: f&0x20 != 0, SpentByPeelStep: f&0x40 != 0}
		if f&0x80 != 0 {
			o.Spender = txclass.FingerprintOf(&txclass.Tx{Version: int32(f & 3), LockTime: uint32(f & 4)})
		}
		t.Outs = append(t.Outs, o)
	}
	return t
}

// encode writes t so that decode reads it back (addresses modulo 16).
func encode(t *txclass.Tx) []byte {
	b := []byte{0, byte(len(t.Ins)), byte(len(t.Outs))}
	if t.Coinbase {
		b[0] = 1
	}
	val := func(v uint64) {
		for i, p := range palette {
			if p == v {
				b = append(b, byte(i))
				return
			}
		}
		b = append(b, 255)
		b = binary.BigEndian.AppendUint64(b, v)
	}
	cls := func(c btcscript.Class) {
		for i, x := range btcscript.Classes {
			if x == c {
				b = append(b, byte(i))
			}
		}
	}
	for _, in := range t.Ins {
		b = append(b, byte(in.Addr%16))
		val(in.Value)
		cls(in.Class)
	}
	for _, o := range t.Outs {
		f := byte(o.Addr % 16)
		if o.FirstSeen {
			f |= 0x10
		}
		if o.Reused {
			f |= 0x20
		}
		b = append(b, f)
		val(o.Value)
		cls(o.Class)
	}
	return b
}

// FuzzShapes feeds arbitrary shapes to every function: none may panic;
// Change names a paying output or -1, with exactly the heuristics that each
// name it alone, and never for a coinbase, a CoinJoin or a Stonewall.
func FuzzShapes(f *testing.F) {
	for _, c := range coinJoinCases() {
		if len(c.tx.Ins) < 80 && len(c.tx.Outs) < 80 {
			f.Add(encode(&c.tx), uint16(txclass.AllChange))
		}
	}
	for _, c := range changeCases() {
		f.Add(encode(&c.tx), uint16(c.h))
	}
	f.Fuzz(func(t *testing.T, data []byte, hs uint16) {
		tx := decode(data)
		k := txclass.CoinJoin(&tx)
		if k.String() == "unknown" {
			t.Fatalf("kind %d", k)
		}
		sw := txclass.Stonewall(&tx)
		txclass.PeelStep(&tx)
		if fp := txclass.FingerprintOf(&tx); !fp.Matches(fp) {
			t.Fatalf("fingerprint %b does not match itself", fp)
		}
		for _, h := range []txclass.Heuristic{txclass.Heuristic(hs), txclass.DefaultChange, txclass.AllChange} {
			v, by := txclass.Change(&tx, h)
			if v < -1 || v >= len(tx.Outs) || (v < 0) != (by == 0) || by&^h != 0 {
				t.Fatalf("Change(%s) = %d by %s on %d outputs", h, v, by, len(tx.Outs))
			}
			if v < 0 {
				continue
			}
			if tx.Coinbase || k != txclass.None || sw {
				t.Fatalf("change %d for a coinbase (%v), %s or Stonewall (%v)", v, tx.Coinbase, k, sw)
			}
			if c := tx.Outs[v].Class; c == btcscript.NullData || c == btcscript.P2A {
				t.Fatalf("change %d pays no one (%s)", v, c)
			}
			for bit := txclass.Heuristic(1); bit <= txclass.AllChange; bit <<= 1 {
				if by&bit != 0 {
					if w, wb := txclass.Change(&tx, bit); w != v || wb != bit {
						t.Fatalf("%s alone says %d, together %d", bit, w, v)
					}
				}
			}
		}
	})
}
