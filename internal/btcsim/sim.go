package btcsim

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/trawlhq/trawl/internal/errs"
)

// Summary describes a written chain.
type Summary struct {
	Dir        string   `json:"dir"`
	Network    string   `json:"network"`
	Scenario   string   `json:"scenario"`
	Seed       uint64   `json:"seed"`
	Blocks     int      `json:"blocks"`
	Txs        int64    `json:"txs"`
	Files      []string `json:"files"`
	Bytes      int64    `json:"bytes"` // block records written, padding excluded
	TipHash    string   `json:"tip_hash"`
	StolenSats int64    `json:"stolen_sats"`
	CashOuts   int      `json:"cash_outs"`
	PeelChains int      `json:"peel_chains"`
	CoinJoins  int      `json:"coinjoins"`
	Seconds    float64  `json:"seconds"`
}

const (
	coinbaseMaturity = 100
	dust             = 20_000 // change below this is left to the fee
	minPayment       = 50_000
	regtestBits      = 0x207fffff
	genesisTime      = 1_700_000_000
)

// utxo is one spendable output held by some container of the economy. It has
// no pointers, so the garbage collector never scans wallets.
type utxo struct {
	txid   chainhash.Hash
	value  int64
	key    uint64
	vout   uint32
	taint  uint32 // index into sim.taints (stolen satoshis in it); 0 = clean
	height int32
	typ    scriptType
}

type destKind uint8

const (
	toWallet  destKind = iota // a = entity
	toDeposit                 // a = exchange index, b = 1 if an attacker mule account
	toPremix                  // a = pool, b = owner entity
	toPostmix                 // a = pool, b = owner entity
	toTask                    // a = attacker task
	toNowhere                 // never spent (coordinator fees)
)

type dest struct {
	kind destKind
	a, b int32
}

// out is an output to create. Its key is resolved when the transaction is
// built (key 0), so that no address is ever handed out, and reported as
// owned, without appearing on the chain.
type out struct {
	value    int64
	typ      scriptType
	key      uint64
	owner    int32
	fresh    bool  // a new address even if the owner reuses addresses
	customer int64 // for deposits: the exchange's customer
	d        dest
}

type pendingOut struct {
	u utxo
	d dest
}

type entity struct {
	kind   string
	id     string
	name   string
	typ    scriptType
	reuse  bool
	recv   uint64 // fixed receive key, allocated on first use
	wallet []utxo
	fpos   int32 // position in sim.funded, -1 if absent
	mixer  bool
	home   int32 // exchange index the user banks with
}

type depositUTXO struct {
	u        utxo
	attacker bool
}

type exchangeState struct {
	ent      int32
	hot      [2]uint64
	deposits []depositUTXO
	depKeys  map[int64]uint64 // customer -> deposit key
	victim   bool
}

type mixCoin struct {
	u      utxo
	owner  int32
	premix bool
}

type pool struct {
	denom   int64
	poolFee int64
	q       []mixCoin
	wanted  bool // an attacker coin waits for peers
}

type cbCoin struct {
	height int32
	value  int64
	key    uint64
}

type minerState struct {
	ent    int32
	weight int
	cb     []cbCoin
}

type ownerEvent struct {
	typ     scriptType
	key     uint64
	ent     int32
	deposit bool
}

type sim struct {
	ctx  context.Context
	o    Options
	net  *chaincfg.Params
	kr   keyring
	r    *rng // economy choices
	sigR *rng // dummy signature bytes

	ents      []entity
	users     []int32
	funded    []int32
	exch      []exchangeState
	otc       []int32
	miners    []minerState
	pools     []pool
	whirlCo   int32
	wasabiCo  int32
	attacker  int32
	nextKey   uint64
	taints    []int64
	freeTaint []uint32

	pending   []pendingOut
	txs       []*wire.MsgTx
	txids     []chainhash.Hash
	attackTxs int // attacker txs in this block
	height    int
	fees      int64
	feeRate   int64
	totalTxs  int64
	h0        int // first block with activity
	active    int // expected blocks with activity

	cbTxid       []chainhash.Hash // coinbase txid by height, filled by the writer
	waitCoinbase func(height int) chainhash.Hash

	owners    []ownerEvent
	ownerSink chan []ownerEvent

	att   attackerState
	truth Truth
	tb    struct{ cashOuts, otherServices, toFees int64 }
}

// Simulate writes a chain to o.Dir and returns its summary. It streams
// blocks to disk as it makes them; memory holds the economy's unspent
// outputs, not the chain.
func Simulate(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	net, _ := NetParams(o.Network)
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "btcsim: cannot create %s", o.Dir)
	}
	if err := clearOldOutput(o.Dir); err != nil {
		return nil, err
	}
	s := &sim{ctx: ctx, o: o, net: net, kr: keyring{seed: o.Seed, net: net},
		r: newRNG(o.Seed, 1), sigR: newRNG(o.Seed, 2), taints: []int64{0}, nextKey: 1}
	s.setup()
	sum, err := s.run()
	if err != nil {
		return nil, err
	}
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

// clearOldOutput removes the block files and truth of an earlier run so a
// shorter chain does not leave stale files behind.
func clearOldOutput(dir string) error {
	names, err := BlockFiles(dir)
	if err != nil {
		return err
	}
	for _, n := range append(names, xorKeyFile, "truth.json") {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

func (s *sim) newEntity(kind, id, name string, typ scriptType) int32 {
	s.ents = append(s.ents, entity{kind: kind, id: id, name: name, typ: typ, fpos: -1, home: -1})
	return int32(len(s.ents) - 1)
}

// newKey allocates a fresh key for entity e; its address is reported to the
// owners stream.
func (s *sim) newKey(e int32, typ scriptType) uint64 {
	k := s.nextKey
	s.nextKey++
	s.owners = append(s.owners, ownerEvent{typ: typ, key: k, ent: e})
	if len(s.owners) >= 4096 {
		s.flushOwners()
	}
	return k
}

func (s *sim) flushOwners() {
	if len(s.owners) == 0 {
		return
	}
	s.ownerSink <- s.owners
	s.owners = make([]ownerEvent, 0, 4096)
}

// recvKey is where entity e receives: its one address if it reuses
// addresses, else a fresh one.
func (s *sim) recvKey(e int32) uint64 {
	en := &s.ents[e]
	if en.reuse {
		if en.recv == 0 {
			en.recv = s.newKey(e, en.typ)
		}
		return en.recv
	}
	return s.newKey(e, en.typ)
}

// toUser pays entity e at its receive address (its wallet).
func (s *sim) toUser(e int32, value int64) out {
	return out{value: value, typ: s.ents[e].typ, owner: e, d: dest{kind: toWallet, a: e}}
}

// freshTo pays entity e at a new address of type typ.
func freshTo(e int32, typ scriptType, value int64, d dest) out {
	return out{value: value, typ: typ, owner: e, fresh: true, d: d}
}

// depositOut pays value to customer's deposit address at exchange x.
func (s *sim) depositOut(x int, customer int64, attacker bool, value int64) out {
	ex := &s.exch[x]
	var b int32
	if attacker {
		b = 1
	}
	return out{value: value, typ: s.ents[ex.ent].typ, owner: ex.ent, customer: customer, d: dest{kind: toDeposit, a: int32(x), b: b}}
}

// resolveKey picks the key of an output as the transaction is built.
func (s *sim) resolveKey(o *out) uint64 {
	en := &s.ents[o.owner]
	switch {
	case o.d.kind == toDeposit:
		ex := &s.exch[o.d.a]
		k, ok := ex.depKeys[o.customer]
		if !ok {
			k = s.nextKey
			s.nextKey++
			ex.depKeys[o.customer] = k
			s.owners = append(s.owners, ownerEvent{typ: o.typ, key: k, ent: ex.ent, deposit: true})
		}
		return k
	case en.kind == KindExchange:
		ex := &s.exch[en.home]
		i := s.r.intn(2)
		if ex.hot[i] == 0 {
			ex.hot[i] = s.newKey(o.owner, o.typ)
		}
		return ex.hot[i]
	case en.kind == KindAttacker:
		k := s.newKey(o.owner, o.typ)
		s.att.addresses = append(s.att.addresses, s.kr.address(o.typ, k))
		return k
	case o.fresh || !en.reuse:
		return s.newKey(o.owner, o.typ)
	}
	return s.recvKey(o.owner)
}

// wallet bookkeeping; the funded list lets payments pick a user with coins
// in O(1).
func (s *sim) addToWallet(e int32, u utxo) {
	en := &s.ents[e]
	en.wallet = append(en.wallet, u)
	if en.kind == KindUser && en.fpos < 0 {
		en.fpos = int32(len(s.funded))
		s.funded = append(s.funded, e)
	}
}

func (s *sim) takeUTXO(e int32, i int) utxo {
	en := &s.ents[e]
	u := en.wallet[i]
	last := len(en.wallet) - 1
	en.wallet[i] = en.wallet[last]
	en.wallet = en.wallet[:last]
	if len(en.wallet) == 0 && en.fpos >= 0 {
		p := en.fpos
		lastE := s.funded[len(s.funded)-1]
		s.funded[p] = lastE
		s.ents[lastE].fpos = p
		s.funded = s.funded[:len(s.funded)-1]
		en.fpos = -1
	}
	return u
}

func balance(w []utxo) int64 {
	var t int64
	for _, u := range w {
		t += u.value
	}
	return t
}

func (s *sim) fee(ins []utxo, outs []out) int64 {
	var it [64]scriptType
	var ot [64]scriptType
	var insT, outsT []scriptType
	if len(ins) <= 64 {
		insT = it[:0]
	}
	if len(outs) <= 64 {
		outsT = ot[:0]
	}
	for _, u := range ins {
		insT = append(insT, u.typ)
	}
	for _, o := range outs {
		outsT = append(outsT, o.typ)
	}
	rate := s.feeRate * (80 + s.r.between(0, 70)) / 100
	return max(rate, 1) * vsize(insT, outsT)
}

// Attacker transaction roles, as written to truth.json.
const (
	roleNone = ""
)

// build makes a transaction spending ins into outs (the rest is the fee),
// adds it to the block being made and its outputs to the pending set. It
// propagates taint exactly and records cash-outs.
func (s *sim) build(ins []utxo, outs []out, role string) chainhash.Hash {
	tx := &wire.MsgTx{Version: 2, TxIn: make([]*wire.TxIn, len(ins)), TxOut: make([]*wire.TxOut, len(outs))}
	tins := make([]wire.TxIn, len(ins))
	touts := make([]wire.TxOut, len(outs))
	var vin, vout int64
	for i, u := range ins {
		ti := &tins[i]
		ti.PreviousOutPoint = wire.OutPoint{Hash: u.txid, Index: u.vout}
		ti.SignatureScript, ti.Witness = s.kr.spendData(u.typ, u.key, s.sigR)
		ti.Sequence = 0xfffffffd
		tx.TxIn[i] = ti
		vin += u.value
	}
	for i := range outs {
		if outs[i].key == 0 {
			outs[i].key = s.resolveKey(&outs[i])
		}
		o := &outs[i]
		to := &touts[i]
		to.Value = o.value
		to.PkScript = s.kr.pkScript(o.typ, o.key)
		tx.TxOut[i] = to
		vout += o.value
		if o.value <= 0 {
			panic("btcsim: non-positive output")
		}
	}
	if vout > vin {
		panic("btcsim: outputs exceed inputs")
	}
	txid := tx.TxHash()
	s.txs = append(s.txs, tx)
	s.txids = append(s.txids, txid)
	s.fees += vin - vout

	var taint int64
	for _, u := range ins {
		if u.taint != 0 {
			taint += s.taints[u.taint]
			s.taints[u.taint] = 0
			s.freeTaint = append(s.freeTaint, u.taint)
		}
	}
	byAttacker := role != roleNone
	if byAttacker {
		s.truth.AttackerTxs = append(s.truth.AttackerTxs, AttackerTx{Txid: txid.String(), Height: s.height, Role: role})
		s.attackTxs++
	}
	var shares []int64
	if taint != 0 {
		parts := make([]int64, len(outs)+1)
		for i, o := range outs {
			parts[i] = o.value
		}
		parts[len(outs)] = vin - vout
		shares = splitTaint(taint, vin, parts)
		s.tb.toFees += shares[len(outs)]
	}
	for i := range outs {
		o := &outs[i]
		u := utxo{txid: txid, value: o.value, key: o.key, vout: uint32(i), height: int32(s.height), typ: o.typ}
		var share int64
		if shares != nil {
			share = shares[i]
		}
		if svc, ok := s.serviceOf(o.d); ok {
			switch {
			case byAttacker:
				s.recordCashOut(svc, o, txid, uint32(i), share)
			case share > 0:
				s.tb.otherServices += share
			}
		} else if share > 0 {
			u.taint = s.allocTaint(share)
		}
		s.pending = append(s.pending, pendingOut{u: u, d: o.d})
	}
	return txid
}

func (s *sim) allocTaint(t int64) uint32 {
	if n := len(s.freeTaint); n > 0 {
		i := s.freeTaint[n-1]
		s.freeTaint = s.freeTaint[:n-1]
		s.taints[i] = t
		return i
	}
	s.taints = append(s.taints, t)
	return uint32(len(s.taints) - 1)
}

// serviceOf reports the service entity behind a destination, if it is one:
// tracing stops where coins enter a service's custody.
func (s *sim) serviceOf(d dest) (int32, bool) {
	switch d.kind {
	case toDeposit:
		return s.exch[d.a].ent, true
	case toWallet:
		k := s.ents[d.a].kind
		if k == KindExchange || k == KindOTC {
			return d.a, true
		}
	}
	return 0, false
}

func (s *sim) recordCashOut(svc int32, o *out, txid chainhash.Hash, vout uint32, t int64) {
	en := &s.ents[svc]
	s.truth.CashOuts = append(s.truth.CashOuts, CashOut{
		Address: s.kr.address(o.typ, o.key), Txid: txid.String(), Vout: vout, Height: s.height,
		Amount: o.value, Service: en.id, ServiceName: en.name, ServiceKind: en.kind,
		HaircutSats: t, HaircutShare: float64(t) / float64(o.value), Poison: true,
	})
	s.tb.cashOuts += t
}

// dispatch moves the outputs of the finished block into their containers:
// outputs become spendable from the next block on.
func (s *sim) dispatch() {
	for _, p := range s.pending {
		switch p.d.kind {
		case toWallet:
			s.addToWallet(p.d.a, p.u)
		case toDeposit:
			s.exch[p.d.a].deposits = append(s.exch[p.d.a].deposits, depositUTXO{u: p.u, attacker: p.d.b == 1})
		case toPremix:
			s.pools[p.d.a].q = append(s.pools[p.d.a].q, mixCoin{u: p.u, owner: p.d.b, premix: true})
		case toPostmix:
			s.pools[p.d.a].q = append(s.pools[p.d.a].q, mixCoin{u: p.u, owner: p.d.b})
		case toTask:
			t := &s.att.tasks[p.d.a]
			t.coins = append(t.coins, p.u)
		}
	}
	s.pending = s.pending[:0]
}

func entityID(kind string, n int) string { return kind + "-" + strconv.Itoa(n) }
