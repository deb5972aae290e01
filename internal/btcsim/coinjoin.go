package btcsim

// CoinJoins: Whirlpool (Tx0 then 5-in/5-out rounds of one pool
// denomination), Wasabi 1.x (many 0.1 BTC outputs plus change) and
// JoinMarket (a taker and makers, equal outputs plus the makers' change).

const (
	whirlpoolMix   = 5
	wasabiDenom    = 10_000_000 // 0.1 BTC
	wasabiFeeMille = 3          // coordinator fee, per mille of the mixed amount
)

// cjPart is a CoinJoin participant: its coins and where its outputs go.
type cjPart struct {
	owner    int32
	ins      []utxo
	attacker bool
	task     int32 // attacker outputs go to this task
}

func (s *sim) partOut(p *cjPart, value int64, typ scriptType) out {
	if p.attacker {
		return s.att.out(s, value, p.task)
	}
	return freshTo(p.owner, typ, value, dest{kind: toWallet, a: p.owner})
}

func (s *sim) coinjoins() {
	for p := range s.pools {
		pl := &s.pools[p]
		owners := map[int32]bool{}
		for _, c := range pl.q {
			owners[c.owner] = true
		}
		tx0s := 0
		if len(owners) < 8 && s.r.chance(0.5) {
			tx0s = 1
		}
		if pl.wanted {
			tx0s = 3
			pl.wanted = false
		}
		for i := 0; i < tx0s; i++ {
			s.userTx0(p)
		}
		if s.r.chance(0.5) {
			s.whirlRound(p, nil)
		}
	}
	if every := max(3, s.active/150); s.height%every == 0 {
		s.wasabiRound(nil)
	}
	if s.r.chance(0.2) {
		s.joinMarket(nil, 0)
	}
}

// userTx0: a background user enters a Whirlpool pool.
func (s *sim) userTx0(p int) {
	pl := &s.pools[p]
	extra := 300 + s.r.between(0, 2700)
	least := 2*(pl.denom+extra) + pl.poolFee + 50_000
	e, i, ok := s.findCoin(least, 30, true, nil)
	if !ok {
		e, i, ok = s.findCoin(least, 30, false, nil)
	}
	if !ok {
		return
	}
	in := s.takeUTXO(e, i)
	part := &cjPart{owner: e, ins: []utxo{in}}
	if !s.tx0(p, part, extra, 1+s.r.intn(5), roleNone, nil) {
		s.giveBack(e, part.ins)
	}
}

// tx0 splits a participant's coins into premix outputs of pool p (denom +
// extra each, the extra paying the mixes' miner fees), the coordinator's
// pool fee and change. premixTask, for the attacker, names the task of each
// premix output in turn.
func (s *sim) tx0(p int, part *cjPart, extra int64, maxN int, role string, premixTask func() int32) bool {
	pl := &s.pools[p]
	var vin int64
	for _, u := range part.ins {
		vin += u.value
	}
	feeGuess := s.feeRate * int64(150+31*(maxN+2))
	n := int((vin - pl.poolFee - feeGuess) / (pl.denom + extra))
	n = min(n, maxN)
	if n < 1 {
		return false
	}
	outs := make([]out, 0, n+2)
	for i := 0; i < n; i++ {
		if part.attacker {
			outs = append(outs, s.att.out(s, pl.denom+extra, premixTask()))
		} else {
			outs = append(outs, freshTo(part.owner, p2wpkh, pl.denom+extra, dest{kind: toPremix, a: int32(p), b: part.owner}))
		}
	}
	outs = append(outs, freshTo(s.whirlCo, p2wpkh, pl.poolFee, dest{kind: toNowhere}))
	var change out
	if part.attacker {
		change = s.att.out(s, 0, part.task)
	} else {
		change = freshTo(part.owner, s.ents[part.owner].typ, 0, dest{kind: toWallet, a: part.owner})
	}
	return s.finish(part.ins, outs, change, role)
}

// whirlRound mixes five coins of pool p into five outputs of exactly the
// denomination. att, if set, is the attacker's coin; the other inputs come
// from the pool's queue, one per owner, at least one a fresh premix (whose
// extra pays the fee). It reports whether a round happened.
func (s *sim) whirlRound(p int, att *cjPart) bool {
	pl := &s.pools[p]
	need := whirlpoolMix
	premix := 0
	if att != nil {
		need--
		if att.ins[0].value > pl.denom {
			premix++
		}
	}
	var picked []int
	owners := map[int32]bool{}
	for i, c := range pl.q {
		if len(picked) == need {
			break
		}
		if owners[c.owner] {
			continue
		}
		if len(picked) == need-1 && premix == 0 && !c.premix {
			continue
		}
		owners[c.owner] = true
		picked = append(picked, i)
		if c.premix {
			premix++
		}
	}
	if len(picked) < need || premix == 0 {
		return false
	}
	parts := make([]*cjPart, 0, whirlpoolMix)
	var ins []utxo
	for _, i := range picked {
		c := pl.q[i]
		ins = append(ins, c.u)
		parts = append(parts, &cjPart{owner: c.owner})
	}
	// Remove the picked coins, keeping the queue's order.
	q := pl.q[:0]
	for i, j := 0, 0; i < len(pl.q); i++ {
		if j < len(picked) && picked[j] == i {
			j++
			continue
		}
		q = append(q, pl.q[i])
	}
	pl.q = q
	role := roleNone
	if att != nil {
		ins = append(ins, att.ins[0])
		parts = append(parts, att)
		role = "whirlpool"
	}
	outs := make([]out, 0, whirlpoolMix)
	for _, part := range parts {
		switch {
		case part.attacker:
			outs = append(outs, s.att.out(s, pl.denom, part.task))
		case s.r.chance(0.6): // stays in the pool to remix for free
			outs = append(outs, freshTo(part.owner, p2wpkh, pl.denom, dest{kind: toPostmix, a: int32(p), b: part.owner}))
		default:
			outs = append(outs, s.partOut(part, pl.denom, p2wpkh))
		}
	}
	shuffle(s.r, ins)
	shuffle(s.r, outs)
	txid := s.build(ins, outs, role)
	s.truth.CoinJoins = append(s.truth.CoinJoins, CoinJoin{Txid: txid.String(), Height: s.height, Kind: "whirlpool", Attacker: att != nil})
	return true
}

// wasabiRound is a Wasabi 1.x style round: every participant gets as many
// 0.1 BTC outputs as its coins allow (a few, or up to 30 for the attacker)
// and change; the coordinator takes a fee on the mixed amount.
func (s *sim) wasabiRound(att *cjPart) bool {
	var parts []*cjPart
	skip := map[int32]bool{}
	want := 8 + s.r.intn(30)
	for t := 0; t < want*3 && len(parts) < want; t++ {
		e, i, ok := s.findCoin(wasabiDenom+200_000, 1, false, skip)
		if !ok {
			continue
		}
		skip[e] = true
		parts = append(parts, &cjPart{owner: e, ins: []utxo{s.takeUTXO(e, i)}})
	}
	if att != nil {
		parts = append(parts, att)
	}
	giveBack := func() {
		for _, p := range parts {
			if !p.attacker {
				s.giveBack(p.owner, p.ins)
			}
		}
	}
	if len(parts) < 5 {
		giveBack()
		return false
	}
	var ins []utxo
	var outs []out
	var coordFee int64
	for _, p := range parts {
		var v int64
		for _, u := range p.ins {
			v += u.value
			ins = append(ins, u)
		}
		maxK := int64(1 + s.r.intn(3))
		if p.attacker {
			maxK = 30
		}
		minerFee := s.feeRate * int64(70*len(p.ins)+31*int(maxK+1))
		k := min((v-minerFee)/(wasabiDenom+wasabiDenom*wasabiFeeMille/1000), maxK)
		if k < 1 {
			k = 0
		}
		cf := k * wasabiDenom * wasabiFeeMille / 1000
		coordFee += cf
		for j := int64(0); j < k; j++ {
			outs = append(outs, s.partOut(p, wasabiDenom, p2wpkh))
		}
		if change := v - k*wasabiDenom - cf - minerFee; change >= dust {
			outs = append(outs, s.partOut(p, change, p2wpkh))
		}
	}
	outs = append(outs, out{value: coordFee, typ: p2wpkh, owner: s.wasabiCo, d: dest{kind: toNowhere}})
	shuffle(s.r, ins)
	shuffle(s.r, outs)
	role := roleNone
	if att != nil {
		role = "wasabi"
	}
	txid := s.build(ins, outs, role)
	s.truth.CoinJoins = append(s.truth.CoinJoins, CoinJoin{Txid: txid.String(), Height: s.height, Kind: "wasabi", Attacker: att != nil})
	return true
}

// joinMarket: a taker (a user, or the attacker) buys a CoinJoin of amount
// from makers, paying them a small fee and the whole miner fee.
func (s *sim) joinMarket(taker *cjPart, amount int64) bool {
	if taker == nil {
		amount = s.roundish(1_000_000 + s.r.between(0, 100_000_000))
		e, i, ok := s.findCoin(amount+500_000, 20, false, nil)
		if !ok {
			return false
		}
		taker = &cjPart{owner: e, ins: []utxo{s.takeUTXO(e, i)}}
	}
	skip := map[int32]bool{}
	if !taker.attacker {
		skip[taker.owner] = true
	}
	var makers []*cjPart
	n := 3 + s.r.intn(6)
	for t := 0; t < n*4 && len(makers) < n; t++ {
		e, i, ok := s.findCoin(amount+100_000, 1, false, skip)
		if !ok {
			continue
		}
		skip[e] = true
		makers = append(makers, &cjPart{owner: e, ins: []utxo{s.takeUTXO(e, i)}})
	}
	giveBack := func() {
		for _, m := range makers {
			s.giveBack(m.owner, m.ins)
		}
		if !taker.attacker {
			s.giveBack(taker.owner, taker.ins)
		}
	}
	if len(makers) < 3 {
		giveBack()
		return false
	}
	var ins []utxo
	var outs []out
	var makerFees int64
	for _, m := range makers {
		mf := 250 + amount/50_000
		makerFees += mf
		ins = append(ins, m.ins...)
		outs = append(outs, s.partOut(m, amount, p2shP2wpkh), s.partOut(m, m.ins[0].value-amount+mf, p2shP2wpkh))
	}
	var vt int64
	for _, u := range taker.ins {
		vt += u.value
	}
	ins = append(ins, taker.ins...)
	outs = append(outs, s.partOut(taker, amount, p2shP2wpkh))
	minerFee := s.feeRate * int64(90*len(ins)+32*(len(outs)+1))
	change := vt - amount - makerFees - minerFee
	if change < 0 {
		giveBack()
		return false
	}
	if change >= dust {
		outs = append(outs, s.partOut(taker, change, p2shP2wpkh))
	}
	shuffle(s.r, ins)
	shuffle(s.r, outs)
	role := roleNone
	if taker.attacker {
		role = "joinmarket"
	}
	txid := s.build(ins, outs, role)
	s.truth.CoinJoins = append(s.truth.CoinJoins, CoinJoin{Txid: txid.String(), Height: s.height, Kind: "joinmarket", Attacker: taker.attacker})
	return true
}
