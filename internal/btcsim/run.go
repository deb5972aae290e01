package btcsim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

var (
	exchangeNames = []string{"Kestrel Exchange", "Harbor Exchange", "Summit Exchange", "Lantern Exchange", "Meridian Exchange", "Quarry Exchange"}
	exchangeTypes = []scriptType{p2wpkh, p2shP2wpkh, p2pkh, p2wpkh, p2tr, p2shP2wpkh}
	otcNames      = []string{"Tidewater OTC", "Ridge OTC"}
	minerNames    = []string{"Aurora Pool", "Borealis Pool", "Cirrus Pool", "Delta Pool"}
	minerWeights  = []int{35, 30, 20, 15}
	poolDenoms    = []int64{100_000, 1_000_000, 5_000_000, 50_000_000} // 0.001, 0.01, 0.05, 0.5 BTC
)

func (s *sim) setup() {
	for i, n := range minerNames {
		e := s.newEntity(KindMiner, entityID(KindMiner, i), n, []scriptType{p2wpkh, p2pkh, p2shP2wpkh, p2wpkh}[i])
		s.ents[e].reuse = true
		s.miners = append(s.miners, minerState{ent: e, weight: minerWeights[i]})
	}
	for i, n := range exchangeNames {
		e := s.newEntity(KindExchange, entityID(KindExchange, i), n, exchangeTypes[i])
		s.ents[e].home = int32(i)
		s.exch = append(s.exch, exchangeState{ent: e, depKeys: map[int64]uint64{}, victim: i == 0})
	}
	for i, n := range otcNames {
		e := s.newEntity(KindOTC, entityID(KindOTC, i), n, []scriptType{p2wpkh, p2pkh}[i])
		s.ents[e].reuse = true
		s.otc = append(s.otc, e)
	}
	s.whirlCo = s.newEntity(KindCoinJoin, entityID(KindCoinJoin, 0), "Whirlpool coordinator", p2wpkh)
	s.wasabiCo = s.newEntity(KindCoinJoin, entityID(KindCoinJoin, 1), "Wasabi coordinator", p2wpkh)
	s.ents[s.wasabiCo].reuse = true
	s.attacker = s.newEntity(KindAttacker, entityID(KindAttacker, 0), "Lazarus Group", p2wpkh)
	for _, d := range poolDenoms {
		fee := d / 20 // 5% of the denomination
		if d == 50_000_000 {
			fee = 1_750_000
		}
		s.pools = append(s.pools, pool{denom: d, poolFee: fee})
	}
	for i := 0; i < s.o.Users; i++ {
		typ := p2wpkh
		switch x := s.r.intn(100); {
		case x < 15:
			typ = p2pkh
		case x < 35:
			typ = p2shP2wpkh
		case x < 80:
			typ = p2wpkh
		default:
			typ = p2tr
		}
		e := s.newEntity(KindUser, entityID(KindUser, i), "", typ)
		en := &s.ents[e]
		en.reuse = s.r.chance(0.15)
		en.mixer = s.r.chance(0.12)
		en.home = int32(s.r.intn(len(s.exch)))
		s.users = append(s.users, e)
	}
	s.h0 = coinbaseMaturity + 1
	s.active = int(max((s.o.Txs-int64(s.h0))/int64(s.o.TxsPerBlock), 50))
	s.feeRate = 10
	s.att.init(s)
}

// span is a fraction of the expected active period, in blocks (at least 1).
func (s *sim) span(f float64) int { return max(1, int(f*float64(s.active))) }

type blockJob struct {
	height int
	txs    []*wire.MsgTx
	txids  []chainhash.Hash
	time   uint32
	nonce  uint32
}

type blockResult struct {
	height int
	cbTxid chainhash.Hash
	hash   chainhash.Hash
	err    error
}

func (s *sim) run() (*Summary, error) {
	ids := make([]string, len(s.ents))
	for i := range s.ents {
		ids[i] = s.ents[i].id
	}
	ow, err := newOwnerWriter(s.o.Dir, s.kr, ids)
	if err != nil {
		return nil, err
	}
	defer ow.cleanup()
	s.ownerSink = make(chan []ownerEvent, 16)
	ownerDone := make(chan error, 1)
	go func() { ownerDone <- ow.run(s.ownerSink) }()

	var xor []byte
	if s.o.Xor {
		xor = make([]byte, 8)
		newRNG(s.o.Seed, 3).fill(xor)
		if err := os.WriteFile(filepath.Join(s.o.Dir, xorKeyFile), xor, 0o644); err != nil {
			close(s.ownerSink)
			<-ownerDone
			return nil, err
		}
	}
	bw := &blockWriter{
		files:  newBlockFileWriter(s.o.Dir, s.net.Net, s.o.MaxFileSize, s.o.PreallocChunk, xor),
		window: s.o.ReorderWindow,
		r:      newRNG(s.o.Seed, 4),
	}
	jobs := make(chan *blockJob, 2)
	results := make(chan blockResult, 8)
	go bw.run(jobs, results)

	var (
		runErr   error
		tip      chainhash.Hash
		blocks   int
		nonceR   = newRNG(s.o.Seed, 5)
		ts       = uint32(genesisTime)
		results2 = results
	)
	record := func(r blockResult) {
		if r.err != nil && runErr == nil {
			runErr = r.err
		}
		for len(s.cbTxid) <= r.height {
			s.cbTxid = append(s.cbTxid, chainhash.Hash{})
		}
		s.cbTxid[r.height] = r.cbTxid
		tip = r.hash
		blocks++
	}
	s.waitCoinbase = func(h int) chainhash.Hash {
		for len(s.cbTxid) <= h {
			r, ok := <-results2
			if !ok {
				break
			}
			record(r)
		}
		if len(s.cbTxid) <= h {
			return chainhash.Hash{}
		}
		return s.cbTxid[h]
	}
	for h := 0; runErr == nil; h++ {
		if err := s.ctx.Err(); err != nil {
			runErr = err
			break
		}
		s.height = h
		s.fees = 0
		s.txs = make([]*wire.MsgTx, 1, s.o.TxsPerBlock*13/10+8)
		s.txids = make([]chainhash.Hash, 1, cap(s.txs))
		s.attackTxs = 0
		if h >= s.h0 {
			s.activity()
		}
		s.txs[0] = s.coinbase(h)
		ts += uint32(60 + s.r.intn(1080))
		job := &blockJob{height: h, txs: s.txs, txids: s.txids, time: ts, nonce: uint32(nonceR.next())}
		for sent := false; !sent; {
			select {
			case jobs <- job:
				sent = true
			case r := <-results:
				record(r)
			}
		}
		s.dispatch()
		s.totalTxs += int64(len(job.txs))
		if s.totalTxs >= s.o.Txs {
			break
		}
	}
	close(jobs)
	for r := range results {
		record(r)
	}
	s.flushOwners()
	close(s.ownerSink)
	if err := <-ownerDone; err != nil && runErr == nil {
		runErr = err
	}
	if bw.err != nil && runErr == nil {
		runErr = bw.err
	}
	if runErr != nil {
		return nil, runErr
	}
	if err := s.writeTruth(ow, blocks, tip); err != nil {
		return nil, err
	}
	return &Summary{
		Dir: s.o.Dir, Network: networkName(s.net), Scenario: s.o.Scenario, Seed: s.o.Seed,
		Blocks: blocks, Txs: s.totalTxs, Files: bw.files.files, Bytes: bw.files.bytes,
		TipHash: tip.String(), StolenSats: s.truth.StolenSats, CashOuts: len(s.truth.CashOuts),
		PeelChains: len(s.truth.PeelChains), CoinJoins: len(s.truth.CoinJoins),
	}, nil
}

// coinbase pays the block's miner the subsidy plus fees, with the BIP34
// height first in its scriptSig. The witness commitment is added by the
// block writer, which computes the witness txids.
func (s *sim) coinbase(h int) *wire.MsgTx {
	x := s.r.intn(100)
	mi := 0
	for acc := 0; mi < len(s.miners)-1; mi++ {
		acc += s.miners[mi].weight
		if x < acc {
			break
		}
	}
	m := &s.miners[mi]
	if h == 0 {
		m = &s.miners[0]
	}
	value := subsidy(s.net, h) + s.fees
	key := s.recvKey(m.ent)
	typ := s.ents[m.ent].typ
	sig := bip34Height(h)
	tag := []byte("/" + s.ents[m.ent].name + "/")
	sig = append(sig, byte(len(tag)))
	sig = append(sig, tag...)
	var extra [8]byte
	binary.LittleEndian.PutUint64(extra[:], s.r.next())
	sig = append(sig, 8)
	sig = append(sig, extra[:]...)
	tx := &wire.MsgTx{Version: 2,
		TxIn:  []*wire.TxIn{{PreviousOutPoint: wire.OutPoint{Index: 0xffffffff}, SignatureScript: sig, Sequence: 0xffffffff}},
		TxOut: []*wire.TxOut{{Value: value, PkScript: s.kr.pkScript(typ, key)}},
	}
	if h > 0 && value > 0 {
		m.cb = append(m.cb, cbCoin{height: int32(h), value: value, key: key})
	}
	return tx
}

// bip34Height encodes a height as Bitcoin Core's CScript() << height does:
// OP_0, OP_1..OP_16, or a minimal little-endian push.
func bip34Height(h int) []byte {
	switch {
	case h == 0:
		return []byte{0x00}
	case h <= 16:
		return []byte{0x50 + byte(h)}
	}
	var b []byte
	for v := h; v > 0; v >>= 8 {
		b = append(b, byte(v))
	}
	if b[len(b)-1]&0x80 != 0 {
		b = append(b, 0)
	}
	return append([]byte{byte(len(b))}, b...)
}

// blockWriter finishes blocks (witness commitment, merkle root, header) and
// stores them, shuffled within windows as a node stores blocks as they
// arrive from several peers.
type blockWriter struct {
	files  *blockFileWriter
	window int
	r      *rng
	prev   chainhash.Hash
	group  [][]byte
	err    error
}

func (w *blockWriter) run(jobs <-chan *blockJob, results chan<- blockResult) {
	defer close(results)
	for job := range jobs {
		if w.err != nil {
			results <- blockResult{height: job.height, err: w.err}
			continue
		}
		data, cb, hash := w.finish(job)
		w.group = append(w.group, data)
		if len(w.group) >= w.window {
			w.flushGroup()
		}
		results <- blockResult{height: job.height, cbTxid: cb, hash: hash, err: w.err}
	}
	if w.err == nil {
		w.flushGroup()
	}
	if w.err == nil {
		w.err = w.files.closeFile(true)
	}
}

func (w *blockWriter) flushGroup() {
	shuffle(w.r, w.group)
	for _, b := range w.group {
		if w.err == nil {
			w.err = w.files.writeBlock(b)
		}
	}
	w.group = w.group[:0]
}

var witnessCommitmentPrefix = []byte{0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed}

func (w *blockWriter) finish(job *blockJob) ([]byte, chainhash.Hash, chainhash.Hash) {
	txs := job.txs
	cb := txs[0]
	hasWitness := false
	for _, tx := range txs[1:] {
		if tx.HasWitness() {
			hasWitness = true
			break
		}
	}
	if hasWitness {
		wtxids := make([]chainhash.Hash, len(txs))
		for i, tx := range txs[1:] {
			wtxids[i+1] = tx.WitnessHash()
		}
		root := merkleRoot(wtxids)
		var buf [64]byte
		copy(buf[:32], root[:])
		c := chainhash.DoubleHashH(buf[:])
		pk := append(append([]byte{}, witnessCommitmentPrefix...), c[:]...)
		cb.TxOut = append(cb.TxOut, &wire.TxOut{Value: 0, PkScript: pk})
		cb.TxIn[0].Witness = wire.TxWitness{make([]byte, 32)}
	}
	job.txids[0] = cb.TxHash()
	block := wire.MsgBlock{Header: wire.BlockHeader{
		Version:    0x20000000,
		PrevBlock:  w.prev,
		MerkleRoot: merkleRoot(job.txids),
		Timestamp:  time.Unix(int64(job.time), 0),
		Bits:       regtestBits,
		Nonce:      job.nonce,
	}, Transactions: txs}
	hash := block.Header.BlockHash()
	w.prev = hash
	data := bytes.NewBuffer(make([]byte, 0, block.SerializeSize()))
	if err := block.Serialize(data); err != nil && w.err == nil {
		w.err = err
	}
	return data.Bytes(), job.txids[0], hash
}

// merkleRoot is Bitcoin's merkle root: pairs hashed with double SHA-256,
// an odd last hash paired with itself.
func merkleRoot(hashes []chainhash.Hash) chainhash.Hash {
	if len(hashes) == 0 {
		return chainhash.Hash{}
	}
	level := append([]chainhash.Hash(nil), hashes...)
	var buf [64]byte
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:0]
		for i := 0; i < len(level); i += 2 {
			copy(buf[:32], level[i][:])
			copy(buf[32:], level[i+1][:])
			next = append(next, chainhash.DoubleHashH(buf[:]))
		}
		level = next
	}
	return level[0]
}

// ownerWriter turns key allocations into the owners and deposit_addresses
// sections of truth.json, streamed to temporary files so that no address
// list is held in memory.
type ownerWriter struct {
	kr     keyring
	ids    []string
	files  [2]*os.File
	bufs   [2]*bufio.Writer
	counts [2]int
}

func newOwnerWriter(dir string, kr keyring, ids []string) (*ownerWriter, error) {
	w := &ownerWriter{kr: kr, ids: ids}
	for i, n := range []string{".owners.tmp", ".deposits.tmp"} {
		f, err := os.Create(filepath.Join(dir, n))
		if err != nil {
			w.cleanup()
			return nil, err
		}
		w.files[i] = f
		w.bufs[i] = bufio.NewWriterSize(f, 1<<20)
	}
	return w, nil
}

func (w *ownerWriter) run(ch <-chan []ownerEvent) error {
	var err error
	line := make([]byte, 0, 128)
	for batch := range ch {
		if err != nil {
			continue
		}
		for _, ev := range batch {
			addr := w.kr.address(ev.typ, ev.key)
			for i := 0; i < 2; i++ {
				if i == 1 && !ev.deposit {
					continue
				}
				line = line[:0]
				if w.counts[i] > 0 {
					line = append(line, ',')
				}
				line = append(line, "\n    \""...)
				line = append(line, addr...)
				line = append(line, "\": \""...)
				line = append(line, w.ids[ev.ent]...)
				line = append(line, '"')
				w.counts[i]++
				if _, e := w.bufs[i].Write(line); e != nil {
					err = e
				}
			}
		}
	}
	for i := range w.bufs {
		if e := w.bufs[i].Flush(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (w *ownerWriter) cleanup() {
	for _, f := range w.files {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

func (s *sim) writeTruth(ow *ownerWriter, blocks int, tip chainhash.Hash) error {
	t := &s.truth
	t.Version = 1
	t.Network = networkName(s.net)
	t.Seed = s.o.Seed
	t.Scenario = s.o.Scenario
	t.Blocks = blocks
	t.Txs = s.totalTxs
	t.TipHash = tip.String()
	t.AttackerAddresses = s.att.addresses
	t.PeelChains = make([]PeelChain, 0, len(s.att.chains))
	for _, c := range s.att.chains {
		if len(c.Txids) > 0 {
			t.PeelChains = append(t.PeelChains, c.PeelChain)
		}
	}
	var held int64
	for _, r := range s.taints {
		held += r
	}
	t.Taint = TaintBalance{Stolen: t.StolenSats, CashOuts: s.tb.cashOuts, OtherServices: s.tb.otherServices, Fees: s.tb.toFees, Held: held}
	if !t.Taint.balanced() {
		return fmt.Errorf("btcsim: internal error: taint does not balance: %+v", t.Taint)
	}
	for i := range s.ents {
		e := &s.ents[i]
		t.Entities = append(t.Entities, Entity{ID: e.id, Kind: e.kind, Name: e.name})
	}
	for _, x := range s.exch {
		ex := Exchange{ID: s.ents[x.ent].id, Name: s.ents[x.ent].name, Victim: x.victim, HotWallets: []string{}}
		for _, k := range x.hot {
			if k != 0 {
				ex.HotWallets = append(ex.HotWallets, s.kr.address(s.ents[x.ent].typ, k))
			}
		}
		t.Exchanges = append(t.Exchanges, ex)
	}
	if t.Thefts == nil {
		t.Thefts = []Theft{}
	}
	if t.CashOuts == nil {
		t.CashOuts = []CashOut{}
	}
	if t.CoinJoins == nil {
		t.CoinJoins = []CoinJoin{}
	}
	if t.AttackerTxs == nil {
		t.AttackerTxs = []AttackerTx{}
	}
	if t.AttackerAddresses == nil {
		t.AttackerAddresses = []string{}
	}
	head, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	marker := []byte("\n  \"owners\": null")
	i := bytes.Index(head, marker)
	if i < 0 {
		return fmt.Errorf("btcsim: internal error: truth layout")
	}
	f, err := os.Create(filepath.Join(s.o.Dir, "truth.json"))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	bw.Write(head[:i])
	for j, name := range []string{"owners", "deposit_addresses"} {
		if j > 0 {
			bw.WriteString(",")
		}
		fmt.Fprintf(bw, "\n  %q: {", name)
		if _, err := ow.files[j].Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := io.Copy(bw, ow.files[j]); err != nil {
			return err
		}
		bw.WriteString("\n  }")
	}
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
