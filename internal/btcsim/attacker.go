package btcsim

// The attacker: steals from the victim exchange's hot wallet, then follows
// its scenario's playbook as a set of tasks, each waiting for its coins to
// confirm and for its height to come. The playbooks follow what is public
// about DPRK laundering: fan-out into many peel chains whose peels land on
// deposit addresses at other exchanges and OTC desks; CoinJoin hops
// (Whirlpool, Wasabi, JoinMarket) followed by consolidation of the mixed
// coins; and funds left dormant for a long time before they move again.

type taskKind uint8

const (
	tkRoute      taskKind = iota // the loot: split by scenario
	tkPeelSplit                  // fan out into peel chains
	tkPeel                       // one peel-chain hop
	tkCJRoute                    // split among CoinJoins
	tkTx0                        // enter a Whirlpool pool
	tkWhirl                      // one Whirlpool round (mix or remix)
	tkWasabi                     // one Wasabi round
	tkJoinMarket                 // one JoinMarket round as taker
	tkGather                     // consolidate coins, then hand on
	tkDormant                    // consolidate and rest
	tkWake                       // after the rest: peel chains and OTC
	tkCashOut                    // pay deposit addresses directly
)

type task struct {
	kind   taskKind
	at     int
	need   int
	coins  []utxo
	done   bool
	chain  int
	pool   int
	remix  int
	gather int32
	then   taskKind
	tries  int
}

type chainState struct {
	PeelChain
	peel int64
}

type attackerState struct {
	tasks     []task
	addresses []string
	chains    []chainState
	theftAt   int
	deadline  int
	theftDone bool
}

const btc = 100_000_000

func (a *attackerState) init(s *sim) {
	a.theftAt = s.h0 + max(5, s.span(0.12))
	a.deadline = s.h0 + s.span(0.9)
}

func (a *attackerState) newTask(kind taskKind, at, need int) int32 {
	a.tasks = append(a.tasks, task{kind: kind, at: at, need: need, gather: -1})
	return int32(len(a.tasks) - 1)
}

// out pays value to a new attacker address whose coin goes to task.
func (a *attackerState) out(s *sim, value int64, task int32) out {
	typ := p2wpkh
	switch x := s.r.intn(10); {
	case x < 2:
		typ = p2shP2wpkh
	case x < 3:
		typ = p2pkh
	}
	return out{value: value, typ: typ, owner: s.attacker, d: dest{kind: toTask, a: task}}
}

// cashOutDest is a deposit address of one of the attacker's mule accounts
// at an exchange other than the victim, or an OTC desk.
func (a *attackerState) cashOutDest(s *sim, value int64) out {
	if s.r.chance(0.3) {
		return s.toUser(s.otc[s.r.intn(len(s.otc))], value)
	}
	x := 1 + s.r.intn(len(s.exch)-1)
	return s.depositOut(x, int64(1)<<41+int64(s.r.intn(6)), true, value)
}

func (a *attackerState) later(s *sim, f float64) int { return s.height + 1 + s.r.intn(s.span(f)) }

// countPending counts the outputs of this block that go to task t.
func (a *attackerState) countPending(s *sim, t int32) int {
	n := 0
	for _, p := range s.pending {
		if p.d.kind == toTask && p.d.a == t {
			n++
		}
	}
	return n
}

func (a *attackerState) step(s *sim) {
	if !a.theftDone && s.height >= a.theftAt {
		a.theft(s)
	}
	for i := 0; i < len(a.tasks); i++ {
		t := &a.tasks[i]
		if t.done || t.at > s.height || t.need == 0 || len(t.coins) < t.need {
			continue
		}
		a.run(s, int32(i))
	}
}

// theft drains most of the victim's hot wallet in one or more transactions.
func (a *attackerState) theft(s *sim) {
	ex := &s.exch[0]
	w := s.ents[ex.ent].wallet
	bal := balance(w)
	if len(w) == 0 || (bal < 20*btc && s.height < a.theftAt+s.span(0.1)) {
		return // wait for a fuller wallet
	}
	a.theftDone = true
	var ins []utxo
	var taken int64
	for taken < bal*8/10 && len(s.ents[ex.ent].wallet) > 0 {
		u := s.takeUTXO(ex.ent, s.r.intn(len(s.ents[ex.ent].wallet)))
		ins = append(ins, u)
		taken += u.value
	}
	n := min(len(ins), 3)
	route := a.newTask(tkRoute, a.later(s, 0.01), n)
	victim := s.ents[ex.ent].id
	for g := 0; g < n; g++ {
		var group []utxo
		for i := g; i < len(ins); i += n {
			group = append(group, ins[i])
		}
		o := a.out(s, 0, route)
		var vin int64
		for _, u := range group {
			vin += u.value
		}
		o.value = vin - s.fee(group, []out{o})
		txid := s.build(group, []out{o}, "theft")
		p := &s.pending[len(s.pending)-1]
		p.u.taint = s.allocTaint(o.value)
		s.truth.Thefts = append(s.truth.Thefts, Theft{Txid: txid.String(), Height: s.height, Victim: victim,
			Outpoints: []Outpoint{{Txid: txid.String(), Vout: 0, Value: o.value}}, Amount: o.value})
		s.truth.StolenSats += o.value
	}
}

// split spends coins into outputs weighted by weights, each to its task.
func (a *attackerState) split(s *sim, coins []utxo, weights []int64, tasks []int32, role string) {
	outs := make([]out, len(weights))
	var vin, wsum int64
	for _, u := range coins {
		vin += u.value
	}
	for i := range weights {
		outs[i] = a.out(s, 0, tasks[i])
		wsum += weights[i]
	}
	avail := vin - s.fee(coins, outs)
	var used int64
	for i := range outs {
		outs[i].value = avail * weights[i] / wsum
		used += outs[i].value
	}
	outs[len(outs)-1].value += avail - used
	shuffle(s.r, outs)
	s.build(coins, outs, role)
}

func (a *attackerState) run(s *sim, i int32) {
	t := &a.tasks[i]
	coins := t.coins
	switch t.kind {
	case tkRoute:
		switch s.o.Scenario {
		case ScenarioPeel:
			a.peelSplit(s, coins)
		case ScenarioCoinJoin:
			a.cjRoute(s, coins)
		case ScenarioDormant:
			a.dormant(s, coins)
		default:
			ps := a.newTask(tkPeelSplit, a.later(s, 0.01), 1)
			cj := a.newTask(tkCJRoute, a.later(s, 0.01), 1)
			dm := a.newTask(tkDormant, a.later(s, 0.01), 1)
			a.split(s, coins, []int64{40, 35, 25}, []int32{ps, cj, dm}, "split")
		}
	case tkPeelSplit:
		a.peelSplit(s, coins)
	case tkCJRoute:
		a.cjRoute(s, coins)
	case tkDormant:
		a.dormant(s, coins)
	case tkPeel:
		a.peelHop(s, i)
		return
	case tkTx0:
		a.tx0(s, i)
		return
	case tkWhirl:
		a.whirl(s, i)
		return
	case tkWasabi:
		a.wasabi(s, i)
		return
	case tkJoinMarket:
		a.joinMarket(s, i)
		return
	case tkGather:
		next := a.newTask(t.then, a.later(s, 0.02), 1)
		a.split(s, coins, []int64{1}, []int32{next}, "consolidate")
	case tkWake:
		a.wake(s, coins)
	case tkCashOut:
		a.cashOut(s, coins)
	}
	t = &a.tasks[i]
	t.done, t.coins = true, nil
}

func (a *attackerState) newChain() int {
	a.chains = append(a.chains, chainState{})
	return len(a.chains) - 1
}

func (a *attackerState) peelTask(s *sim, f float64) int32 {
	ti := a.newTask(tkPeel, a.later(s, f), 1)
	a.tasks[ti].chain = a.newChain()
	return ti
}

// peelSplit fans coins out into several peel chains of unequal size.
func (a *attackerState) peelSplit(s *sim, coins []utxo) {
	var vin int64
	for _, u := range coins {
		vin += u.value
	}
	k := int(min(max(vin/(8*btc), 2), 10)) + s.r.intn(3)
	weights := make([]int64, k)
	tasks := make([]int32, k)
	for j := range weights {
		weights[j] = 500 + s.r.between(0, 1000)
		tasks[j] = a.peelTask(s, 0.02)
	}
	a.split(s, coins, weights, tasks, "split")
}

// peelHop peels a small amount off to a cash-out and passes the rest on to
// a new address, or ends the chain by cashing out what is left.
func (a *attackerState) peelHop(s *sim, i int32) {
	t := &a.tasks[i]
	c := t.coins[0]
	ch := &a.chains[t.chain]
	if ch.peel == 0 {
		ch.peel = max(c.value/int64(8+s.r.intn(20)), 2*minPayment)
	}
	peel := ch.peel * (70 + s.r.between(0, 60)) / 100
	if peel > 1_000_000 {
		peel = peel / 100_000 * 100_000 // DPRK peels are often round amounts
	}
	peelOut := a.cashOutDest(s, peel)
	rest := a.out(s, 0, -1)
	fee := s.fee([]utxo{c}, []out{peelOut, rest})
	rest.value = c.value - peel - fee
	chain := t.chain
	if rest.value < 2*ch.peel || s.height >= a.deadline || len(ch.Txids) >= 60 {
		end := a.cashOutDest(s, 0)
		end.value = c.value - s.fee([]utxo{c}, []out{end})
		txid := s.build([]utxo{c}, []out{end}, "peel-end")
		a.chains[chain].End = txid.String()
		t.done, t.coins = true, nil
		return
	}
	// The chain goes on in this same task.
	rest.d.a = i
	outs := []out{peelOut, rest}
	shuffle(s.r, outs)
	txid := s.build([]utxo{c}, outs, "peel")
	ch.Txids = append(ch.Txids, txid.String())
	t.coins = t.coins[:0]
	t.at = a.later(s, 0.006)
}

// cjRoute splits coins among Whirlpool, Wasabi and JoinMarket.
func (a *attackerState) cjRoute(s *sim, coins []utxo) {
	w1 := a.newTask(tkTx0, a.later(s, 0.01), 1)
	w2 := a.newTask(tkTx0, a.later(s, 0.01), 1)
	ws := a.newTask(tkWasabi, a.later(s, 0.02), 3)
	jm := a.newTask(tkJoinMarket, a.later(s, 0.02), 1)
	a.split(s, coins, []int64{25, 25, 10, 10, 10, 20}, []int32{w1, w2, ws, ws, ws, jm}, "split")
}

// tx0 enters the largest Whirlpool pool the coin allows; premix outputs
// each go through one to three rounds, then all are consolidated; the
// toxic change is peeled.
func (a *attackerState) tx0(s *sim, i int32) {
	c := a.tasks[i].coins[0]
	extra := 300 + s.r.between(0, 2700)
	p := -1
	for j := len(s.pools) - 1; j >= 0; j-- {
		if c.value >= 3*(s.pools[j].denom+extra)+s.pools[j].poolFee+200_000 {
			p = j
			break
		}
	}
	if p < 0 {
		a.tasks[i].kind = tkCashOut
		a.run(s, i)
		return
	}
	g := a.newTask(tkGather, 0, 0)
	a.tasks[g].then = tkPeelSplit
	change := a.newTask(tkPeelSplit, a.later(s, 0.02), 1)
	n := 0
	part := &cjPart{owner: s.attacker, ins: []utxo{c}, attacker: true, task: change}
	ok := s.tx0(p, part, extra, 10, "tx0", func() int32 {
		n++
		w := a.newTask(tkWhirl, a.later(s, 0.005), 1)
		a.tasks[w].pool, a.tasks[w].remix, a.tasks[w].gather = p, s.r.intn(3), g
		return w
	})
	if !ok {
		a.tasks[i].kind = tkCashOut
		a.run(s, i)
		return
	}
	a.tasks[g].need = n
	a.tasks[i].done, a.tasks[i].coins = true, nil
}

// whirl puts the coin through one round; a remix stays in this task.
func (a *attackerState) whirl(s *sim, i int32) {
	t := &a.tasks[i]
	target := t.gather
	if t.remix > 0 {
		target = i
	}
	part := &cjPart{owner: s.attacker, ins: []utxo{t.coins[0]}, attacker: true, task: target}
	if !s.whirlRound(t.pool, part) {
		s.pools[t.pool].wanted = true
		t.at = s.height + 1
		return
	}
	t = &a.tasks[i]
	if t.remix > 0 {
		t.remix--
		t.coins = t.coins[:0]
		t.at = a.later(s, 0.005)
		return
	}
	t.done, t.coins = true, nil
}

func (a *attackerState) gatherFor(i int32, then taskKind) int32 {
	if a.tasks[i].gather < 0 {
		g := a.newTask(tkGather, 0, 0)
		a.tasks[g].then = then
		a.tasks[i].gather = g
	}
	return a.tasks[i].gather
}

func (a *attackerState) wasabi(s *sim, i int32) {
	g := a.gatherFor(i, tkPeelSplit)
	t := &a.tasks[i]
	part := &cjPart{owner: s.attacker, ins: t.coins, attacker: true, task: g}
	if !s.wasabiRound(part) {
		t.at = s.height + 1
		return
	}
	a.tasks[g].need = a.countPending(s, g)
	a.tasks[g].at = a.later(s, 0.01)
	a.tasks[i].done, a.tasks[i].coins = true, nil
}

func (a *attackerState) joinMarket(s *sim, i int32) {
	g := a.gatherFor(i, tkCashOut)
	t := &a.tasks[i]
	c := t.coins[0]
	t.tries++
	amount := min(c.value/2, 2*btc) >> min(t.tries-1, 6)
	if t.tries > 12 || amount < 1_000_000 {
		t.kind = tkCashOut
		a.run(s, i)
		return
	}
	amount = s.roundish(amount)
	part := &cjPart{owner: s.attacker, ins: []utxo{c}, attacker: true, task: g}
	if !s.joinMarket(part, amount) {
		t.at = s.height + 1
		return
	}
	a.tasks[g].need = a.countPending(s, g)
	a.tasks[g].at = a.later(s, 0.01)
	a.tasks[i].done, a.tasks[i].coins = true, nil
}

// dormant consolidates and lets the coins rest for a long time.
func (a *attackerState) dormant(s *sim, coins []utxo) {
	wake := a.newTask(tkWake, s.height+s.span(0.35), 1)
	a.split(s, coins, []int64{1}, []int32{wake}, "dormant")
}

// wake moves dormant coins: several peel chains plus OTC cash-outs.
func (a *attackerState) wake(s *sim, coins []utxo) {
	k := 3 + s.r.intn(3)
	weights := make([]int64, k)
	tasks := make([]int32, k)
	for j := range weights {
		weights[j] = 500 + s.r.between(0, 1000)
		if j < k-1 {
			tasks[j] = a.peelTask(s, 0.01)
		} else {
			tasks[j] = a.newTask(tkCashOut, a.later(s, 0.01), 1)
		}
	}
	a.split(s, coins, weights, tasks, "split")
}

// cashOut pays a coin out to a few deposit addresses at once.
func (a *attackerState) cashOut(s *sim, coins []utxo) {
	var vin int64
	for _, u := range coins {
		vin += u.value
	}
	n := 1
	if vin > 10*minPayment {
		n = 2 + s.r.intn(3)
	}
	outs := make([]out, n)
	for j := range outs {
		outs[j] = a.cashOutDest(s, 0)
	}
	parts := s.splitAmount(vin-s.fee(coins, outs), n, minPayment)
	if parts == nil {
		outs = outs[:1]
		parts = []int64{vin - s.fee(coins, outs)}
	}
	for j := range outs {
		outs[j].value = parts[j]
	}
	s.build(coins, outs, "cash-out")
}
