package btcrpcclient

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/errs"
)

// VerboseBlock is a block as the node describes it in JSON (getblock with
// verbosity 2 or 3), reduced to what a cross-check needs.
type VerboseBlock struct {
	Hash   chainhash.Hash
	Height int
	Prev   chainhash.Hash // zero for a genesis block
	Txs    []VerboseTx
}

// VerboseTx is a transaction of a VerboseBlock.
type VerboseTx struct {
	ID   chainhash.Hash
	Ins  []VerboseIn
	Outs []Out
}

// VerboseIn is an input: the outpoint it spends and, from Core at
// verbosity 3, the output found there.
type VerboseIn struct {
	Coinbase bool
	Spends   wire.OutPoint
	Prevout  *Out
}

// Out is an output: its value in satoshis and its script.
type Out struct {
	Value  int64
	Script []byte
}

// maxMoney is 21 million bitcoin in satoshis; no value may exceed it.
const maxMoney = 21_000_000 * 100_000_000

// VerboseBlock returns the block with hash h as the node describes it, at
// verbosity 3 (Core gives prevouts; btcd answers as for 2, without them).
// height is the height the caller expects the block at.
func (c *Client) VerboseBlock(ctx context.Context, h chainhash.Hash, height int) (*VerboseBlock, error) {
	res, err := c.call(ctx, "getblock", []any{h.String(), 3}, verboseAnswer)
	if nodeError(err, codeInvalidParam) {
		// A node that knows no verbosity 3 (older Core) is asked for 2.
		res, err = c.call(ctx, "getblock", []any{h.String(), 2}, verboseAnswer)
	}
	if nodeError(err, codeBlockNotFound) {
		return nil, errs.Wrap(errs.NotFound, err, "btcrpcclient: %s has no block %s", c.name, h)
	}
	if err != nil {
		return nil, err
	}
	vb, err := parseVerboseBlock(res)
	if err != nil {
		return nil, c.badAnswer("getblock", "%v", err)
	}
	if vb.Hash != h {
		return nil, c.badAnswer("getblock", "block %s, not %s", vb.Hash, h)
	}
	if vb.Height != height {
		return nil, c.badAnswer("getblock", "height %d for block %s, expected %d", vb.Height, h, height)
	}
	return vb, nil
}

type jsonBlock struct {
	Hash   string      `json:"hash"`
	Height *int64      `json:"height"`
	Prev   string      `json:"previousblockhash"`
	Tx     []jsonTx    `json:"tx"`    // Core
	RawTx  []jsonTx    `json:"rawtx"` // btcd
	NTx    json.Number `json:"nTx"`
}

type jsonTx struct {
	Txid string    `json:"txid"`
	Vin  []jsonIn  `json:"vin"`
	Vout []jsonOut `json:"vout"`
}

type jsonIn struct {
	Coinbase *string  `json:"coinbase"`
	Txid     string   `json:"txid"`
	Vout     *uint32  `json:"vout"`
	Prevout  *jsonOut `json:"prevout"`
}

type jsonOut struct {
	Value        json.Number `json:"value"`
	N            *uint32     `json:"n"`
	ScriptPubKey struct {
		Hex string `json:"hex"`
	} `json:"scriptPubKey"`
}

// parseVerboseBlock parses Core's and btcd's JSON of a block at verbosity
// 2 or 3 and checks its shape: hashes of 64 hex digits, a height, values
// that are whole satoshis within the money supply, outputs numbered in
// order, inputs that are a coinbase or name an outpoint.
func parseVerboseBlock(res []byte) (*VerboseBlock, error) {
	var jb jsonBlock
	d := json.NewDecoder(bytes.NewReader(res))
	d.UseNumber()
	if err := d.Decode(&jb); err != nil {
		return nil, fmt.Errorf("a block that is not a JSON object (%v)", err)
	}
	var vb VerboseBlock
	var ok bool
	if vb.Hash, ok = parseHash(jb.Hash); !ok {
		return nil, fmt.Errorf("block hash %q", truncate(jb.Hash, 80))
	}
	if jb.Height == nil || *jb.Height < 0 || *jb.Height > maxHeight {
		return nil, fmt.Errorf("no height, or one out of range")
	}
	vb.Height = int(*jb.Height)
	if jb.Prev != "" || vb.Height > 0 {
		if vb.Prev, ok = parseHash(jb.Prev); !ok {
			return nil, fmt.Errorf("previous block hash %q", truncate(jb.Prev, 80))
		}
	}
	txs := jb.Tx
	if len(jb.RawTx) > 0 {
		if len(txs) > 0 {
			return nil, fmt.Errorf("transactions under both tx and rawtx")
		}
		txs = jb.RawTx
	}
	if len(txs) == 0 {
		return nil, fmt.Errorf("no transactions (verbosity 1?)")
	}
	if jb.NTx != "" && jb.NTx.String() != fmt.Sprint(len(txs)) {
		return nil, fmt.Errorf("nTx %s for %d transactions", jb.NTx, len(txs))
	}
	vb.Txs = make([]VerboseTx, len(txs))
	for i := range txs {
		if err := parseVerboseTx(&txs[i], &vb.Txs[i]); err != nil {
			return nil, fmt.Errorf("transaction %d: %v", i, err)
		}
	}
	return &vb, nil
}

func parseVerboseTx(jt *jsonTx, t *VerboseTx) error {
	var ok bool
	if t.ID, ok = parseHash(jt.Txid); !ok {
		return fmt.Errorf("txid %q", truncate(jt.Txid, 80))
	}
	if len(jt.Vin) == 0 {
		return fmt.Errorf("no inputs")
	}
	t.Ins = make([]VerboseIn, len(jt.Vin))
	for j := range jt.Vin {
		ji, in := &jt.Vin[j], &t.Ins[j]
		if ji.Coinbase != nil {
			if len(jt.Vin) != 1 {
				return fmt.Errorf("a coinbase input among %d", len(jt.Vin))
			}
			in.Coinbase = true
			in.Spends = wire.OutPoint{Index: wire.MaxPrevOutIndex}
			continue
		}
		h, ok := parseHash(ji.Txid)
		if !ok || ji.Vout == nil {
			return fmt.Errorf("input %d names no outpoint", j)
		}
		in.Spends = wire.OutPoint{Hash: h, Index: *ji.Vout}
		if ji.Prevout != nil {
			o, err := parseOut(ji.Prevout)
			if err != nil {
				return fmt.Errorf("input %d prevout: %v", j, err)
			}
			in.Prevout = &o
		}
	}
	t.Outs = make([]Out, len(jt.Vout))
	for j := range jt.Vout {
		if jt.Vout[j].N == nil || *jt.Vout[j].N != uint32(j) {
			return fmt.Errorf("output %d is not numbered %d", j, j)
		}
		o, err := parseOut(&jt.Vout[j])
		if err != nil {
			return fmt.Errorf("output %d: %v", j, err)
		}
		t.Outs[j] = o
	}
	return nil
}

func parseOut(jo *jsonOut) (Out, error) {
	v, err := parseBTC(jo.Value)
	if err != nil {
		return Out{}, err
	}
	if len(jo.ScriptPubKey.Hex) > 2*MaxBlockSize {
		return Out{}, fmt.Errorf("script longer than a block")
	}
	s, err := hex.DecodeString(jo.ScriptPubKey.Hex)
	if err != nil {
		return Out{}, fmt.Errorf("script hex: %v", err)
	}
	return Out{Value: v, Script: s}, nil
}

// parseBTC turns a JSON amount in bitcoin into satoshis, exactly: Core
// writes 0.00001000, btcd writes a float such as 1e-08.
func parseBTC(n json.Number) (int64, error) {
	s := n.String()
	bad := func() (int64, error) {
		return 0, fmt.Errorf("value %q is not a whole number of satoshis within the money supply", truncate(s, 40))
	}
	if s == "" || len(s) > 40 || s[0] == '-' {
		return bad()
	}
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e < -40 || e > 40 {
			return bad()
		}
		mant, exp = s[:i], e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if intPart == "" || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return bad()
	}
	// value = digits × 10^(exp - len(frac)); satoshis = value × 10^8.
	shift := exp - len(frac) + 8
	digits = strings.TrimLeft(digits, "0")
	for shift < 0 {
		if digits == "" || digits[len(digits)-1] != '0' {
			if digits == "" {
				return 0, nil
			}
			return bad() // a fraction of a satoshi
		}
		digits, shift = digits[:len(digits)-1], shift+1
	}
	if digits == "" {
		return 0, nil
	}
	if len(digits)+shift > 16 {
		return bad()
	}
	v, err := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
	if err != nil || v > maxMoney {
		return bad()
	}
	return v, nil
}
