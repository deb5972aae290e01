package btcsim

// The background economy: what every block holds besides the attacker.

func (s *sim) activity() {
	s.feeRate = min(max(s.feeRate+s.r.between(-3, 3), 1), 60)
	target := s.o.TxsPerBlock * int(70+s.r.intn(61)) / 100
	budget := int(s.o.Txs - s.totalTxs - 1) // room left, the coinbase aside
	s.minerPayouts()
	for x := range s.exch {
		if (s.height+x)%2 == 0 {
			s.withdraw(x)
		}
		if (s.height+x)%3 == 0 {
			s.sweep(x)
		}
	}
	for i := range s.otc {
		if (s.height+i)%3 == 0 {
			s.otcPayout(s.otc[i])
		}
	}
	s.coinjoins()
	s.att.step(s)
	for fails := 0; len(s.txs)-1 < min(target, budget) && fails < 20; {
		if !s.payment() {
			fails++
		}
	}
}

// splitAmount divides total into n random positive parts of at least least.
func (s *sim) splitAmount(total int64, n int, least int64) []int64 {
	parts := make([]int64, n)
	if total < int64(n)*least {
		return nil
	}
	spare := total - int64(n)*least
	w := make([]int64, n)
	var sum int64
	for i := range w {
		w[i] = 1 + s.r.between(0, 1000)
		sum += w[i]
	}
	var used int64
	for i := range parts {
		parts[i] = least + spare*w[i]/sum
		used += parts[i]
	}
	parts[n-1] += total - used
	return parts
}

// roundish rounds some amounts to a "nice" number, as people pay.
func (s *sim) roundish(v int64) int64 {
	switch s.r.intn(10) {
	case 0, 1:
		if v > 1_000_000 {
			return v / 1_000_000 * 1_000_000
		}
	case 2, 3:
		if v > 100_000 {
			return v / 100_000 * 100_000
		}
	}
	return v
}

// finish adds change (if worth it) and builds; it returns false, building
// nothing, if the inputs cannot pay outs and the fee.
func (s *sim) finish(ins []utxo, outs []out, change out, role string) bool {
	var vin, vout int64
	for _, u := range ins {
		vin += u.value
	}
	for _, o := range outs {
		vout += o.value
	}
	fee := s.fee(ins, append(outs, change))
	change.value = vin - vout - fee
	if change.value >= dust {
		outs = append(outs, change)
		shuffle(s.r, outs)
	} else if vin-vout < fee/2 || vin < vout {
		return false
	}
	if len(outs) == 0 {
		return false
	}
	s.build(ins, outs, role)
	return true
}

func (s *sim) giveBack(e int32, ins []utxo) {
	for _, u := range ins {
		s.addToWallet(e, u)
	}
}

// payment is the bread and butter: a user pays another user, an exchange
// deposit or an OTC desk, with change; users with many coins consolidate.
func (s *sim) payment() bool {
	if len(s.funded) == 0 {
		return false
	}
	e := s.funded[s.r.intn(len(s.funded))]
	en := &s.ents[e]
	n := 1
	switch w := len(en.wallet); {
	case w > 12:
		n = min(w, 8+s.r.intn(20))
	case w > 3 && s.r.chance(0.4):
		n = 2 + s.r.intn(2)
	}
	ins := make([]utxo, 0, n)
	var vin int64
	for i := 0; i < n; i++ {
		u := s.takeUTXO(e, s.r.intn(len(s.ents[e].wallet)))
		ins = append(ins, u)
		vin += u.value
	}
	en = &s.ents[e]
	change := s.toUser(e, 0)
	if n >= 8 { // consolidation into one own output
		fee := s.fee(ins, []out{change})
		change.value = vin - fee
		if change.value < dust {
			s.giveBack(e, ins)
			return false
		}
		s.build(ins, []out{change}, roleNone)
		return true
	}
	var outs []out
	avail := vin - 3000*s.feeRate
	if avail < minPayment*2 {
		s.giveBack(e, ins)
		return false
	}
	recipients := 1
	if s.r.chance(0.05) {
		recipients = 3 + s.r.intn(6)
	}
	for i := 0; i < recipients; i++ {
		amt := s.roundish(int64(float64(avail/int64(recipients)) * (0.05 + 0.9*s.r.float())))
		if amt < minPayment {
			amt = minPayment
		}
		switch x := s.r.intn(100); {
		case x < 65:
			to := s.users[s.r.intn(len(s.users))]
			if to == e {
				to = s.users[(int(to)+1)%len(s.users)]
			}
			outs = append(outs, s.toUser(to, amt))
		case x < 97:
			outs = append(outs, s.depositOut(int(en.home), int64(e), false, amt))
		default:
			o := s.otc[s.r.intn(len(s.otc))]
			outs = append(outs, s.toUser(o, amt))
		}
	}
	if !s.finish(ins, outs, change, roleNone) {
		s.giveBack(e, ins)
		return false
	}
	return true
}

func (s *sim) randomUser() int32 { return s.users[s.r.intn(len(s.users))] }

// minerPayouts: a pool pays its miners from each coinbase once it matures.
func (s *sim) minerPayouts() {
	for mi := range s.miners {
		m := &s.miners[mi]
		if len(m.cb) == 0 || s.height-int(m.cb[0].height) < coinbaseMaturity {
			continue
		}
		c := m.cb[0]
		m.cb = m.cb[1:]
		txid := s.waitCoinbase(int(c.height))
		in := []utxo{{txid: txid, value: c.value, key: c.key, vout: 0, height: c.height, typ: s.ents[m.ent].typ}}
		n := 10 + s.r.intn(31)
		fee := s.feeRate * int64(60+35*n)
		parts := s.splitAmount(c.value-fee, n, minPayment)
		for parts == nil && n > 1 {
			n /= 2
			fee = s.feeRate * int64(60+35*n)
			parts = s.splitAmount(c.value-fee, n, minPayment)
		}
		if parts == nil {
			continue // a fee-only coinbase too small to pay out stays unspent
		}
		outs := make([]out, n)
		for i, v := range parts {
			u := s.randomUser()
			if s.r.chance(0.25) {
				outs[i] = s.depositOut(int(s.ents[u].home), int64(u), false, v)
			} else {
				outs[i] = s.toUser(u, v)
			}
		}
		s.build(in, outs, roleNone)
	}
}

// withdraw: an exchange pays a batch of customer withdrawals from its hot
// wallet, with change back to the hot wallet.
func (s *sim) withdraw(x int) {
	ex := &s.exch[x]
	w := s.ents[ex.ent].wallet
	if len(w) == 0 {
		return
	}
	hot := balance(w)
	if hot < 20*minPayment {
		return
	}
	n := 3 + s.r.intn(23)
	budget := hot * (5 + s.r.between(0, 20)) / 100
	parts := s.splitAmount(budget, n, minPayment)
	if parts == nil {
		return
	}
	outs := make([]out, n)
	for i, v := range parts {
		u := s.randomUser()
		v = s.roundish(v)
		if s.r.chance(0.1) {
			outs[i] = s.depositOut(int(s.ents[u].home), int64(u), false, v)
		} else {
			outs[i] = s.toUser(u, v)
		}
	}
	var need int64
	for _, o := range outs {
		need += o.value
	}
	need += s.feeRate * int64(200+40*n)
	var ins []utxo
	var vin int64
	for vin < need && len(s.ents[ex.ent].wallet) > 0 && len(ins) < 40 {
		u := s.takeUTXO(ex.ent, s.r.intn(len(s.ents[ex.ent].wallet)))
		ins = append(ins, u)
		vin += u.value
	}
	change := s.toUser(ex.ent, 0)
	if vin < need || !s.finish(ins, outs, change, roleNone) {
		s.giveBack(ex.ent, ins)
	}
}

// sweep: an exchange moves the coins on its customers' deposit addresses
// into its hot wallet, many deposits per transaction. A deposit from a mule
// account is never swept alone.
func (s *sim) sweep(x int) {
	ex := &s.exch[x]
	if len(ex.deposits) < 3 {
		return
	}
	n := min(len(ex.deposits), 150)
	others := 0
	for _, d := range ex.deposits[:n] {
		if !d.attacker {
			others++
		}
	}
	if others == 0 {
		return
	}
	ins := make([]utxo, n)
	var vin int64
	for i, d := range ex.deposits[:n] {
		ins[i] = d.u
		vin += d.u.value
	}
	to := s.toUser(ex.ent, 0)
	to.value = vin - s.fee(ins, []out{to})
	if to.value < dust {
		return
	}
	ex.deposits = append(ex.deposits[:0], ex.deposits[n:]...)
	s.build(ins, []out{to}, roleNone)
}

// otcPayout: an OTC desk settles trades on chain, paying users and its own
// accounts at exchanges.
func (s *sim) otcPayout(e int32) {
	w := s.ents[e].wallet
	if len(w) == 0 {
		return
	}
	bal := balance(w)
	n := 2 + s.r.intn(5)
	parts := s.splitAmount(bal*(10+s.r.between(0, 20))/100, n, minPayment)
	if parts == nil {
		return
	}
	outs := make([]out, n)
	var need int64
	for i, v := range parts {
		if s.r.chance(0.4) {
			outs[i] = s.depositOut(s.r.intn(len(s.exch)), int64(1<<40)+int64(e), false, v)
		} else {
			outs[i] = s.toUser(s.randomUser(), v)
		}
		need += v
	}
	need += s.feeRate * 1000
	var ins []utxo
	var vin int64
	for vin < need && len(s.ents[e].wallet) > 0 {
		u := s.takeUTXO(e, s.r.intn(len(s.ents[e].wallet)))
		ins = append(ins, u)
		vin += u.value
	}
	change := s.toUser(e, 0)
	if vin < need || !s.finish(ins, outs, change, roleNone) {
		s.giveBack(e, ins)
	}
}

// findCoin looks among random funded users for one holding a coin of at
// least least; it returns the user and the coin's index.
func (s *sim) findCoin(least int64, tries int, mixerOnly bool, skip map[int32]bool) (int32, int, bool) {
	for t := 0; t < tries && len(s.funded) > 0; t++ {
		e := s.funded[s.r.intn(len(s.funded))]
		en := &s.ents[e]
		if (mixerOnly && !en.mixer) || skip[e] {
			continue
		}
		best, bi := int64(0), -1
		for i, u := range en.wallet {
			if u.value > best {
				best, bi = u.value, i
			}
		}
		if best >= least {
			return e, bi, true
		}
	}
	return 0, 0, false
}
