package btcindex

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcscript"
)

// prepBlock is a block with what connecting it needs that depends on the
// block alone, in flat arrays: txids, inputs' outpoints, each output's
// value, class and address key. It comes from a decoded block (prepare)
// or straight from the serialized one (parseBlock), on goroutines other
// than the one that connects.
type prepBlock struct {
	hash, prev chainhash.Hash
	time       uint32
	txs        []prepTx
	ins        []wire.OutPoint // every input of the block, in order
	outs       []prepOut       // every output of the block, in order
}

type prepTx struct {
	id        chainhash.Hash
	version   uint32 // nVersion's bits
	lockTime  uint32
	nIn, nOut uint32
}

type prepOut struct {
	value       int64
	key         addrKey
	class       btcscript.Class
	hasKey      bool
	unspendable bool
}

// coinbase reports whether the i'th transaction, whose inputs are ins, is
// the block's coinbase.
func coinbase(i int, ins []wire.OutPoint) bool {
	return i == 0 && len(ins) == 1 && ins[0].Index == wire.MaxPrevOutIndex && ins[0].Hash == chainhash.Hash{}
}

// setOut classifies an output script into o.
func setOut(o *prepOut, value int64, pk []byte, buf []byte) []byte {
	s := btcscript.Classify(pk)
	o.value, o.class, o.unspendable = value, s.Class, s.Unspendable()
	buf, o.hasKey = addrKeyOf(buf[:0], &s, pk)
	if o.hasKey {
		o.key.n = uint8(copy(o.key.b[:], buf))
	}
	return buf
}

// prepare prepares a decoded block.
func prepare(b *wire.MsgBlock) *prepBlock {
	p := &prepBlock{hash: b.BlockHash(), prev: b.Header.PrevBlock, time: uint32(b.Header.Timestamp.Unix()),
		txs: make([]prepTx, len(b.Transactions))}
	nIn, nOut := 0, 0
	for _, tx := range b.Transactions {
		nIn, nOut = nIn+len(tx.TxIn), nOut+len(tx.TxOut)
	}
	p.ins, p.outs = make([]wire.OutPoint, 0, nIn), make([]prepOut, nOut)
	var buf []byte
	k := 0
	for i, tx := range b.Transactions {
		p.txs[i] = prepTx{id: tx.TxHash(), version: uint32(tx.Version), lockTime: tx.LockTime, nIn: uint32(len(tx.TxIn)), nOut: uint32(len(tx.TxOut))}
		for _, in := range tx.TxIn {
			p.ins = append(p.ins, in.PreviousOutPoint)
		}
		for _, out := range tx.TxOut {
			buf = setOut(&p.outs[k], out.Value, out.PkScript, buf)
			k++
		}
	}
	return p
}

// Limits of the serialization, as btcd's wire package enforces them, so
// that a block either parses here and decodes there, or neither.
const (
	maxScriptSize = 4_000_000 // a script or a witness item
	minTxSize     = 10        // version, two counts, locktime
	minInSize     = 41        // outpoint, script length, sequence
	minOutSize    = 9         // value, script length
)

var errShort = errors.New("the block ends inside a field")

// parser reads a serialized block.
type parser struct {
	b   []byte
	off int
}

func (r *parser) need(n int) error {
	if n < 0 || len(r.b)-r.off < n {
		return errShort
	}
	return nil
}

func (r *parser) u32() (uint32, error) {
	if err := r.need(4); err != nil {
		return 0, err
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

// varint reads a CompactSize and refuses non-canonical encodings, as wire
// does.
func (r *parser) varint() (uint64, error) {
	if err := r.need(1); err != nil {
		return 0, err
	}
	d := r.b[r.off]
	r.off++
	var v, min uint64
	switch d {
	case 0xff:
		if err := r.need(8); err != nil {
			return 0, err
		}
		v, min = binary.LittleEndian.Uint64(r.b[r.off:]), 1<<32
		r.off += 8
	case 0xfe:
		if err := r.need(4); err != nil {
			return 0, err
		}
		v, min = uint64(binary.LittleEndian.Uint32(r.b[r.off:])), 1<<16
		r.off += 4
	case 0xfd:
		if err := r.need(2); err != nil {
			return 0, err
		}
		v, min = uint64(binary.LittleEndian.Uint16(r.b[r.off:])), 0xfd
		r.off += 2
	default:
		return uint64(d), nil
	}
	if v < min {
		return 0, fmt.Errorf("non-canonical CompactSize %d", v)
	}
	return v, nil
}

// count reads a CompactSize that counts items of at least size bytes each.
func (r *parser) count(size int, what string) (int, error) {
	n, err := r.varint()
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.b)-r.off)/uint64(size) {
		return 0, fmt.Errorf("%d %s cannot fit in the %d bytes left", n, what, len(r.b)-r.off)
	}
	return int(n), nil
}

// script reads a length-prefixed script and returns it (a slice of the
// block).
func (r *parser) script() ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if n > maxScriptSize {
		return nil, fmt.Errorf("a script of %d bytes", n)
	}
	if err := r.need(int(n)); err != nil {
		return nil, err
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

// parseBlock parses a serialized block (with witnesses) without decoding
// it into objects: txids are hashed from the bytes, scripts are classified
// where they lie. It accepts exactly what wire's MsgBlock.Deserialize
// accepts, with nothing after the last transaction.
func parseBlock(raw []byte) (*prepBlock, error) {
	if len(raw) < blockHeaderSize {
		return nil, fmt.Errorf("%d bytes, fewer than a block header", len(raw))
	}
	p := &prepBlock{hash: chainhash.DoubleHashH(raw[:blockHeaderSize])}
	copy(p.prev[:], raw[4:36])
	p.time = binary.LittleEndian.Uint32(raw[68:72])
	r := parser{b: raw, off: blockHeaderSize}
	n, err := r.count(minTxSize, "transactions")
	if err != nil {
		return nil, err
	}
	p.txs = make([]prepTx, n)
	// A first guess of the inputs and outputs: two of each a transaction.
	p.ins, p.outs = make([]wire.OutPoint, 0, 2*n), make([]prepOut, 0, 2*n)
	var buf []byte
	for i := range p.txs {
		if buf, err = r.tx(p, &p.txs[i], buf); err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
	}
	if r.off != len(raw) {
		return nil, fmt.Errorf("%d bytes after the block's last transaction", len(raw)-r.off)
	}
	return p, nil
}

const blockHeaderSize = 80

func (r *parser) tx(p *prepBlock, t *prepTx, buf []byte) ([]byte, error) {
	start := r.off
	var err error
	if t.version, err = r.u32(); err != nil {
		return buf, err
	}
	nIn, err := r.count(minInSize, "inputs")
	if err != nil {
		return buf, err
	}
	witness, body := false, 0 // body: the inputs' count, as the txid serializes it
	if nIn == 0 {
		// The marker of a transaction with witnesses; the flag follows.
		if err := r.need(1); err != nil {
			return buf, err
		}
		if r.b[r.off] != 1 {
			return buf, fmt.Errorf("witness flag %#x, not 1", r.b[r.off])
		}
		r.off++
		witness, body = true, r.off
		if nIn, err = r.count(minInSize, "inputs"); err != nil {
			return buf, err
		}
	}
	for range nIn {
		if err := r.need(36); err != nil {
			return buf, err
		}
		var op wire.OutPoint
		copy(op.Hash[:], r.b[r.off:])
		op.Index = binary.LittleEndian.Uint32(r.b[r.off+32:])
		r.off += 36
		if _, err := r.script(); err != nil {
			return buf, err
		}
		if _, err := r.u32(); err != nil { // sequence
			return buf, err
		}
		p.ins = append(p.ins, op)
	}
	nOut, err := r.count(minOutSize, "outputs")
	if err != nil {
		return buf, err
	}
	for range nOut {
		if err := r.need(8); err != nil {
			return buf, err
		}
		v := int64(binary.LittleEndian.Uint64(r.b[r.off:]))
		r.off += 8
		pk, err := r.script()
		if err != nil {
			return buf, err
		}
		p.outs = append(p.outs, prepOut{})
		buf = setOut(&p.outs[len(p.outs)-1], v, pk, buf)
	}
	bodyEnd := r.off
	if witness {
		some := false
		for range nIn {
			items, err := r.count(1, "witness items")
			if err != nil {
				return buf, err
			}
			some = some || items > 0
			for range items {
				if _, err := r.script(); err != nil {
					return buf, err
				}
			}
		}
		if !some {
			return buf, errors.New("a witness flag without witnesses")
		}
	}
	if t.lockTime, err = r.u32(); err != nil {
		return buf, err
	}
	t.nIn, t.nOut = uint32(nIn), uint32(nOut)
	if !witness {
		t.id = chainhash.DoubleHashH(r.b[start:r.off])
		return buf, nil
	}
	// The txid leaves out the marker, the flag and the witnesses.
	h := sha256.New()
	h.Write(r.b[start : start+4])
	h.Write(r.b[body:bodyEnd])
	h.Write(r.b[r.off-4 : r.off])
	var first [32]byte
	h.Sum(first[:0])
	t.id = sha256.Sum256(first[:])
	return buf, nil
}
