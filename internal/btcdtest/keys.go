package btcdtest

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// Key is a key the test owns, with its P2PKH and P2WPKH scripts and
// regtest addresses.
type Key struct {
	priv          *btcec.PrivateKey
	Script        []byte // P2PKH
	Address       string // P2PKH, base58
	WitnessScript []byte // P2WPKH
	WitnessAddr   string // P2WPKH, bech32
}

// NewKey derives a key from seed; the same seed gives the same key.
func NewKey(seed byte) *Key {
	b := bytes.Repeat([]byte{seed}, 32)
	b[0] = 0x01 // keep the scalar far below the group order
	priv, pub := btcec.PrivKeyFromBytes(b)
	h := address.Hash160(pub.SerializeCompressed())
	k := &Key{priv: priv}
	pkh, err := address.NewAddressPubKeyHash(h, &chaincfg.RegressionNetParams)
	if err != nil {
		panic(err)
	}
	wpkh, err := address.NewAddressWitnessPubKeyHash(h, &chaincfg.RegressionNetParams)
	if err != nil {
		panic(err)
	}
	k.Address, k.WitnessAddr = pkh.EncodeAddress(), wpkh.EncodeAddress()
	if k.Script, err = txscript.PayToAddrScript(pkh); err != nil {
		panic(err)
	}
	if k.WitnessScript, err = txscript.PayToAddrScript(wpkh); err != nil {
		panic(err)
	}
	return k
}

// Spend is an output to spend: where it is, what it holds, who owns it.
type Spend struct {
	Point  wire.OutPoint
	Value  int64
	Script []byte // the output's script: the owner's Script or WitnessScript
	Owner  *Key
}

// Pay is an output to create.
type Pay struct {
	Script []byte
	Value  int64
}

// SignedTx builds a version-2 transaction that spends ins to outs, every
// input signalling replaceability (BIP 125), and signs each input with its
// owner's key: P2PKH with a signature script, P2WPKH with a witness.
func SignedTx(ins []Spend, outs []Pay) (*wire.MsgTx, error) {
	tx := wire.NewMsgTx(2)
	prev := make(map[wire.OutPoint]*wire.TxOut, len(ins))
	for _, in := range ins {
		ti := wire.NewTxIn(&in.Point, nil, nil)
		ti.Sequence = wire.MaxTxInSequenceNum - 2
		tx.AddTxIn(ti)
		prev[in.Point] = wire.NewTxOut(in.Value, in.Script)
	}
	for _, o := range outs {
		tx.AddTxOut(wire.NewTxOut(o.Value, o.Script))
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	for i, in := range ins {
		switch {
		case bytes.Equal(in.Script, in.Owner.Script):
			s, err := txscript.SignatureScript(tx, i, in.Script, txscript.SigHashAll, in.Owner.priv, true)
			if err != nil {
				return nil, err
			}
			tx.TxIn[i].SignatureScript = s
		case bytes.Equal(in.Script, in.Owner.WitnessScript):
			w, err := txscript.WitnessSignature(tx, hashes, i, in.Value, in.Script, txscript.SigHashAll, in.Owner.priv, true)
			if err != nil {
				return nil, err
			}
			tx.TxIn[i].Witness = w
		default:
			return nil, fmt.Errorf("btcdtest: input %d: the script is neither of its owner's", i)
		}
	}
	return tx, nil
}
