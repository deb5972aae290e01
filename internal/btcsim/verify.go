package btcsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Report is the outcome of Verify.
type Report struct {
	Dir        string   `json:"dir"`
	Network    string   `json:"network"`
	Blocks     int      `json:"blocks"`
	Txs        int64    `json:"txs"`
	Files      int      `json:"files"`
	TipHash    string   `json:"tip_hash"`
	OutOfOrder int      `json:"out_of_order"` // blocks not stored at the position of their height
	Xor        bool     `json:"xor"`
	CashOuts   int      `json:"cash_outs"`
	Problems   []string `json:"problems"`
}

// ErrVerify is returned (wrapped, with the first problem) when a chain or
// its truth fails verification.
var ErrVerify = errors.New("btcsim: verification failed")

const maxProblems = 50

// Verify re-reads a simulated chain and checks it as a node would (linkage,
// merkle roots, witness commitments, BIP34 heights, no double spends, value
// balance, coinbase limits, coinbase maturity) and checks that truth.json
// agrees with it: every transaction and outpoint it names exists and has the
// stated shape, every address on the chain has an owner, and the haircut
// shares recomputed from the chain equal the stated ones exactly.
func Verify(ctx context.Context, dir string) (*Report, error) {
	rep := &Report{Dir: dir, Problems: []string{}}
	problem := func(format string, args ...any) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, fmt.Sprintf(format, args...))
		}
	}
	netw, err := detectNetwork(dir)
	if err != nil {
		return nil, err
	}
	params := &chaincfg.MainNetParams
	if netw == wire.TestNet {
		params = &chaincfg.RegressionNetParams
	}
	rep.Network = networkName(params)
	key, err := ReadXorKey(dir)
	if err != nil {
		return nil, err
	}
	rep.Xor = key != nil
	files, err := BlockFiles(dir)
	if err != nil {
		return nil, err
	}
	rep.Files = len(files)

	var truth Truth
	tb, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(tb, &truth); err != nil {
		return nil, fmt.Errorf("btcsim: truth.json: %w", err)
	}
	tb = nil
	tc, err := newTruthCheck(&truth, params, problem)
	if err != nil {
		return nil, err
	}

	utxos := map[wire.OutPoint]vutxo{}
	n, err := ReadChain(dir, netw, func(cb ChainBlock) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cb.Raw.Seq != cb.Height {
			rep.OutOfOrder++
		}
		rep.TipHash = cb.Hash.String()
		rep.Txs += int64(len(cb.Block.Transactions))
		verifyBlock(cb, params, utxos, tc, problem)
		return nil
	})
	rep.Blocks = n
	if err != nil {
		if errors.Is(err, ErrChainOrder) {
			problem("%v", err)
		} else {
			return rep, err
		}
	}
	tc.finish(rep, utxos)
	rep.CashOuts = len(truth.CashOuts)
	if truth.Blocks != rep.Blocks || truth.Txs != rep.Txs || truth.TipHash != rep.TipHash {
		problem("truth says %d blocks, %d txs, tip %s; the chain has %d, %d, %s",
			truth.Blocks, truth.Txs, truth.TipHash, rep.Blocks, rep.Txs, rep.TipHash)
	}
	if truth.Network != rep.Network {
		problem("truth says network %s, the files are %s", truth.Network, rep.Network)
	}
	if len(rep.Problems) > 0 {
		return rep, fmt.Errorf("%w: %s", ErrVerify, rep.Problems[0])
	}
	return rep, nil
}

// detectNetwork reads the magic of the first record of the first file.
func detectNetwork(dir string) (wire.BitcoinNet, error) {
	files, err := BlockFiles(dir)
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("btcsim: no blk*.dat files in %s", dir)
	}
	key, err := ReadXorKey(dir)
	if err != nil {
		return 0, err
	}
	f, err := os.Open(filepath.Join(dir, files[0]))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var m [4]byte
	if _, err := f.Read(m[:]); err != nil {
		return 0, err
	}
	if key != nil {
		for i := range m {
			m[i] ^= key[i]
		}
	}
	switch n := wire.BitcoinNet(binary.LittleEndian.Uint32(m[:])); n {
	case wire.MainNet, wire.TestNet:
		return n, nil
	}
	return 0, fmt.Errorf("btcsim: %s does not start with a mainnet or regtest magic", files[0])
}

type vutxo struct {
	value    int64
	height   int32
	coinbase bool
	taint    int64
}

func isCoinbase(tx *wire.MsgTx) bool {
	return len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint.Index == 0xffffffff &&
		tx.TxIn[0].PreviousOutPoint.Hash == (chainhash.Hash{})
}

func verifyBlock(cb ChainBlock, params *chaincfg.Params, utxos map[wire.OutPoint]vutxo, tc *truthCheck, problem func(string, ...any)) {
	b, h := cb.Block, cb.Height
	if len(b.Transactions) == 0 || !isCoinbase(b.Transactions[0]) {
		problem("block %d: no coinbase", h)
		return
	}
	txids := make([]chainhash.Hash, len(b.Transactions))
	hasWitness := false
	for i, tx := range b.Transactions {
		txids[i] = tx.TxHash()
		if i > 0 && tx.HasWitness() {
			hasWitness = true
		}
	}
	if merkleRoot(txids) != b.Header.MerkleRoot {
		problem("block %d (%s in %s): merkle root mismatch", h, cb.Hash, cb.Raw.File)
	}
	cbTx := b.Transactions[0]
	if want := bip34Height(h); !bytes.HasPrefix(cbTx.TxIn[0].SignatureScript, want) {
		problem("block %d: coinbase scriptSig does not start with the BIP34 height", h)
	}
	if hasWitness {
		wtxids := make([]chainhash.Hash, len(b.Transactions))
		for i, tx := range b.Transactions[1:] {
			wtxids[i+1] = tx.WitnessHash()
		}
		root := merkleRoot(wtxids)
		var buf [64]byte
		copy(buf[:32], root[:])
		if w := cbTx.TxIn[0].Witness; len(w) == 1 && len(w[0]) == 32 {
			copy(buf[32:], w[0])
		} else {
			problem("block %d: coinbase lacks the witness reserved value", h)
		}
		want := chainhash.DoubleHashH(buf[:])
		found := false
		for j := len(cbTx.TxOut) - 1; j >= 0; j-- {
			pk := cbTx.TxOut[j].PkScript
			if len(pk) >= 38 && bytes.Equal(pk[:6], witnessCommitmentPrefix) {
				found = bytes.Equal(pk[6:38], want[:])
				break
			}
		}
		if !found {
			problem("block %d: witness commitment missing or wrong", h)
		}
	}
	var fees int64
	for i, tx := range b.Transactions {
		if i > 0 && isCoinbase(tx) {
			problem("block %d: a second coinbase", h)
			continue
		}
		var vin int64
		var taint int64
		if i > 0 {
			for _, in := range tx.TxIn {
				u, ok := utxos[in.PreviousOutPoint]
				if !ok {
					problem("block %d tx %s: spends %s, which is missing or already spent", h, txids[i], in.PreviousOutPoint)
					continue
				}
				if u.coinbase && h-int(u.height) < coinbaseMaturity {
					problem("block %d tx %s: spends an immature coinbase", h, txids[i])
				}
				delete(utxos, in.PreviousOutPoint)
				vin += u.value
				taint += u.taint
				tc.held -= u.taint
			}
		}
		var vout int64
		for _, o := range tx.TxOut {
			if o.Value < 0 || o.Value > 21e6*1e8 {
				problem("block %d tx %s: output value %d out of range", h, txids[i], o.Value)
			}
			vout += o.Value
		}
		if i > 0 {
			if vout > vin {
				problem("block %d tx %s: outputs %d exceed inputs %d", h, txids[i], vout, vin)
			}
			fees += vin - vout
		}
		tc.tx(h, txids[i], tx, vin, taint)
		var shares []int64
		if taint > 0 {
			parts := make([]int64, len(tx.TxOut)+1)
			for j, o := range tx.TxOut {
				parts[j] = o.Value
			}
			parts[len(tx.TxOut)] = vin - vout
			shares = splitTaint(taint, vin, parts)
			tc.toFees += shares[len(tx.TxOut)]
		}
		for j, o := range tx.TxOut {
			tc.output(h, txids[i], uint32(j), o, i == 0)
			if h == 0 || (len(o.PkScript) > 0 && o.PkScript[0] == 0x6a) {
				continue // the genesis coinbase and OP_RETURN outputs are unspendable
			}
			op := wire.OutPoint{Hash: txids[i], Index: uint32(j)}
			u := vutxo{value: o.Value, height: int32(h), coinbase: i == 0}
			var share int64
			if shares != nil {
				share = shares[j]
			}
			if tc.isService(o.PkScript) {
				if tc.attackerTx[txids[i]] {
					tc.cashOut(op, o, share, taint > 0)
				} else {
					tc.otherSvc += share
				}
			} else if share > 0 {
				u.taint = share
				tc.held += share
			}
			if seed, ok := tc.theftOut[op]; ok {
				u.taint = o.Value
				tc.held += o.Value
				tc.stolen += o.Value
				if seed != o.Value {
					problem("theft outpoint %s has value %d, truth says %d", op, o.Value, seed)
				}
				delete(tc.theftOut, op)
			}
			utxos[op] = u
		}
	}
	var cbOut int64
	for _, o := range cbTx.TxOut {
		cbOut += o.Value
	}
	if limit := subsidy(params, h) + fees; cbOut > limit {
		problem("block %d: coinbase pays %d, more than subsidy plus fees %d", h, cbOut, limit)
	}
}

// truthCheck holds what truth.json claims, indexed for the chain pass.
type truthCheck struct {
	t          *Truth
	params     *chaincfg.Params
	problem    func(string, ...any)
	owner      map[string]int32 // output script -> entity index
	addrSeen   map[string]bool
	kind       []string
	theftOut   map[wire.OutPoint]int64
	stolen     int64
	cashOuts   map[wire.OutPoint]*CashOut
	found      map[wire.OutPoint]bool
	named      map[chainhash.Hash]string // txid -> what truth calls it
	foundTx    map[chainhash.Hash]bool
	shape      map[chainhash.Hash]txShape
	held       int64
	toFees     int64
	cashOutSum int64
	otherSvc   int64
	attackerTx map[chainhash.Hash]bool
}

type txShape struct {
	ins, outs int
	firstIn   wire.OutPoint
	values    []int64
}

func newTruthCheck(t *Truth, params *chaincfg.Params, problem func(string, ...any)) (*truthCheck, error) {
	tc := &truthCheck{t: t, params: params, problem: problem, owner: make(map[string]int32, len(t.Owners)),
		addrSeen: make(map[string]bool), theftOut: map[wire.OutPoint]int64{}, cashOuts: map[wire.OutPoint]*CashOut{},
		found: map[wire.OutPoint]bool{}, named: map[chainhash.Hash]string{}, foundTx: map[chainhash.Hash]bool{},
		shape: map[chainhash.Hash]txShape{}}
	ent := map[string]int32{}
	for i, e := range t.Entities {
		ent[e.ID] = int32(i)
		tc.kind = append(tc.kind, e.Kind)
	}
	for addr, id := range t.Owners {
		ei, ok := ent[id]
		if !ok {
			problem("owner of %s is %q, which is no entity", addr, id)
			continue
		}
		pk, err := addressScript(addr, params)
		if err != nil {
			problem("owners: %v", err)
			continue
		}
		tc.owner[string(pk)] = ei
	}
	ownedBy := func(addr, id, what string) {
		if got, ok := t.Owners[addr]; !ok || got != id {
			problem("%s %s is not owned by %s in owners", what, addr, id)
		}
	}
	for addr, id := range t.DepositAddresses {
		ownedBy(addr, id, "deposit address")
	}
	for _, x := range t.Exchanges {
		for _, a := range x.HotWallets {
			ownedBy(a, x.ID, "hot wallet")
		}
	}
	attackerID := ""
	for _, e := range t.Entities {
		if e.Kind == KindAttacker {
			attackerID = e.ID
		}
	}
	for _, a := range t.AttackerAddresses {
		ownedBy(a, attackerID, "attacker address")
	}
	name := func(txid, what string) {
		h, err := chainhash.NewHashFromStr(txid)
		if err != nil {
			problem("%s: bad txid %q", what, txid)
			return
		}
		tc.named[*h] = what
	}
	var sum int64
	for _, th := range t.Thefts {
		name(th.Txid, "theft")
		for _, op := range th.Outpoints {
			h, err := chainhash.NewHashFromStr(op.Txid)
			if err != nil {
				problem("theft outpoint: bad txid %q", op.Txid)
				continue
			}
			tc.theftOut[wire.OutPoint{Hash: *h, Index: op.Vout}] = op.Value
			sum += op.Value
		}
	}
	if sum != t.StolenSats {
		problem("stolen_sats %d is not the sum of the theft outpoints %d", t.StolenSats, sum)
	}
	for _, c := range t.PeelChains {
		for _, id := range c.Txids {
			name(id, "peel")
		}
		if c.End != "" {
			name(c.End, "peel-end")
		}
	}
	for _, c := range t.CoinJoins {
		name(c.Txid, c.Kind)
	}
	tc.attackerTx = map[chainhash.Hash]bool{}
	for _, a := range t.AttackerTxs {
		tc.attackerTx[mustHash(a.Txid)] = true
		if _, ok := tc.named[mustHash(a.Txid)]; !ok {
			name(a.Txid, "attacker "+a.Role)
		}
	}
	for i := range t.CashOuts {
		c := &t.CashOuts[i]
		h, err := chainhash.NewHashFromStr(c.Txid)
		if err != nil {
			problem("cash-out: bad txid %q", c.Txid)
			continue
		}
		tc.cashOuts[wire.OutPoint{Hash: *h, Index: c.Vout}] = c
	}
	return tc, nil
}

func mustHash(s string) chainhash.Hash {
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		return chainhash.Hash{}
	}
	return *h
}

// addressScript is the output script an address stands for.
func addressScript(addr string, params *chaincfg.Params) ([]byte, error) {
	a, err := address.DecodeAddress(addr, params)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	if !a.IsForNet(params) {
		return nil, fmt.Errorf("address %q is not for %s", addr, params.Name)
	}
	h := a.ScriptAddress()
	switch a.(type) {
	case *address.AddressPubKeyHash:
		return append(append([]byte{0x76, 0xa9, 0x14}, h...), 0x88, 0xac), nil
	case *address.AddressScriptHash:
		return append(append([]byte{0xa9, 0x14}, h...), 0x87), nil
	case *address.AddressWitnessPubKeyHash:
		return append([]byte{0x00, 0x14}, h...), nil
	case *address.AddressTaproot:
		return append([]byte{0x51, 0x20}, h...), nil
	}
	return nil, fmt.Errorf("address %q: unsupported type", addr)
}

func (tc *truthCheck) isService(pk []byte) bool {
	e, ok := tc.owner[string(pk)]
	return ok && (tc.kind[e] == KindExchange || tc.kind[e] == KindOTC)
}

func (tc *truthCheck) tx(h int, txid chainhash.Hash, tx *wire.MsgTx, vin int64, taint int64) {
	what, ok := tc.named[txid]
	if !ok {
		return
	}
	tc.foundTx[txid] = true
	sh := txShape{ins: len(tx.TxIn), outs: len(tx.TxOut), firstIn: tx.TxIn[0].PreviousOutPoint}
	for _, o := range tx.TxOut {
		sh.values = append(sh.values, o.Value)
	}
	tc.shape[txid] = sh
	switch what {
	case "whirlpool":
		if sh.ins != whirlpoolMix || sh.outs != whirlpoolMix || !allEqual(sh.values) {
			tc.problem("whirlpool %s is not 5 inputs to 5 equal outputs", txid)
		}
	case "wasabi", "joinmarket":
		if sh.ins < 3 || maxEqual(sh.values) < 2 {
			tc.problem("%s %s has no equal outputs", what, txid)
		}
	case "peel":
		if sh.ins != 1 || sh.outs != 2 {
			tc.problem("peel hop %s has %d inputs and %d outputs, want 1 and 2", txid, sh.ins, sh.outs)
		}
	}
}

func allEqual(v []int64) bool {
	for _, x := range v {
		if x != v[0] {
			return false
		}
	}
	return true
}

func maxEqual(v []int64) int {
	best := 0
	count := map[int64]int{}
	for _, x := range v {
		count[x]++
		best = max(best, count[x])
	}
	return best
}

func (tc *truthCheck) output(h int, txid chainhash.Hash, vout uint32, o *wire.TxOut, coinbase bool) {
	if len(o.PkScript) > 0 && o.PkScript[0] == 0x6a {
		return
	}
	if _, ok := tc.owner[string(o.PkScript)]; !ok {
		addr, _ := scriptAddress(o.PkScript, tc.params)
		tc.problem("output %s:%d pays %s, which has no owner in truth", txid, vout, addr)
		return
	}
	tc.addrSeen[string(o.PkScript)] = true
	if c, ok := tc.cashOuts[wire.OutPoint{Hash: txid, Index: vout}]; ok {
		addr, _ := scriptAddress(o.PkScript, tc.params)
		if c.Amount != o.Value || c.Address != addr {
			tc.problem("cash-out %s:%d: truth says %d to %s, chain has %d to %s", txid, vout, c.Amount, c.Address, o.Value, addr)
		}
	}
}

func (tc *truthCheck) cashOut(op wire.OutPoint, o *wire.TxOut, t int64, poison bool) {
	txid, vout := op.Hash, op.Index
	tc.cashOutSum += t
	tc.found[op] = true
	c, ok := tc.cashOuts[op]
	if !ok {
		tc.problem("attacker transaction pays service output %s:%d, which truth does not list as a cash-out", txid, vout)
		return
	}
	if c.HaircutSats != t {
		tc.problem("cash-out %s:%d: haircut %d in truth, %d recomputed", txid, vout, c.HaircutSats, t)
	}
	if c.Poison != poison {
		tc.problem("cash-out %s:%d: poison %v in truth, %v recomputed", txid, vout, c.Poison, poison)
	}
	if owner := tc.t.Entities[tc.owner[string(o.PkScript)]].ID; owner != c.Service {
		tc.problem("cash-out %s:%d: service %s in truth, owner %s", txid, vout, c.Service, owner)
	}
}

func (tc *truthCheck) finish(rep *Report, utxos map[wire.OutPoint]vutxo) {
	for h, what := range tc.named {
		if !tc.foundTx[h] {
			tc.problem("truth names %s transaction %s, which is not on the chain", what, h)
		}
	}
	for op := range tc.theftOut {
		tc.problem("theft outpoint %s is not on the chain", op)
	}
	for op := range tc.cashOuts {
		if !tc.found[op] {
			tc.problem("cash-out %s: no attacker transaction pays it on the chain", op)
		}
	}
	for addr := range tc.t.Owners {
		pk, err := addressScript(addr, tc.params)
		if err == nil && !tc.addrSeen[string(pk)] {
			tc.problem("owners lists %s, which never appears on the chain", addr)
			break
		}
	}
	// Peel chains: each hop spends an output of the one before.
	for ci, c := range tc.t.PeelChains {
		for k := 1; k < len(c.Txids); k++ {
			sh, ok := tc.shape[mustHash(c.Txids[k])]
			if ok && sh.firstIn.Hash != mustHash(c.Txids[k-1]) {
				tc.problem("peel chain %d: hop %d does not spend hop %d", ci, k, k-1)
			}
		}
		if c.End != "" && len(c.Txids) > 0 {
			if sh, ok := tc.shape[mustHash(c.End)]; ok && sh.firstIn.Hash != mustHash(c.Txids[len(c.Txids)-1]) {
				tc.problem("peel chain %d: the end does not spend the last hop", ci)
			}
		}
	}
	got := TaintBalance{Stolen: tc.stolen, CashOuts: tc.cashOutSum, OtherServices: tc.otherSvc, Fees: tc.toFees, Held: tc.held}
	if got != tc.t.Taint {
		tc.problem("taint balance: truth says %+v, recomputed %+v", tc.t.Taint, got)
	}
	_ = utxos
}
