package btcindex

import (
	"encoding/binary"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/cockroachdb/pebble/v2"

	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
)

// Queries read committed state only.

// Block is a block header as indexed.
type Block struct {
	Height  int            `json:"height"`
	Hash    chainhash.Hash `json:"hash"`
	Prev    chainhash.Hash `json:"prev"`
	Time    time.Time      `json:"time"`
	TxCount int            `json:"tx_count"`
	FirstTx TxNum          `json:"first_tx"`
}

// Tx is a transaction with its inputs resolved and its outputs' spenders.
type Tx struct {
	Num      TxNum          `json:"txnum"`
	ID       chainhash.Hash `json:"txid"`
	Height   int            `json:"height"`
	Coinbase bool           `json:"coinbase"`
	Version  int32          `json:"version"`
	LockTime uint32         `json:"locktime"`
	Inputs   []Input        `json:"inputs"`
	Outputs  []Output       `json:"outputs"`
	Fee      int64          `json:"fee"` // 0 for coinbases
}

// Input is a resolved input: the output it spends.
type Input struct {
	Vin   int            `json:"vin"`
	Tx    TxNum          `json:"spent_txnum"`
	Txid  chainhash.Hash `json:"spent_txid"`
	Vout  uint32         `json:"spent_vout"`
	Value int64          `json:"value"`
	// Class is the script class of the output spent, as its address shows
	// it (P2PK outputs show as P2PKH); NonStandard and no Type for outputs
	// that pay no address.
	Class   btcscript.Class `json:"-"`
	Type    string          `json:"type,omitempty"`
	Addr    AddrID          `json:"addr_id,omitempty"`
	Address string          `json:"address,omitempty"`
}

// Output is an output with the input that spent it, if any.
type Output struct {
	Vout    uint32          `json:"vout"`
	Value   int64           `json:"value"`
	Class   btcscript.Class `json:"-"`
	Type    string          `json:"type"`
	Addr    AddrID          `json:"addr_id,omitempty"`
	Address string          `json:"address,omitempty"`
	SpentBy *Spend          `json:"spent_by,omitempty"`
}

// Spend is a spend link: the input that spent an output.
type Spend struct {
	Tx   TxNum          `json:"txnum"`
	Txid chainhash.Hash `json:"txid"`
	Vin  uint32         `json:"vin"`
}

// Outpoint is one output looked up by txid and vout.
type Outpoint struct {
	Tx     TxNum          `json:"txnum"`
	Txid   chainhash.Hash `json:"txid"`
	Height int            `json:"height"`
	Output
}

// Address is an address with its statistics and one page of its history.
type Address struct {
	ID        AddrID         `json:"addr_id"`
	Address   string         `json:"address"`
	Balance   int64          `json:"balance"`
	Received  int64          `json:"received"`
	FirstSeen int            `json:"first_seen"`
	LastSeen  int            `json:"last_seen"`
	TxCount   int            `json:"tx_count"`
	History   []HistoryEntry `json:"history"`
	// Next is the tx number to pass as from for the next page; 0 when the
	// page is the last.
	Next TxNum `json:"next,omitempty"`
}

// HistoryEntry is one transaction of an address.
type HistoryEntry struct {
	Tx       TxNum          `json:"txnum"`
	Txid     chainhash.Hash `json:"txid"`
	Height   int            `json:"height"`
	Received bool           `json:"received"`
	Spent    bool           `json:"spent"`
}

// ErrNotFound is the error of queries for what the index does not hold.
func notFound(format string, args ...any) error { return errs.E(errs.NotFound, format, args...) }

// Block returns the block at height.
func (x *Index) Block(height int) (*Block, error) {
	if height < 0 || height > 1<<31 {
		return nil, notFound("btcindex: no block at height %d", height)
	}
	v, err := x.get(key4(pBlock, uint32(height)))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, notFound("btcindex: no block at height %d", height)
	}
	br, err := decodeBlock(v)
	if err != nil {
		return nil, err
	}
	return &Block{Height: height, Hash: br.hash, Prev: br.prev, Time: time.Unix(int64(br.time), 0).UTC(), TxCount: int(br.txCount), FirstTx: br.firstTx}, nil
}

// BlockByHash returns the block with hash h.
func (x *Index) BlockByHash(h chainhash.Hash) (*Block, error) {
	x, release := x.pin()
	defer release()
	v, err := x.get(append([]byte{pBlockHash}, h[:]...))
	if err != nil {
		return nil, err
	}
	if len(v) != 4 {
		return nil, notFound("btcindex: no block %s", h)
	}
	return x.Block(int(binary.BigEndian.Uint32(v)))
}

func (x *Index) txRec(n TxNum, r *txRec) error {
	v, err := x.get(key4(pTx, uint32(n)))
	if err != nil {
		return err
	}
	if v == nil {
		return notFound("btcindex: no transaction number %d", n)
	}
	return decodeTx(v, r)
}

// txid returns the txid of tx number n.
func (x *Index) txid(n TxNum) (chainhash.Hash, error) {
	var h chainhash.Hash
	v, closer, err := x.r.Get(key4(pTx, uint32(n)))
	if err != nil {
		return h, errs.Wrap(errs.Internal, err, "btcindex: tx %d", n)
	}
	copy(h[:], v)
	closer.Close()
	return h, nil
}

// lookupTx finds the transaction with txid id; of duplicates (BIP 30) the
// latest wins, as it did in Core's UTXO set.
func (x *Index) lookupTx(id *[32]byte) (TxNum, *txRec, error) {
	lo := make([]byte, 9, 13)
	lo[0] = pTxid
	copy(lo[1:], id[:8])
	hi := append(append([]byte(nil), lo...), 0xff, 0xff, 0xff, 0xff, 0xff)
	it, err := x.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return 0, nil, errs.Wrap(errs.Internal, err, "btcindex: txid lookup")
	}
	defer it.Close()
	var rec txRec
	for ok := it.Last(); ok; ok = it.Prev() {
		k := it.Key()
		if len(k) != 13 {
			continue
		}
		n := TxNum(binary.BigEndian.Uint32(k[9:]))
		if err := x.txRec(n, &rec); err != nil {
			return 0, nil, err
		}
		if rec.id == *id {
			return n, &rec, nil
		}
	}
	if err := it.Error(); err != nil {
		return 0, nil, errs.Wrap(errs.Internal, err, "btcindex: txid lookup")
	}
	return 0, nil, notFound("btcindex: no transaction %s", chainhash.Hash(*id))
}

// TxByID returns the transaction with txid id.
func (x *Index) TxByID(id chainhash.Hash) (*Tx, error) {
	x, release := x.pin()
	defer release()
	n, _, err := x.lookupTx((*[32]byte)(&id))
	if err != nil {
		return nil, err
	}
	return x.Tx(n)
}

// Tx returns transaction number n with resolved inputs and spenders.
func (x *Index) Tx(n TxNum) (*Tx, error) {
	x, release := x.pin()
	defer release()
	var r txRec
	if err := x.txRec(n, &r); err != nil {
		return nil, err
	}
	t := &Tx{Num: n, ID: r.id, Height: int(r.height), Coinbase: r.coinbase, Version: int32(r.version), LockTime: r.lockTime}
	var in, out int64
	for i, ir := range r.ins {
		id, err := x.txid(ir.out.Tx())
		if err != nil {
			return nil, err
		}
		a, c, err := x.addrClass(ir.addr)
		if err != nil {
			return nil, err
		}
		inp := Input{Vin: i, Tx: ir.out.Tx(), Txid: id, Vout: ir.out.Vout(), Value: int64(ir.value), Class: c, Addr: ir.addr, Address: a}
		if ir.addr != 0 {
			inp.Type = c.String()
		}
		t.Inputs = append(t.Inputs, inp)
		in += int64(ir.value)
	}
	for i, or := range r.outs {
		o, err := x.output(n, uint32(i), or)
		if err != nil {
			return nil, err
		}
		t.Outputs = append(t.Outputs, o)
		out += int64(or.value)
	}
	if !r.coinbase {
		t.Fee = in - out
	}
	return t, nil
}

func (x *Index) output(n TxNum, vout uint32, or outRec) (Output, error) {
	a, err := x.addrText(or.addr)
	if err != nil {
		return Output{}, err
	}
	o := Output{Vout: vout, Value: int64(or.value), Class: or.class, Type: or.class.String(), Addr: or.addr, Address: a}
	v, err := x.get(key8(pSpent, uint32(n), vout))
	if err != nil {
		return o, err
	}
	if len(v) == 8 {
		s := &Spend{Tx: TxNum(binary.BigEndian.Uint32(v)), Vin: binary.BigEndian.Uint32(v[4:])}
		if s.Txid, err = x.txid(s.Tx); err != nil {
			return o, err
		}
		o.SpentBy = s
	}
	return o, nil
}

// Outpoint returns output vout of transaction txid, with its spender.
func (x *Index) Outpoint(txid chainhash.Hash, vout uint32) (*Outpoint, error) {
	x, release := x.pin()
	defer release()
	n, r, err := x.lookupTx((*[32]byte)(&txid))
	if err != nil {
		return nil, err
	}
	if int(vout) >= len(r.outs) {
		return nil, notFound("btcindex: transaction %s has no output %d", txid, vout)
	}
	o, err := x.output(n, vout, r.outs[vout])
	if err != nil {
		return nil, err
	}
	return &Outpoint{Tx: n, Txid: txid, Height: int(r.height), Output: o}, nil
}

// addrText renders address id a ("" for 0).
func (x *Index) addrText(a AddrID) (string, error) {
	if a == 0 {
		return "", nil
	}
	k, err := x.get(key4(pAddrKey, uint32(a)))
	if err != nil {
		return "", err
	}
	return addrText(k, x.Network()), nil
}

// addrClass renders address id a with the script class of its key.
func (x *Index) addrClass(a AddrID) (string, btcscript.Class, error) {
	if a == 0 {
		return "", btcscript.NonStandard, nil
	}
	k, err := x.get(key4(pAddrKey, uint32(a)))
	if err != nil || len(k) == 0 {
		return "", btcscript.NonStandard, err
	}
	return addrText(k, x.Network()), btcscript.Class(k[0]), nil
}

// AddressID returns the id of an address given as text.
func (x *Index) AddressID(text string) (AddrID, error) {
	k, err := parseAddr(text, x.Network())
	if err != nil {
		return 0, err
	}
	for {
		v, err := x.get(append([]byte{pAddr}, k...))
		if err != nil {
			return 0, err
		}
		if len(v) == 4 {
			return AddrID(binary.BigEndian.Uint32(v)), nil
		}
		if btcscript.Class(k[0]) != btcscript.Multisig {
			return 0, notFound("btcindex: address %s never appears on the indexed chain", text)
		}
		k[0] = byte(btcscript.NonStandard) // script:<hash> names either kind
	}
}

// Address returns the address text's statistics and up to limit entries of
// its history from tx number from on.
func (x *Index) Address(text string, from TxNum, limit int) (*Address, error) {
	x, release := x.pin()
	defer release()
	id, err := x.AddressID(text)
	if err != nil {
		return nil, err
	}
	return x.AddressByID(id, from, limit)
}

// AddressByID is Address for an address id.
func (x *Index) AddressByID(id AddrID, from TxNum, limit int) (*Address, error) {
	x, release := x.pin()
	defer release()
	v, err := x.get(key4(pAddrStat, uint32(id)))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, notFound("btcindex: no address id %d", id)
	}
	st, err := decodeStat(v)
	if err != nil {
		return nil, err
	}
	text, err := x.addrText(id)
	if err != nil {
		return nil, err
	}
	a := &Address{ID: id, Address: text, Balance: int64(st.balance), Received: int64(st.received),
		FirstSeen: int(st.first), LastSeen: int(st.last), TxCount: int(st.txs), History: []HistoryEntry{}}
	if limit <= 0 {
		return a, nil
	}
	it, err := x.r.NewIter(&pebble.IterOptions{LowerBound: key8(pHistory, uint32(id), uint32(from)), UpperBound: key4(pHistory, uint32(id)+1)})
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: history")
	}
	defer it.Close()
	var rec txRec
	for ok := it.First(); ok; ok = it.Next() {
		n := TxNum(binary.BigEndian.Uint32(it.Key()[5:]))
		if len(a.History) == limit {
			a.Next = n
			break
		}
		f := it.Value()
		if err := x.txRec(n, &rec); err != nil {
			return nil, err
		}
		a.History = append(a.History, HistoryEntry{Tx: n, Txid: rec.id, Height: int(rec.height),
			Received: len(f) > 0 && f[0]&histReceived != 0, Spent: len(f) > 0 && f[0]&histSpent != 0})
	}
	if err := it.Error(); err != nil {
		return nil, errs.Wrap(errs.Internal, err, "btcindex: history")
	}
	return a, nil
}
