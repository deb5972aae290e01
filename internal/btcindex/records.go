package btcindex

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/chainhash/v2"

	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
)

// Values are uvarint sequences; a record is decoded front to back.

type inRec struct {
	out   OutID
	value uint64
	addr  AddrID
}

type outRec struct {
	value uint64
	addr  AddrID
	class btcscript.Class
}

// txRec: txid32, height, flags (1 coinbase), nIn, {txnum, vout, value, addr}...,
// nOut, {value, addr, class}..., version, locktime. Records written before
// version and locktime were kept end after the outputs; they read as 0.
type txRec struct {
	id       chainhash.Hash
	height   uint32
	coinbase bool
	ins      []inRec
	outs     []outRec
	version  uint32 // nVersion as unsigned bits
	lockTime uint32
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func (r *txRec) encode(b []byte) []byte {
	b = append(b, r.id[:]...)
	b = appendUvarint(b, uint64(r.height))
	flags := byte(0)
	if r.coinbase {
		flags = 1
	}
	b = append(b, flags)
	b = appendUvarint(b, uint64(len(r.ins)))
	for _, in := range r.ins {
		b = appendUvarint(b, uint64(in.out.Tx()))
		b = appendUvarint(b, uint64(in.out.Vout()))
		b = appendUvarint(b, in.value)
		b = appendUvarint(b, uint64(in.addr))
	}
	b = appendUvarint(b, uint64(len(r.outs)))
	for _, o := range r.outs {
		b = appendUvarint(b, o.value)
		b = appendUvarint(b, uint64(o.addr))
		b = append(b, byte(o.class))
	}
	b = appendUvarint(b, uint64(r.version))
	return appendUvarint(b, uint64(r.lockTime))
}

type reader struct {
	b   []byte
	bad bool
}

func (r *reader) uv() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		r.b = nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) byte1() byte {
	if len(r.b) == 0 {
		r.bad = true
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

var errCorrupt = errs.E(errs.Internal, "btcindex: corrupt record")

func decodeTx(v []byte, r *txRec) error {
	if len(v) < 32 {
		return errCorrupt
	}
	copy(r.id[:], v)
	rd := reader{b: v[32:]}
	r.height = uint32(rd.uv())
	r.coinbase = rd.byte1()&1 != 0
	n := rd.uv()
	if n > uint64(len(v)) {
		return errCorrupt
	}
	r.ins = r.ins[:0]
	for range n {
		tx, vout := rd.uv(), rd.uv()
		r.ins = append(r.ins, inRec{out: MakeOutID(TxNum(tx), uint32(vout)), value: rd.uv(), addr: AddrID(rd.uv())})
	}
	n = rd.uv()
	if n > uint64(len(v)) {
		return errCorrupt
	}
	r.outs = r.outs[:0]
	for range n {
		r.outs = append(r.outs, outRec{value: rd.uv(), addr: AddrID(rd.uv()), class: btcscript.Class(rd.byte1())})
	}
	r.version, r.lockTime = 0, 0
	if len(rd.b) > 0 {
		r.version, r.lockTime = uint32(rd.uv()), uint32(rd.uv())
	}
	if rd.bad {
		return errCorrupt
	}
	return nil
}

// blockRec: hash32, prev32, time, txcount, firsttx.
type blockRec struct {
	hash, prev chainhash.Hash
	time       uint32
	txCount    uint32
	firstTx    TxNum
}

func (r *blockRec) encode() []byte {
	b := make([]byte, 0, 80)
	b = append(b, r.hash[:]...)
	b = append(b, r.prev[:]...)
	b = appendUvarint(b, uint64(r.time))
	b = appendUvarint(b, uint64(r.txCount))
	return appendUvarint(b, uint64(r.firstTx))
}

func decodeBlock(v []byte) (blockRec, error) {
	var r blockRec
	if len(v) < 64 {
		return r, errCorrupt
	}
	copy(r.hash[:], v)
	copy(r.prev[:], v[32:])
	rd := reader{b: v[64:]}
	r.time = uint32(rd.uv())
	r.txCount = uint32(rd.uv())
	r.firstTx = TxNum(rd.uv())
	if rd.bad {
		return r, errCorrupt
	}
	return r, nil
}

// addrStat: balance, received, first height, last height, tx count.
type addrStat struct {
	balance  uint64
	received uint64
	first    uint32
	last     uint32
	txs      uint32
}

func (s *addrStat) encode(b []byte) []byte {
	b = appendUvarint(b, s.balance)
	b = appendUvarint(b, s.received)
	b = appendUvarint(b, uint64(s.first))
	b = appendUvarint(b, uint64(s.last))
	return appendUvarint(b, uint64(s.txs))
}

func decodeStat(v []byte) (addrStat, error) {
	rd := reader{b: v}
	s := addrStat{balance: rd.uv(), received: rd.uv(), first: uint32(rd.uv()), last: uint32(rd.uv()), txs: uint32(rd.uv())}
	if rd.bad {
		return s, errCorrupt
	}
	return s, nil
}

// History flags.
const (
	histReceived = 1
	histSpent    = 2
)

// undo record: first new address id, count, {addr id, stat length, stat}...
type undoRec struct {
	nextID AddrID
	prior  []undoStat
}

type undoStat struct {
	addr AddrID
	stat addrStat
}

func (u *undoRec) encode(b []byte) []byte {
	b = appendUvarint(b, uint64(u.nextID))
	b = appendUvarint(b, uint64(len(u.prior)))
	for _, p := range u.prior {
		b = appendUvarint(b, uint64(p.addr))
		b = p.stat.encode(b)
	}
	return b
}

func decodeUndo(v []byte) (undoRec, error) {
	rd := reader{b: v}
	u := undoRec{nextID: AddrID(rd.uv())}
	n := rd.uv()
	if n > uint64(len(v)) {
		return u, errCorrupt
	}
	for range n {
		a := AddrID(rd.uv())
		s := addrStat{balance: rd.uv(), received: rd.uv(), first: uint32(rd.uv()), last: uint32(rd.uv()), txs: uint32(rd.uv())}
		u.prior = append(u.prior, undoStat{a, s})
	}
	if rd.bad {
		return u, errCorrupt
	}
	return u, nil
}
