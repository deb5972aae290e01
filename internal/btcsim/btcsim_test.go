package btcsim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/trawlhq/trawl/internal/errs"
)

const testTxs = 8000

func simulate(t *testing.T, o Options) (*Summary, string) {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	if o.Txs == 0 {
		o.Txs = testTxs
	}
	sum, err := Simulate(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return sum, o.Dir
}

func readTruth(t *testing.T, dir string) *Truth {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tr Truth
	if err := json.Unmarshal(b, &tr); err != nil {
		t.Fatal(err)
	}
	return &tr
}

func mustVerify(t *testing.T, dir string) *Report {
	t.Helper()
	rep, err := Verify(context.Background(), dir)
	if err != nil {
		if rep != nil {
			for _, p := range rep.Problems {
				t.Log(p)
			}
		}
		t.Fatal(err)
	}
	return rep
}

// chainIndex holds every transaction of a chain by txid, and who spends
// each outpoint.
type chainIndex struct {
	txs     map[chainhash.Hash]*wire.MsgTx
	spender map[wire.OutPoint]chainhash.Hash
	height  map[chainhash.Hash]int
}

func indexChain(t *testing.T, dir string, net wire.BitcoinNet) *chainIndex {
	t.Helper()
	ix := &chainIndex{txs: map[chainhash.Hash]*wire.MsgTx{}, spender: map[wire.OutPoint]chainhash.Hash{}, height: map[chainhash.Hash]int{}}
	_, err := ReadChain(dir, net, func(cb ChainBlock) error {
		for _, tx := range cb.Block.Transactions {
			h := tx.TxHash()
			ix.txs[h] = tx
			ix.height[h] = cb.Height
			for _, in := range tx.TxIn {
				ix.spender[in.PreviousOutPoint] = h
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func (ix *chainIndex) tx(t *testing.T, txid string) (chainhash.Hash, *wire.MsgTx) {
	t.Helper()
	h, err := chainhash.NewHashFromStr(txid)
	if err != nil {
		t.Fatal(err)
	}
	tx, ok := ix.txs[*h]
	if !ok {
		t.Fatalf("tx %s not on the chain", txid)
	}
	return *h, tx
}

func TestScenarios(t *testing.T) {
	for _, sc := range Scenarios {
		t.Run(sc, func(t *testing.T) {
			sum, dir := simulate(t, Options{Seed: 7, Scenario: sc, Network: "regtest"})
			rep := mustVerify(t, dir)
			tr := readTruth(t, dir)
			if rep.Blocks != sum.Blocks || rep.Txs != sum.Txs || sum.Txs < testTxs {
				t.Fatalf("summary %+v, report %+v", sum, rep)
			}
			if tr.StolenSats <= 0 || len(tr.Thefts) == 0 || len(tr.CashOuts) == 0 {
				t.Fatalf("no theft or no cash-out: stolen %d, %d thefts, %d cash-outs", tr.StolenSats, len(tr.Thefts), len(tr.CashOuts))
			}
			if !tr.Taint.balanced() || tr.Taint.Stolen != tr.StolenSats {
				t.Fatalf("taint does not balance: %+v", tr.Taint)
			}
			ix := indexChain(t, dir, wire.TestNet)
			roles := map[string]int{}
			for _, a := range tr.AttackerTxs {
				roles[a.Role]++
			}
			attackerCJ := map[string]int{}
			for _, c := range tr.CoinJoins {
				if c.Attacker {
					attackerCJ[c.Kind]++
				}
			}
			t.Logf("stolen %.2f BTC, %d cash-outs, %d peel chains, roles %v, attacker coinjoins %v",
				float64(tr.StolenSats)/1e8, len(tr.CashOuts), len(tr.PeelChains), roles, attackerCJ)
			switch sc {
			case ScenarioPeel:
				if len(tr.PeelChains) < 2 || roles["peel"] < 10 || len(attackerCJ) != 0 {
					t.Fatalf("peel scenario: %d chains, roles %v", len(tr.PeelChains), roles)
				}
			case ScenarioCoinJoin:
				if attackerCJ["whirlpool"] == 0 || attackerCJ["wasabi"] == 0 || roles["tx0"] == 0 || roles["consolidate"] == 0 {
					t.Fatalf("coinjoin scenario: attacker coinjoins %v, roles %v", attackerCJ, roles)
				}
			case ScenarioDormant:
				checkDormancy(t, tr, ix)
			case ScenarioMixed:
				if len(tr.PeelChains) == 0 || attackerCJ["whirlpool"] == 0 || roles["dormant"] == 0 {
					t.Fatalf("mixed scenario lacks a playbook: roles %v, coinjoins %v", roles, attackerCJ)
				}
			}
			checkPeelChains(t, tr, ix)
			checkCoinJoins(t, tr, ix)
			checkSweeps(t, tr, ix)
			checkCashOuts(t, tr)
		})
	}
}

// checkDormancy: the dormant output rests for a long time before it moves.
func checkDormancy(t *testing.T, tr *Truth, ix *chainIndex) {
	found := false
	for _, a := range tr.AttackerTxs {
		if a.Role != "dormant" {
			continue
		}
		h, tx := ix.tx(t, a.Txid)
		if len(tx.TxOut) != 1 {
			t.Fatalf("dormant tx %s has %d outputs", a.Txid, len(tx.TxOut))
		}
		next, ok := ix.spender[wire.OutPoint{Hash: h, Index: 0}]
		if !ok {
			t.Fatalf("dormant coin of %s never moves", a.Txid)
		}
		rest := ix.height[next] - a.Height
		if rest < tr.Blocks/8 {
			t.Fatalf("dormant coin rests only %d of %d blocks", rest, tr.Blocks)
		}
		found = true
	}
	if !found {
		t.Fatal("no dormant transaction")
	}
}

func isService(tr *Truth, addr string, owners map[string]string) bool {
	id := owners[addr]
	return strings.HasPrefix(id, KindExchange+"-") || strings.HasPrefix(id, KindOTC+"-")
}

func outAddress(t *testing.T, o *wire.TxOut, net *chaincfg.Params) string {
	a, ok := scriptAddress(o.PkScript, net)
	if !ok {
		t.Fatalf("output script %x has no address", o.PkScript)
	}
	return a
}

// checkPeelChains: every hop has one input and two outputs; one output
// pays a service, the other is the only input of the next hop.
func checkPeelChains(t *testing.T, tr *Truth, ix *chainIndex) {
	net, _ := NetParams(tr.Network)
	for ci, c := range tr.PeelChains {
		for k, id := range c.Txids {
			h, tx := ix.tx(t, id)
			if len(tx.TxIn) != 1 || len(tx.TxOut) != 2 {
				t.Fatalf("chain %d hop %d: %d in, %d out", ci, k, len(tx.TxIn), len(tx.TxOut))
			}
			services, next := 0, -1
			for j, o := range tx.TxOut {
				if isService(tr, outAddress(t, o, net), tr.Owners) {
					services++
				} else {
					next = j
				}
			}
			if services != 1 || next < 0 {
				t.Fatalf("chain %d hop %d: want one peel to a service and one continuing output", ci, k)
			}
			if tr.Owners[outAddress(t, tx.TxOut[next], net)] != "attacker-0" {
				t.Fatalf("chain %d hop %d: the continuing output is not the attacker's", ci, k)
			}
			sp, ok := ix.spender[wire.OutPoint{Hash: h, Index: uint32(next)}]
			want := c.End
			if k+1 < len(c.Txids) {
				want = c.Txids[k+1]
			}
			if want != "" && (!ok || sp.String() != want) {
				t.Fatalf("chain %d hop %d: continuing output spent by %v, want %s", ci, k, sp, want)
			}
		}
	}
}

// checkCoinJoins: Whirlpool rounds are 5 inputs to 5 outputs of one pool
// denomination; Wasabi and JoinMarket rounds have equal outputs plus change.
func checkCoinJoins(t *testing.T, tr *Truth, ix *chainIndex) {
	kinds := map[string]int{}
	for _, c := range tr.CoinJoins {
		_, tx := ix.tx(t, c.Txid)
		kinds[c.Kind]++
		counts := map[int64]int{}
		for _, o := range tx.TxOut {
			counts[o.Value]++
		}
		switch c.Kind {
		case "whirlpool":
			v := tx.TxOut[0].Value
			if len(tx.TxIn) != 5 || len(tx.TxOut) != 5 || counts[v] != 5 {
				t.Fatalf("whirlpool %s: %d in, %d out, values %v", c.Txid, len(tx.TxIn), len(tx.TxOut), counts)
			}
			okDenom := false
			for _, d := range poolDenoms {
				okDenom = okDenom || d == v
			}
			if !okDenom {
				t.Fatalf("whirlpool %s: %d is no pool denomination", c.Txid, v)
			}
		case "wasabi", "joinmarket":
			most := 0
			for _, n := range counts {
				most = max(most, n)
			}
			if most < 3 || len(tx.TxOut) <= most {
				t.Fatalf("%s %s: equal outputs %d of %d", c.Kind, c.Txid, most, len(tx.TxOut))
			}
		default:
			t.Fatalf("unknown coinjoin kind %q", c.Kind)
		}
	}
	if kinds["whirlpool"] == 0 || kinds["wasabi"] == 0 || kinds["joinmarket"] == 0 {
		t.Fatalf("background coinjoins missing: %v", kinds)
	}
}

// checkSweeps: the attacker's exchange deposits are swept into the
// exchange's hot wallet together with other customers' deposits.
func checkSweeps(t *testing.T, tr *Truth, ix *chainIndex) {
	net, _ := NetParams(tr.Network)
	cashOut := map[wire.OutPoint]bool{}
	for _, c := range tr.CashOuts {
		h, _ := chainhash.NewHashFromStr(c.Txid)
		cashOut[wire.OutPoint{Hash: *h, Index: c.Vout}] = true
	}
	hot := map[string]string{}
	for _, x := range tr.Exchanges {
		for _, a := range x.HotWallets {
			hot[a] = x.ID
		}
	}
	swept := 0
	for _, c := range tr.CashOuts {
		if tr.DepositAddresses[c.Address] == "" {
			continue
		}
		h, _ := chainhash.NewHashFromStr(c.Txid)
		sp, ok := ix.spender[wire.OutPoint{Hash: *h, Index: c.Vout}]
		if !ok {
			continue // not swept yet at the tip
		}
		tx := ix.txs[sp]
		others := 0
		for _, in := range tx.TxIn {
			if !cashOut[in.PreviousOutPoint] {
				others++
			}
		}
		if len(tx.TxOut) != 1 || hot[outAddress(t, tx.TxOut[0], net)] != c.Service || others == 0 {
			t.Fatalf("deposit %s:%d is not swept with others into %s's hot wallet", c.Txid, c.Vout, c.Service)
		}
		swept++
	}
	if swept == 0 {
		t.Fatal("no attacker deposit was swept")
	}
}

func checkCashOuts(t *testing.T, tr *Truth) {
	var sum int64
	for _, c := range tr.CashOuts {
		if c.HaircutSats < 0 || c.HaircutSats > c.Amount {
			t.Fatalf("cash-out %s:%d: haircut %d of %d", c.Txid, c.Vout, c.HaircutSats, c.Amount)
		}
		if want := float64(c.HaircutSats) / float64(c.Amount); c.HaircutShare != want {
			t.Fatalf("cash-out share %v, want %v", c.HaircutShare, want)
		}
		if c.ServiceKind != KindExchange && c.ServiceKind != KindOTC {
			t.Fatalf("cash-out to a %s", c.ServiceKind)
		}
		sum += c.HaircutSats
	}
	if sum != tr.Taint.CashOuts || sum > tr.StolenSats {
		t.Fatalf("cash-outs sum to %d, balance says %d, stolen %d", sum, tr.Taint.CashOuts, tr.StolenSats)
	}
}

func hashDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(h[:])
	}
	return out
}

func TestDeterministic(t *testing.T) {
	o := Options{Seed: 42, Xor: true, MaxFileSize: 1 << 20, PreallocChunk: 1 << 18}
	_, a := simulate(t, o)
	_, b := simulate(t, o)
	ha, hb := hashDir(t, a), hashDir(t, b)
	if len(ha) < 4 {
		t.Fatalf("too few files: %v", ha)
	}
	for name, h := range ha {
		if hb[name] != h {
			t.Fatalf("%s differs between two runs with the same seed", name)
		}
	}
	if len(ha) != len(hb) {
		t.Fatalf("file sets differ: %v vs %v", ha, hb)
	}
	o.Seed = 43
	_, c := simulate(t, o)
	if hashDir(t, c)["blk00000.dat"] == ha["blk00000.dat"] {
		t.Fatal("a different seed gives the same chain")
	}
}

func TestXorRoundTrip(t *testing.T) {
	o := Options{Seed: 5, MaxFileSize: 1 << 20, PreallocChunk: 1 << 18}
	_, plain := simulate(t, o)
	o.Xor = true
	_, obf := simulate(t, o)
	key, err := os.ReadFile(filepath.Join(obf, "xor.dat"))
	if err != nil || len(key) != 8 || bytes.Equal(key, make([]byte, 8)) {
		t.Fatalf("xor.dat: %x, %v", key, err)
	}
	if _, err := os.Stat(filepath.Join(plain, "xor.dat")); !os.IsNotExist(err) {
		t.Fatal("xor.dat written without --xor")
	}
	files, _ := BlockFiles(plain)
	for _, name := range files {
		p, _ := os.ReadFile(filepath.Join(plain, name))
		x, _ := os.ReadFile(filepath.Join(obf, name))
		if len(p) != len(x) {
			t.Fatalf("%s: sizes differ", name)
		}
		if bytes.Equal(p[:8], x[:8]) {
			t.Fatalf("%s is not obfuscated", name)
		}
		end := len(p)
		for end > 0 && p[end-1] == 0 && x[end-1] == 0 {
			end-- // preallocated padding is raw zeros in both
		}
		for i := 0; i < end; i++ {
			if p[i] != x[i]^key[i%8] {
				t.Fatalf("%s byte %d: %02x != %02x ^ key", name, i, p[i], x[i])
			}
		}
	}
	rp, rx := mustVerify(t, plain), mustVerify(t, obf)
	if !rx.Xor || rp.Xor || rp.TipHash != rx.TipHash {
		t.Fatalf("plain %+v, xor %+v", rp, rx)
	}
}

func TestFilesAndStorageOrder(t *testing.T) {
	const maxSize, chunk = 1 << 20, 1 << 18
	sum, dir := simulate(t, Options{Seed: 9, MaxFileSize: maxSize, PreallocChunk: chunk})
	if len(sum.Files) < 3 {
		t.Fatalf("want several files, got %v", sum.Files)
	}
	recordsEnd := map[string]int64{}
	if err := ScanBlockFiles(dir, wire.MainNet, func(rb RawBlock) error {
		recordsEnd[rb.File] = rb.Offset + int64(len(rb.Data))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, name := range sum.Files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		size, end := int64(len(b)), recordsEnd[name]
		if size > maxSize {
			t.Fatalf("%s is %d bytes, over the cap", name, size)
		}
		if i < len(sum.Files)-1 {
			if end != size {
				t.Fatalf("%s: records end at %d of %d bytes; only the last file is padded", name, end, size)
			}
			continue
		}
		if size%chunk != 0 || end >= size || !isPadding(b[end:]) {
			t.Fatalf("the last file is not zero-padded to the chunk size: records end at %d of %d", end, size)
		}
	}
	rep := mustVerify(t, dir)
	if rep.OutOfOrder == 0 {
		t.Fatal("blocks are stored in height order; want some out of order")
	}
	_, inOrder := simulate(t, Options{Seed: 9, ReorderWindow: 1})
	if r := mustVerify(t, inOrder); r.OutOfOrder != 0 {
		t.Fatalf("window 1 stores %d blocks out of order", r.OutOfOrder)
	}
}

func TestVerifyCatchesCorruptBlock(t *testing.T) {
	_, dir := simulate(t, Options{Seed: 11, MaxFileSize: 1 << 20, PreallocChunk: 1 << 18})
	// Find a block with a second transaction and flip a byte of the txid
	// that transaction spends: the block still parses, its merkle root no
	// longer matches.
	var target RawBlock
	err := ScanBlockFiles(dir, wire.MainNet, func(rb RawBlock) error {
		var b wire.MsgBlock
		if target.Data == nil && b.Deserialize(bytes.NewReader(rb.Data)) == nil && len(b.Transactions) > 5 {
			target = rb
			target.Data = append([]byte(nil), rb.Data...)
		}
		return nil
	})
	if err != nil || target.Data == nil {
		t.Fatal("no block to corrupt", err)
	}
	var b wire.MsgBlock
	locs, err := b.DeserializeTxLoc(bytes.NewBuffer(target.Data))
	if err != nil {
		t.Fatal(err)
	}
	off := locs[1].TxStart + 4
	if target.Data[off] == 0 { // segwit marker and flag
		off += 2
	}
	off += 1 + 10 // input count, then into the previous txid
	f, err := os.OpenFile(filepath.Join(dir, target.File), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	pos := target.Offset + int64(off)
	one := []byte{target.Data[off] ^ 0x01}
	if _, err := f.WriteAt(one, pos); err != nil {
		t.Fatal(err)
	}
	f.Close()
	rep, err := Verify(context.Background(), dir)
	if err == nil {
		t.Fatal("a corrupted block verifies")
	}
	if !strings.Contains(strings.Join(rep.Problems, "\n"), "merkle root mismatch") {
		t.Fatalf("no merkle mismatch reported: %v", rep.Problems)
	}
}

func TestVerifyCatchesEditedTruth(t *testing.T) {
	_, dir := simulate(t, Options{Seed: 13})
	path := filepath.Join(dir, "truth.json")
	orig, _ := os.ReadFile(path)
	edits := map[string]func(*Truth){
		"haircut": func(tr *Truth) { tr.CashOuts[0].HaircutSats++ },
		"peel txid": func(tr *Truth) {
			tr.PeelChains[0].Txids[0] = strings.Repeat("ab", 32)
		},
		"owner": func(tr *Truth) {
			for a := range tr.Owners {
				delete(tr.Owners, a)
				break
			}
		},
		"stolen": func(tr *Truth) { tr.Thefts[0].Outpoints[0].Value-- },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			var tr Truth
			if err := json.Unmarshal(orig, &tr); err != nil {
				t.Fatal(err)
			}
			edit(&tr)
			b, _ := json.Marshal(&tr)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := Verify(context.Background(), dir)
			if err == nil {
				t.Fatalf("edited truth (%s) verifies", name)
			}
			t.Log(rep.Problems[0])
		})
	}
	os.WriteFile(path, orig, 0o644)
	mustVerify(t, dir)
}

func TestAddressEncoding(t *testing.T) {
	for _, net := range []*chaincfg.Params{&chaincfg.MainNetParams, &chaincfg.RegressionNetParams} {
		kr := keyring{seed: 3, net: net}
		for key := uint64(1); key < 200; key++ {
			for typ := scriptType(0); typ < numScriptTypes; typ++ {
				got := kr.address(typ, key)
				a, err := address.DecodeAddress(got, net)
				if err != nil {
					t.Fatalf("%s %s: %v", typ, got, err)
				}
				if a.EncodeAddress() != got {
					t.Fatalf("%s: %s re-encodes as %s", typ, got, a.EncodeAddress())
				}
				pk, err := addressScript(got, net)
				if err != nil || !bytes.Equal(pk, kr.pkScript(typ, key)) {
					t.Fatalf("%s %s: script %x, want %x (%v)", typ, got, pk, kr.pkScript(typ, key), err)
				}
			}
		}
		// P2SH-P2WPKH: the P2SH hash is hash160 of the redeem script 0014<hash>.
		h := kr.hash160(7)
		if want := address.Hash160(redeemScript(h)); !bytes.Equal(kr.pkScript(p2shP2wpkh, 7)[2:22], want) {
			t.Fatal("P2SH hash is not hash160 of the redeem script")
		}
	}
}

func TestSplitTaint(t *testing.T) {
	r := newRNG(1, 9)
	for i := 0; i < 2000; i++ {
		n := 1 + r.intn(8)
		parts := make([]int64, n)
		var vin int64
		for j := range parts {
			parts[j] = r.between(1, 5e9)
			vin += parts[j]
		}
		taint := r.between(0, vin)
		shares := splitTaint(taint, vin, parts)
		var sum int64
		for j, s := range shares {
			exact := float64(taint) * float64(parts[j]) / float64(vin)
			if float64(s) < exact-1.001 || float64(s) > exact+1.001 || s > parts[j] {
				t.Fatalf("share %d of part %d: %d, exact %f", j, parts[j], s, exact)
			}
			sum += s
		}
		if sum != taint {
			t.Fatalf("shares sum to %d, taint %d", sum, taint)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := map[string]Options{
		"no dir":       {Txs: MinTxs},
		"too few txs":  {Dir: "x", Txs: 10},
		"scenario":     {Dir: "x", Txs: MinTxs, Scenario: "heist"},
		"network":      {Dir: "x", Txs: MinTxs, Network: "testnet9"},
		"tiny files":   {Dir: "x", Txs: MinTxs, MaxFileSize: 1000},
		"reorder wide": {Dir: "x", Txs: MinTxs, ReorderWindow: 5000},
	}
	for name, o := range cases {
		o.EnsureDefaults()
		if err := o.Validate(); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: got %v, want an invalid-input error", name, err)
		}
	}
	ok := Options{Dir: "x", Txs: MinTxs}
	ok.EnsureDefaults()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}
