package txclass_test

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txclass"
)

const (
	wpkh = btcscript.P2WPKH
	tr   = btcscript.P2TR
	pkh  = btcscript.P2PKH
	sh   = btcscript.P2SH
	null = btcscript.NullData
)

// shape builds transactions for the tables: addresses are numbered from 1
// in the order inputs and outputs are added, so every one is distinct
// unless given.
type shape struct {
	tx   txclass.Tx
	next uint32
}

func newShape() *shape { return &shape{tx: txclass.Tx{Version: 2}, next: 1} }

func (s *shape) addr() uint32 { s.next++; return s.next - 1 }

// in adds inputs of these values and class.
func (s *shape) in(c btcscript.Class, vs ...uint64) *shape {
	for _, v := range vs {
		s.tx.Ins = append(s.tx.Ins, txclass.In{Value: v, Class: c, Addr: s.addr()})
	}
	return s
}

// out adds outputs of these values and class.
func (s *shape) out(c btcscript.Class, vs ...uint64) *shape {
	for _, v := range vs {
		a := uint32(0)
		if c != null {
			a = s.addr()
		}
		s.tx.Outs = append(s.tx.Outs, txclass.Out{Value: v, Class: c, Addr: a})
	}
	return s
}

// times repeats v n times.
func times(n int, v uint64) []uint64 {
	r := make([]uint64, n)
	for i := range r {
		r[i] = v
	}
	return r
}

func cat(vs ...[]uint64) []uint64 {
	var r []uint64
	for _, v := range vs {
		r = append(r, v...)
	}
	return r
}

// spread returns n distinct values around v.
func spread(n int, v uint64) []uint64 {
	r := make([]uint64, n)
	for i := range r {
		r[i] = v + uint64(i)*7_919 + 13
	}
	return r
}

// coinJoinCases are the shapes CoinJoin is tested on, named for what they
// are; Stonewall and the others are mostly what must not be CoinJoins.
func coinJoinCases() []struct {
	name string
	tx   txclass.Tx
	want txclass.Kind
} {
	// A Stonewall: inputs {3.0, 0.4} BTC and {1.2} BTC; outputs 1 BTC
	// (payment), 1 BTC (decoy), and the two changes.
	stonewall := newShape().in(wpkh, 300_000_000, 40_000_000, 120_000_000).
		out(wpkh, 100_000_000, 239_990_000, 100_000_000, 19_990_000).tx
	// A JoinMarket CoinJoin: a taker and five makers, 0.12345678 BTC each.
	const jm = 12_345_678
	joinMarket := newShape().in(sh, 30_000_000, 20_000_000, 15_000_000, 13_000_000, 50_000_000, 12_400_000).
		out(sh, times(6, jm)...).
		out(sh, 30_000_000-jm+300, 20_000_000-jm+300, 15_000_000-jm+300, 13_000_000-jm+300, 50_000_000-jm-1_500-20_000).tx
	generic := newShape().in(wpkh, 30_000_000, 20_000_000, 15_000_000, 13_000_000, 50_000_000, 12_400_000).
		out(wpkh, times(6, jm)...).
		out(wpkh, 30_000_000-jm-3_000, 20_000_000-jm-3_000, 15_000_000-jm-3_000, 13_000_000-jm-3_000, 50_000_000-jm-3_000, 12_400_000-jm-3_000).
		out(wpkh, 9_000).tx // the coordinator's fee
	return []struct {
		name string
		tx   txclass.Tx
		want txclass.Kind
	}{
		{"whirlpool 0.01: two premixes, three remixes", newShape().
			in(wpkh, 1_000_000, 1_000_000, 1_000_000, 1_001_700, 1_002_300).out(wpkh, times(5, 1_000_000)...).tx, txclass.Whirlpool},
		{"whirlpool 0.05 surge cycle, 8 by 8", newShape().
			in(wpkh, cat(times(3, 5_000_000), spread(5, 5_001_000))...).out(wpkh, times(8, 5_000_000)...).tx, txclass.Whirlpool},
		{"whirlpool 0.001 with a taproot remix", newShape().
			in(wpkh, 100_000, 100_000, 100_000, 102_000).in(tr, 100_000).out(wpkh, times(5, 100_000)...).tx, txclass.Whirlpool},
		{"five equal outputs of no pool", newShape().
			in(wpkh, 2_000_000, 2_000_000, 2_000_000, 2_001_700, 2_002_300).out(wpkh, times(5, 2_000_000)...).tx, txclass.JoinMarket},
		// Near misses of Whirlpool still have an equal-output shape.
		{"whirlpool shape, one output a satoshi short", newShape().
			in(wpkh, 1_000_000, 1_000_000, 1_000_000, 1_001_700, 1_002_300).out(wpkh, cat(times(4, 1_000_000), []uint64{999_999})...).tx, txclass.JoinMarket},
		{"whirlpool shape, an input too large for a premix", newShape().
			in(wpkh, 1_000_000, 1_000_000, 1_000_000, 1_001_700, 1_100_000).out(wpkh, times(5, 1_000_000)...).tx, txclass.JoinMarket},
		{"tx0 with OP_RETURN, one premix, a discounted fee", newShape().
			in(wpkh, 3_000_000).out(wpkh, 1_001_500, 25_000).out(null, 0).out(wpkh, 1_971_000).tx, txclass.WhirlpoolTx0},
		{"tx0 of the 0.5 pool, three premixes, no OP_RETURN", newShape().
			in(pkh, 90_000_000, 80_000_000).out(wpkh, times(3, 50_010_000)...).out(wpkh, 1_750_000).out(pkh, 18_200_000).tx, txclass.WhirlpoolTx0},
		{"a payment that looks like a one-premix tx0 without OP_RETURN", newShape().
			in(wpkh, 3_000_000).out(wpkh, 1_001_500, 50_000, 1_946_000).tx, txclass.None},
		{"wasabi 1.1: base 0.1 BTC, two mixing levels, changes, the coordinator", newShape().
			in(wpkh, spread(14, 31_000_000)...).
			out(wpkh, times(12, 10_012_345)...).out(wpkh, 20_024_690, 40_049_380).out(wpkh, spread(11, 1_300_000)...).out(wpkh, 420_000).tx, txclass.Wasabi1},
		{"wasabi 2: 60 SegWit and Taproot inputs, standard denominations", wasabi2Round(wpkh), txclass.Wasabi2},
		{"wasabi 2 shape with a legacy input", wasabi2Round(pkh), txclass.None},
		{"joinmarket: a taker and five makers", joinMarket, txclass.JoinMarket},
		{"generic: six participants and a coordinator fee", generic, txclass.Generic},
		{"stonewall", stonewall, txclass.None},
		{"payment with two equal outputs", newShape().
			in(wpkh, 1_500_000, 900_000).out(wpkh, 1_000_000, 1_000_000, 396_000).tx, txclass.None},
		{"batch of five equal payments from one coin", newShape().
			in(wpkh, 10_000_000).out(wpkh, times(5, 1_000_000)...).out(wpkh, 4_990_000).tx, txclass.None},
		{"batch of three equal payments, inputs on one address", func() txclass.Tx {
			s := newShape().in(wpkh, 2_000_000, 3_000_000, 4_000_000).out(wpkh, times(3, 2_000_000)...).out(wpkh, 2_990_000)
			for i := range s.tx.Ins {
				s.tx.Ins[i].Addr = 99
			}
			return s.tx
		}(), txclass.None},
		{"batch of three equal payments, one large coin and two small", newShape().
			in(wpkh, 1_000_000_000, 10_000_000, 10_000_000).out(wpkh, times(3, 5_000_000)...).out(wpkh, 1_004_990_000).tx, txclass.None},
		{"dust spray", newShape().in(wpkh, 100_000, 100_000, 100_000, 100_000).out(wpkh, times(20, 546)...).out(wpkh, 380_000).tx, txclass.None},
		{"coinbase", func() txclass.Tx {
			s := newShape().in(btcscript.NonStandard, 0).out(wpkh, times(5, 1_000_000)...)
			s.tx.Coinbase = true
			return s.tx
		}(), txclass.None},
		{"no outputs", newShape().in(wpkh, 1_000).tx, txclass.None},
		{"no inputs", newShape().out(wpkh, 1_000, 2_000).tx, txclass.None},
	}
}

// wasabi2Round is a WabiSabi round of 60 inputs whose outputs are mostly
// standard denominations (binary, ternary, 1-2-5), paying its inputs'
// class.
func wasabi2Round(c btcscript.Class) txclass.Tx {
	s := newShape().in(wpkh, spread(40, 7_700_000)...).in(tr, spread(19, 5_100_000)...).in(c, 6_000_000)
	s.out(wpkh, times(40, 4_782_969)...). // 3^14
						out(tr, times(35, 8_388_608)...). // 2^23
						out(wpkh, times(30, 1_000_000)...).
						out(wpkh, times(10, 200_000)...).
						out(wpkh, times(12, 1_062_882)...). // 2 * 3^12
						out(wpkh, spread(20, 340_000)...)   // changes
	return s.tx
}

// cjCase returns the transaction of the coinJoinCases entry named name.
func cjCase(name string) txclass.Tx {
	for _, c := range coinJoinCases() {
		if c.name == name {
			return c.tx
		}
	}
	panic("no case " + name)
}

func TestCoinJoin(t *testing.T) {
	for _, c := range coinJoinCases() {
		if got := txclass.CoinJoin(&c.tx); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestKind(t *testing.T) {
	want := map[txclass.Kind]string{txclass.None: "none", txclass.Generic: "generic", txclass.Whirlpool: "whirlpool",
		txclass.WhirlpoolTx0: "whirlpool-tx0", txclass.Wasabi1: "wasabi1", txclass.Wasabi2: "wasabi2", txclass.JoinMarket: "joinmarket", 200: "unknown"}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), s)
		}
		multi := k != txclass.None && k != txclass.WhirlpoolTx0
		if k.MultiParty() != multi {
			t.Errorf("%s: MultiParty %v", k, k.MultiParty())
		}
	}
}

func TestStonewall(t *testing.T) {
	cases := []struct {
		name string
		tx   txclass.Tx
		want bool
	}{
		{"stonewall", cjCase("stonewall"), true},
		{"two inputs that cannot each pay a side", newShape().
			in(wpkh, 300_000_000, 40_000_000).out(wpkh, 100_000_000, 100_000_000, 120_000_000, 19_990_000).tx, false},
		{"one input", newShape().in(wpkh, 400_000_000).out(wpkh, 100_000_000, 100_000_000, 120_000_000, 79_990_000).tx, false},
		{"two pairs of equal outputs", newShape().
			in(wpkh, 300_000_000, 300_000_000).out(wpkh, 100_000_000, 100_000_000, 200_000_000, 200_000_000).tx, false},
		{"three outputs", newShape().in(wpkh, 300_000_000, 300_000_000).out(wpkh, 100_000_000, 100_000_000, 399_990_000).tx, false},
		{"an OP_RETURN as the fourth output", newShape().
			in(wpkh, 300_000_000, 120_000_000).out(wpkh, 100_000_000, 100_000_000, 219_990_000).out(null, 0).tx, false},
	}
	for _, c := range cases {
		if got := txclass.Stonewall(&c.tx); got != c.want {
			t.Errorf("%s: Stonewall %v", c.name, got)
		}
	}
	if v, by := txclass.Change(&cases[0].tx, txclass.AllChange); v != -1 || by != 0 {
		t.Errorf("Stonewall: change %d by %s, want none", v, by)
	}
}

func TestPeelStep(t *testing.T) {
	step := newShape().in(wpkh, 5_000_000).out(wpkh, 4_000_000, 990_000).tx
	if !txclass.PeelStep(&step) {
		t.Error("1-in-2-out is a peel step")
	}
	step.Coinbase = true
	if txclass.PeelStep(&step) {
		t.Error("a coinbase is no peel step")
	}
	for _, tx := range []txclass.Tx{newShape().in(wpkh, 5, 5).out(wpkh, 4, 4).tx, newShape().in(wpkh, 5).out(wpkh, 4, 4, 1).tx} {
		if txclass.PeelStep(&tx) {
			t.Errorf("%d in, %d out is no peel step", len(tx.Ins), len(tx.Outs))
		}
	}
}

func TestFingerprint(t *testing.T) {
	core := txclass.Tx{Version: 2, LockTime: 840_000, Ins: []txclass.In{{Sequence: 0xfffffffd}}}
	old := txclass.Tx{Version: 1, Ins: []txclass.In{{Sequence: 0xffffffff}}}
	unknownSeq := txclass.Tx{Version: 2, LockTime: 840_010, Ins: []txclass.In{{}}}
	final := txclass.Tx{Version: 2, LockTime: 840_000, Ins: []txclass.In{{Sequence: 0xfffffffe}}}
	fp := txclass.FingerprintOf
	switch {
	case txclass.Fingerprint(0).Known(), txclass.Fingerprint(0).Matches(fp(&core)):
		t.Error("the zero fingerprint is unknown and matches nothing")
	case !fp(&core).Matches(fp(&core)), fp(&core).Matches(fp(&old)):
		t.Error("version and locktime habit tell wallets apart")
	case !fp(&core).Matches(fp(&unknownSeq)):
		t.Error("an unknown RBF signal does not tell wallets apart")
	case fp(&core).Matches(fp(&final)):
		t.Error("the RBF signal tells wallets apart where both know it")
	}
}

// changeCase is a transaction built for one heuristic, with the output it
// should name.
type changeCase struct {
	name string
	tx   txclass.Tx
	h    txclass.Heuristic
	want int
}

func changeCases() []changeCase {
	payment := func() *shape { return newShape().in(wpkh, 5_000_000, 3_000_000).out(wpkh, 2_000_000, 5_987_654) }
	mark := func(s *shape, f func(o *txclass.Out, i int)) txclass.Tx {
		for i := range s.tx.Outs {
			f(&s.tx.Outs[i], i)
		}
		return s.tx
	}
	spender := txclass.FingerprintOf(&txclass.Tx{Version: 2})
	other := txclass.FingerprintOf(&txclass.Tx{Version: 1, LockTime: 9})
	peel := func(fromPeel bool) txclass.Tx {
		s := newShape().in(wpkh, 9_000_000).out(wpkh, 1_234_567, 7_700_000)
		s.tx.Ins[0].FromPeelStep = fromPeel
		s.tx.Outs[1].SpentByPeelStep = true
		return s.tx
	}
	return []changeCase{
		{"onetime: the only fresh address", mark(payment(), func(o *txclass.Out, i int) { o.FirstSeen = i == 1 }), txclass.OneTimeChange, 1},
		{"onetime: both fresh", mark(payment(), func(o *txclass.Out, i int) { o.FirstSeen = true }), txclass.OneTimeChange, -1},
		{"onetime: a wallet that reuses for change", mark(payment(), func(o *txclass.Out, i int) { o.FirstSeen, o.Reused = i == 1, i == 0 }), txclass.OneTimeChange, -1},
		{"type: one output of the inputs' class", newShape().in(pkh, 5_000_000).out(sh, 2_000_000).out(pkh, 2_987_000).tx, txclass.AddressType, 1},
		{"type: inputs of two classes", newShape().in(pkh, 5_000_000).in(wpkh, 1_000_000).out(sh, 2_000_000).out(pkh, 3_987_000).tx, txclass.AddressType, -1},
		{"optimal: one output below every input", payment().tx, txclass.OptimalChange, 0},
		{"optimal: one input", newShape().in(wpkh, 5_000_000).out(wpkh, 2_000_000, 2_990_000).tx, txclass.OptimalChange, -1},
		{"round: one amount not round", payment().tx, txclass.RoundValue, 1},
		{"round: none round", newShape().in(wpkh, 5_000_000).out(wpkh, 2_000_001, 2_990_000-1).tx, txclass.RoundValue, -1},
		{"round: an OP_RETURN does not count", newShape().in(wpkh, 5_000_000).out(null, 0).out(wpkh, 2_000_000, 2_987_654).tx, txclass.RoundValue, 2},
		{"locktime: one spender with the same fingerprint", mark(payment(), func(o *txclass.Out, i int) {
			o.Spender = []txclass.Fingerprint{other, spender}[i]
		}), txclass.LockTime, 1},
		{"locktime: an output unspent", mark(payment(), func(o *txclass.Out, i int) {
			o.Spender = []txclass.Fingerprint{0, spender}[i]
		}), txclass.LockTime, -1},
		{"locktime: both spenders alike", mark(payment(), func(o *txclass.Out, i int) { o.Spender = spender }), txclass.LockTime, -1},
		{"reuse: back to an input's address", mark(payment(), func(o *txclass.Out, i int) { o.Reused = i == 0 }), txclass.Reuse, 0},
		{"peel: continued by the output spent by a peel step", peel(true), txclass.Peel, 1},
		{"peel: a chain's first step (its parent is no peel step)", peel(false), txclass.Peel, -1},
		{"peel: not a peel step", newShape().in(wpkh, 5_000_000, 1).out(wpkh, 2_000_000, 2_990_000).tx, txclass.Peel, -1},
		{"none selected", payment().tx, 0, -1},
		{"agreement: round and optimal name output 0", newShape().in(wpkh, 5_000_000, 3_000_000).out(wpkh, 1_987_654, 6_000_000).tx,
			txclass.RoundValue | txclass.OptimalChange, 0},
		{"conflict: round names 1, optimal 0", payment().tx, txclass.RoundValue | txclass.OptimalChange, -1},
		{"one paying output", newShape().in(wpkh, 5_000_000).out(wpkh, 4_987_654).out(null, 0).tx, txclass.AllChange, -1},
		{"a CoinJoin", cjCase("joinmarket: a taker and five makers"), txclass.AllChange, -1},
		{"a Tx0", cjCase("tx0 with OP_RETURN, one premix, a discounted fee"), txclass.AllChange, -1},
	}
}

func TestChange(t *testing.T) {
	for _, c := range changeCases() {
		v, by := txclass.Change(&c.tx, c.h)
		if v != c.want {
			t.Errorf("%s: %s names output %d (by %s), want %d", c.name, c.h, v, by, c.want)
			continue
		}
		switch {
		case v < 0 && by != 0:
			t.Errorf("%s: no change but by %s", c.name, by)
		case v >= 0 && (by == 0 || by&^c.h != 0):
			t.Errorf("%s: named by %s, asked %s", c.name, by, c.h)
		}
	}
}

func TestHeuristicNames(t *testing.T) {
	for h := txclass.Heuristic(0); h <= txclass.AllChange; h++ {
		back, err := txclass.ParseHeuristics(h.String())
		if err != nil || back != h {
			t.Fatalf("%s (%d) read back as %d, %v", h, h, back, err)
		}
	}
	ok := map[string]txclass.Heuristic{
		"onetime,type,optimal,round,locktime,reuse,peel": txclass.AllChange,
		" Round , PEEL":  txclass.RoundValue | txclass.Peel,
		"default":        txclass.DefaultChange,
		"default,peel":   txclass.DefaultChange | txclass.Peel,
		"all":            txclass.AllChange,
		"none":           0,
		"type,type,none": txclass.AddressType,
	}
	for s, want := range ok {
		if h, err := txclass.ParseHeuristics(s); err != nil || h != want {
			t.Errorf("ParseHeuristics(%q) = %s, %v; want %s", s, h, err, want)
		}
	}
	bad := map[string]string{
		"":              "no change heuristics given",
		"onetime,fresh": `unknown change heuristic "fresh"`,
		"type,,round":   `unknown change heuristic ""`,
	}
	for s, msg := range bad {
		_, err := txclass.ParseHeuristics(s)
		if err == nil || !strings.Contains(err.Error(), msg) || errs.CodeOf(err) != errs.Invalid {
			t.Errorf("ParseHeuristics(%q): %v, want an invalid-input error saying %q", s, err, msg)
		}
	}
	// As a flag and in JSON.
	var h txclass.Heuristic
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.TextVar(&h, "change", txclass.DefaultChange, "change heuristics")
	if err := fs.Parse([]string{"--change", "reuse,peel"}); err != nil || h != txclass.Reuse|txclass.Peel {
		t.Errorf("flag: %s, %v", h, err)
	}
	b, err := json.Marshal(struct{ H txclass.Heuristic }{txclass.DefaultChange})
	if err != nil || string(b) != `{"H":"onetime,type,round,locktime,reuse"}` {
		t.Errorf("JSON: %s, %v", b, err)
	}
}

// TestNoAllocations: CoinJoin, Stonewall and Change allocate nothing, on
// every shape of the tables.
func TestNoAllocations(t *testing.T) {
	var txs []txclass.Tx
	for _, c := range coinJoinCases() {
		txs = append(txs, c.tx)
	}
	for _, c := range changeCases() {
		txs = append(txs, c.tx)
	}
	txs = append(txs, bigBatch(3000))
	allocs := testing.AllocsPerRun(20, func() {
		for i := range txs {
			txclass.CoinJoin(&txs[i])
			txclass.Stonewall(&txs[i])
			txclass.Change(&txs[i], txclass.AllChange)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
}

// bigBatch is an exchange's withdrawal batch of n outputs from 30 inputs.
func bigBatch(n int) txclass.Tx {
	return newShape().in(wpkh, spread(30, 900_000_000)...).out(wpkh, spread(n, 100_000)...).tx
}
