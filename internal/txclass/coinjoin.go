package txclass

import (
	"math"
	"slices"

	"github.com/trawlhq/trawl/internal/btcscript"
)

// Kind is what CoinJoin finds a transaction to be.
type Kind uint8

const (
	None         Kind = iota // not a CoinJoin
	Generic                  // an equal-output CoinJoin of no known protocol
	Whirlpool                // a Whirlpool mix
	WhirlpoolTx0             // a Whirlpool Tx0 (one owner: see MultiParty)
	Wasabi1                  // Wasabi 1.0/1.1 (ZeroLink)
	Wasabi2                  // Wasabi 2.0 (WabiSabi)
	JoinMarket               // a JoinMarket CoinJoin
)

var kindNames = [...]string{"none", "generic", "whirlpool", "whirlpool-tx0", "wasabi1", "wasabi2", "joinmarket"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// MultiParty reports whether a transaction of kind k has inputs of several
// owners, so that the multi-input heuristic must not join them. A Tx0 is
// one wallet's; None is ordinary.
func (k Kind) MultiParty() bool { return k != None && k != WhirlpoolTx0 }

// Protocol facts. Sources: Samourai's whirlpool-server configuration, pool
// list and blog, nopara73's Dumplings (the Wasabi author's CoinJoin
// scanner), WalletWasabi's denomination generator, BlockSci's and
// GraphSense's CoinJoin heuristics. Where a bound is a choice of ours, the
// comment says so.
const (
	// whirlpoolMin and whirlpoolMax bound the inputs (= outputs) of a mix:
	// five since 2019, more in the surge cycles of May 2023, which add
	// premixers; eight is our guess at the most.
	whirlpoolMin = 5
	whirlpoolMax = 8
	// premixMaxExtra bounds the miner fee a premix output carries above the
	// pool denomination: twice whirlpool-server's default miner-fee-max
	// (19,125 sat).
	premixMaxExtra = 40_000
	// tx0MaxPremix is whirlpool-server's tx0-max-outputs.
	tx0MaxPremix = 70
	// tx0MaxChange bounds the other outputs of a Tx0 besides the premixes,
	// the fee and the OP_RETURN.
	tx0MaxChange = 3

	// wasabi1Base and wasabi1Spread: the base denomination was about 0.1
	// BTC, set per round by the coordinator (Dumplings accepts ±0.02).
	wasabi1Base   = 10_000_000
	wasabi1Spread = 2_000_000
	// wasabi1MinEqual is the fewest base-denomination outputs of a round.
	// Dumplings asks for 10.
	wasabi1MinEqual = 10
	// wasabi1MinInputs: distinct input addresses of a round, at the least.
	wasabi1MinInputs = 5
	// wasabi1Levels: mixing levels above the base (1.1): 2^1..2^6 times.
	wasabi1Levels = 6

	// wasabi2MinInputs: GraphSense's bound for a WabiSabi round. Smaller
	// rounds (coordinators with few users; the client accepts five inputs)
	// fall to the generic rules or are missed.
	wasabi2MinInputs = 50
	wasabi2MinOut    = 5_000 // WabiSabi's minimum output amount
	// wasabi2StdShare: at least this share (in percent) of the outputs are
	// standard denominations, and wasabi2MinOdd of them are from the binary
	// or ternary families, which no one else pays in (our choices).
	wasabi2StdShare = 50
	wasabi2MinOdd   = 3

	// minEqualValue: equal outputs below it are dust sprays, not a CoinJoin.
	minEqualValue = 5_000
	// minEqual: the fewest equal outputs of an equal-output CoinJoin. Two
	// is what payments and Stonewall look like (see doc.go).
	minEqual = 3
)

// The Whirlpool pool denominations.
const (
	pool0001 = 100_000    // 0.001 BTC
	pool001  = 1_000_000  // 0.01 BTC
	pool005  = 5_000_000  // 0.05 BTC
	pool05   = 50_000_000 // 0.5 BTC
)

// whirlpoolPools lists each pool's denomination and the pool fees its Tx0
// paid the coordinator over the years: 5% of the denomination (0.001 BTC:
// assumed alike), the 0.5 BTC pool 0.025, later 0.0175 BTC.
var whirlpoolPools = [...]struct {
	denom uint64
	fees  [2]uint64
}{
	{pool0001, [2]uint64{5_000, 5_000}},
	{pool001, [2]uint64{50_000, 50_000}},
	{pool005, [2]uint64{250_000, 250_000}},
	{pool05, [2]uint64{2_500_000, 1_750_000}},
}

// CoinJoin classifies t. Ordinary transactions leave at the first checks:
// coinbases, fewer than two outputs, and (past the Whirlpool and Tx0 shapes,
// which are tested on exact values) fewer than two inputs or three outputs.
// The order of the rules is from the most specific to the least.
func CoinJoin(t *Tx) Kind {
	nIn, nOut := len(t.Ins), len(t.Outs)
	if t.Coinbase || nIn == 0 || nOut < 2 {
		return None
	}
	if nIn == nOut && nOut >= whirlpoolMin && nOut <= whirlpoolMax && whirlpoolMix(t) {
		return Whirlpool
	}
	if tx0(t) {
		return WhirlpoolTx0
	}
	if nIn < 2 || nOut < minEqual {
		return None
	}
	if nIn >= wasabi2MinInputs && wasabi2(t) {
		return Wasabi2
	}
	v, n, band := heavy(t.Outs, minEqualValue, math.MaxUint64)
	if band >= wasabi1MinEqual {
		if v, n, _ := heavy(t.Outs, wasabi1Base-wasabi1Spread, wasabi1Base+wasabi1Spread); n >= wasabi1MinEqual && wasabi1(t, v, n) {
			return Wasabi1
		}
	}
	if n < minEqual {
		return None
	}
	return equalOutputs(t, v, n)
}

func poolOf(denom uint64) int {
	for p := range whirlpoolPools {
		if whirlpoolPools[p].denom == denom {
			return p
		}
	}
	return -1
}

// whirlpoolMix: every output exactly one pool denomination, every input
// that denomination (a remix) or a premix of it, and the premixes paying
// the miner fee.
func whirlpoolMix(t *Tx) bool {
	d := t.Outs[0].Value
	if poolOf(d) < 0 {
		return false
	}
	for i := range t.Outs {
		if o := &t.Outs[i]; o.Value != d || !o.payee() {
			return false
		}
	}
	var in uint64
	for i := range t.Ins {
		v := t.Ins[i].Value
		if v < d || v > d+premixMaxExtra {
			return false
		}
		in += v
	}
	return in > d*uint64(len(t.Outs))
}

// tx0: premix outputs of one pool (all of one value, the denomination plus
// a miner fee), the pool fee, at most a few changes. Real Tx0s carry an
// OP_RETURN (the coordinator's fee payload); with it, one premix and a
// discounted fee (SCODE) are accepted, without it two premixes and a fee
// of exactly the pool's are needed. The first pass looks at values only:
// most transactions have no output in a premix range and leave there.
func tx0(t *Tx) bool {
	pool, m := -1, 0
	var premix uint64
	for i := range t.Outs {
		v := t.Outs[i].Value
		if premix != 0 {
			if v == premix {
				m++
			}
			continue
		}
		if p := premixPool(v); p >= 0 && t.Outs[i].Class != btcscript.NullData {
			pool, premix, m = p, v, 1
		}
	}
	if pool < 0 || m > tx0MaxPremix {
		return false
	}
	opReturn := false
	for i := range t.Outs {
		opReturn = opReturn || t.Outs[i].Class == btcscript.NullData
	}
	if m < 2 && !opReturn {
		return false
	}
	fees := whirlpoolPools[pool].fees
	fee, other := false, 0
	for i := range t.Outs {
		o := &t.Outs[i]
		switch v := o.Value; {
		case o.Class == btcscript.NullData || v == premix:
		case !fee && (v == fees[0] || v == fees[1] || (opReturn && v > 0 && v < max(fees[0], fees[1]))):
			fee = true
		default:
			other++
		}
	}
	return fee && other <= tx0MaxChange
}

// premixPool returns the pool whose premix range (denomination,
// denomination + premixMaxExtra] holds v, or -1. (Unsigned arithmetic: a v
// at or below the denomination wraps around and fails.)
func premixPool(v uint64) int {
	switch {
	case v-(pool0001+1) < premixMaxExtra:
		return 0
	case v-(pool001+1) < premixMaxExtra:
		return 1
	case v-(pool005+1) < premixMaxExtra:
		return 2
	case v-(pool05+1) < premixMaxExtra:
		return 3
	}
	return -1
}

// wasabi1: at least wasabi1MinEqual outputs of a base near 0.1 BTC, the
// outputs that are neither base nor a mixing level at most one per
// participant plus the coordinator fee.
//
// The real protocol gives each participant one base output (more value
// goes to the mixing levels), so a round has at least as many inputs as
// base outputs. That bound is not asked for: the simulator gives a
// participant up to three base outputs (its attacker thirty), and the
// band and count of equal outputs are specific enough without it.
func wasabi1(t *Tx, v uint64, n int) bool {
	levels, payees := 0, 0
	for i := range t.Outs {
		o := &t.Outs[i]
		if !o.payee() {
			continue
		}
		payees++
		if o.Value != v && o.Value%v == 0 {
			if q := o.Value / v; q&(q-1) == 0 && q <= 1<<wasabi1Levels {
				levels++
			}
		}
	}
	if payees-n-levels > n+1 {
		return false
	}
	return distinctInputs(t, wasabi1MinInputs) >= wasabi1MinInputs
}

// wasabi2: enough inputs, native SegWit or Taproot only, and mostly
// standard denominations among the outputs.
func wasabi2(t *Tx) bool {
	for i := range t.Ins {
		if c := t.Ins[i].Class; c != btcscript.P2WPKH && c != btcscript.P2TR {
			return false
		}
	}
	std, odd := 0, 0
	for i := range t.Outs {
		o := &t.Outs[i]
		if o.Class != btcscript.P2WPKH && o.Class != btcscript.P2TR {
			return false
		}
		if o.Value < wasabi2MinOut {
			continue
		}
		if decimalDenom(o.Value) {
			std++
		} else if binaryDenom(o.Value) || ternaryDenom(o.Value) {
			std++
			odd++
		}
	}
	return odd >= wasabi2MinOdd && std*100 >= len(t.Outs)*wasabi2StdShare
}

// decimalDenom: 1, 2 or 5 times a power of ten.
func decimalDenom(v uint64) bool {
	for v >= 10 && v%10 == 0 {
		v /= 10
	}
	return v == 1 || v == 2 || v == 5
}

// binaryDenom: a power of two.
func binaryDenom(v uint64) bool { return v != 0 && v&(v-1) == 0 }

// ternaryDenom: a power of three or twice one.
func ternaryDenom(v uint64) bool {
	if v%2 == 0 {
		v /= 2
	}
	for v >= 3 && v%3 == 0 {
		v /= 3
	}
	return v == 1
}

// equalOutputs is the equal-output rule: n >= minEqual outputs of value v
// to n distinct addresses, at least n inputs from n distinct addresses, at
// most one more output per participant (its change) and, for Generic, one
// more (a coordinator's fee). No input may be larger than an equal output,
// the largest other output and the fee together (Dumplings' test: such an
// input could not belong to any one participant), and the inputs must split
// into n participants who each pay one equal output and at most one change
// (BlockSci's test). JoinMarket has no coordinator output.
func equalOutputs(t *Tx, v uint64, n int) Kind {
	payees := 0
	var other uint64
	for i := range t.Outs {
		o := &t.Outs[i]
		if !o.payee() {
			continue
		}
		payees++
		if o.Value != v {
			other = max(other, o.Value)
		}
	}
	if len(t.Ins) < n || payees > 2*n+1 {
		return None
	}
	var in, out uint64
	for i := range t.Ins {
		in += t.Ins[i].Value
	}
	for i := range t.Outs {
		out += t.Outs[i].Value
	}
	if in < out {
		return None // inconsistent input values: no judgement
	}
	limit := v + other + (in - out) + v/100
	for i := range t.Ins {
		if t.Ins[i].Value > limit {
			return None
		}
	}
	if distinctInputs(t, n) < n || !distinctEqualOutputs(t, v) {
		return None
	}
	extra := max(0, payees-2*n) // a coordinator fee output, if any
	if !fundable(t, v, n, extra) {
		return None
	}
	if extra == 0 {
		return JoinMarket
	}
	return Generic
}

// fundable reports whether the inputs of t can be dealt to n participants
// so that each covers one output of value v plus at most one other output
// (its change), less a slack of 2% of v for the fees a JoinMarket maker
// earns. With extra = 1 the smallest other output is the coordinator's fee
// and is left out. It is a bounded search: on more than maxFill inputs,
// outputs or participants, or past fillBudget steps, it answers true.
func fundable(t *Tx, v uint64, n, extra int) bool {
	if len(t.Ins) > maxFill || len(t.Outs) > maxFill || n > maxFill {
		return true
	}
	var f fill
	var changes [maxFill]uint64
	k := 0
	for i := range t.Outs {
		if o := &t.Outs[i]; o.payee() && o.Value != v {
			changes[k] = o.Value
			k++
		}
	}
	slices.Sort(changes[:k])
	k -= min(extra, k) // drop the smallest: the coordinator's fee
	if k > n {
		return false // more changes than participants
	}
	slack := v / 50
	var need uint64
	for b := range n {
		g := v
		if b < k {
			g += changes[k-1-b]
		}
		f.need[b] = g - min(g, slack)
		need += f.need[b]
	}
	for i := range t.Ins {
		f.ins[i] = t.Ins[i].Value
		f.left += f.ins[i]
	}
	if f.left < need {
		return false
	}
	f.nIn, f.nB, f.budget = len(t.Ins), n, fillBudget
	slices.SortFunc(f.ins[:f.nIn], func(a, b uint64) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return f.solve(0)
}

const (
	maxFill    = 64
	fillBudget = 4096
)

// fill is the state of fundable's search: the inputs, largest first, and
// what each participant still needs.
type fill struct {
	ins    [maxFill]uint64
	need   [maxFill]uint64
	nIn    int
	nB     int
	left   uint64 // sum of the inputs from the current one on
	budget int
}

// solve deals input i and the ones after it.
func (f *fill) solve(i int) bool {
	var need uint64
	for b := range f.nB {
		need += f.need[b]
	}
	if need == 0 {
		return true
	}
	if i == f.nIn || f.left < need {
		return false
	}
	if f.budget--; f.budget < 0 {
		return true // undecided: do not rule the transaction out
	}
	x := f.ins[i]
	f.left -= x
	ok := f.deal(i, x)
	f.left += x
	return ok
}

// deal gives input i, of value x, to each participant in turn.
func (f *fill) deal(i int, x uint64) bool {
	full := false
	for b := range f.nB {
		nb := f.need[b]
		if nb == 0 {
			if full {
				continue // one full participant is as good as another
			}
			full = true
		} else if b > 0 && slices.Contains(f.need[:b], nb) {
			continue // so is one that needs the same
		}
		f.need[b] = nb - min(nb, x)
		ok := f.solve(i + 1)
		f.need[b] = nb
		if ok {
			return true
		}
	}
	return false
}

// distinctInputs counts the distinct input addresses of t, stopping at
// want (at most 64); 0 (unknown) counts as distinct.
func distinctInputs(t *Tx, want int) int {
	var seen [64]uint32
	want = min(want, len(seen))
	n := 0
	for i := range t.Ins {
		a := t.Ins[i].Addr
		if a != 0 && slices.Contains(seen[:min(n, len(seen))], a) {
			continue
		}
		if n < len(seen) {
			seen[n] = a
		}
		n++
		if n >= want {
			break
		}
	}
	return n
}

// distinctEqualOutputs reports whether no two outputs of value v pay the
// same address (a participant gets one of them each).
func distinctEqualOutputs(t *Tx, v uint64) bool {
	var seen [64]uint32
	n := 0
	for i := range t.Outs {
		o := &t.Outs[i]
		if o.Value != v || o.Addr == 0 {
			continue
		}
		if slices.Contains(seen[:n], o.Addr) {
			return false
		}
		if n < len(seen) {
			seen[n] = o.Addr
			n++
		}
	}
	return true
}

// heavy returns the value that more than a third of the paying outputs
// with lo <= value <= hi carry, and how many carry it (of two such values,
// the more frequent, then the larger); 0, 0 if none does. It is the
// Misra-Gries summary with two counters, then an exact count: no buffer,
// no sort. The equal-output rules need a value on at least a third of the
// outputs (n equal, at most n+1 others), so this finds every one they can
// accept. band counts, on the way, the paying outputs in Wasabi 1's band.
func heavy(outs []Out, lo, hi uint64) (uint64, int, int) {
	var c1, c2 uint64
	n1, n2, band := 0, 0, 0
	for i := range outs {
		o := &outs[i]
		v := o.Value
		if v < lo || v > hi || !o.payee() {
			continue
		}
		if v-(wasabi1Base-wasabi1Spread) <= 2*wasabi1Spread {
			band++
		}
		switch {
		case n1 > 0 && v == c1:
			n1++
		case n2 > 0 && v == c2:
			n2++
		case n1 == 0:
			c1, n1 = v, 1
		case n2 == 0:
			c2, n2 = v, 1
		default:
			n1--
			n2--
		}
	}
	if n1 == 0 && n2 == 0 {
		return 0, 0, band
	}
	n1, n2 = 0, 0
	m := 0
	for i := range outs {
		o := &outs[i]
		v := o.Value
		if v < lo || v > hi || !o.payee() {
			continue
		}
		m++
		if v == c1 {
			n1++
		} else if v == c2 {
			n2++
		}
	}
	if n2 > n1 || (n2 == n1 && c2 > c1) {
		c1, n1 = c2, n2
	}
	if 3*n1 <= m {
		return 0, 0, band
	}
	return c1, n1, band
}

// Stonewall reports whether t has Stonewall's shape: not a coinbase, at
// least two inputs, four paying outputs of which exactly two are equal, and
// the inputs can be split into two sets that each cover one equal output
// and one of the other two. Transactions with more than stonewallMaxIn
// inputs are not examined (Stonewall picks a few coins per side).
func Stonewall(t *Tx) bool {
	if t.Coinbase || len(t.Ins) < 2 || len(t.Ins) > stonewallMaxIn || len(t.Outs) != 4 {
		return false
	}
	var val [4]uint64
	for i := range t.Outs {
		if !t.Outs[i].payee() {
			return false
		}
		val[i] = t.Outs[i].Value
	}
	pair := 0
	var v, c1, c2 uint64
	for i := 0; i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			if val[i] == val[j] {
				pair++
				v = val[i]
				k := 0
				for x := 0; x < 4; x++ {
					if x != i && x != j {
						if k == 0 {
							c1 = val[x]
						} else {
							c2 = val[x]
						}
						k++
					}
				}
			}
		}
	}
	if pair != 1 || c1 == c2 {
		return false
	}
	var total uint64
	for i := range t.Ins {
		total += t.Ins[i].Value
	}
	// Input 0 is in set A; try every other split.
	n := len(t.Ins)
	for mask := uint32(1); mask < 1<<n-1; mask += 2 {
		var a uint64
		for i := range n {
			if mask&(1<<i) != 0 {
				a += t.Ins[i].Value
			}
		}
		b := total - a
		if (a >= v+c1 && b >= v+c2) || (a >= v+c2 && b >= v+c1) {
			return true
		}
	}
	return false
}

const stonewallMaxIn = 12
