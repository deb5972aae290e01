package btcsim

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/chaincfg/v2"
)

// scriptType is how an output is locked; each has its own spending data.
type scriptType uint8

const (
	p2pkh      scriptType = iota // 76a914{20}88ac, spent with <sig> <pubkey>
	p2shP2wpkh                   // a914{20}87 over the redeem script 0014{20}
	p2wpkh                       // 0014{20}, spent with witness [sig, pubkey]
	p2tr                         // 5120{32}, key-path spend, witness [schnorr sig]
	numScriptTypes
)

var scriptTypeNames = [...]string{"p2pkh", "p2sh-p2wpkh", "p2wpkh", "p2tr"}

func (t scriptType) String() string { return scriptTypeNames[t] }

// keyring derives key material from the seed and a 64-bit key number. It
// does no elliptic-curve math: a "public key" is 33 pseudo-random bytes with a
// compressed-key prefix and the address hashes are real hash160s of it, so
// scripts, addresses and redeem scripts are consistent with each other.
type keyring struct {
	seed uint64
	net  *chaincfg.Params
}

func (k *keyring) pubkey(key uint64) (pk [33]byte) {
	x := k.seed ^ (key * 0x9e6c63d0676a9a99) ^ 0x5ca1ab1e
	pk[0] = 2 | byte(splitmix(&x)&1)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(pk[1+8*i:], splitmix(&x))
	}
	return pk
}

// taprootKey is the 32-byte x-only output key of a P2TR output.
func (k *keyring) taprootKey(key uint64) (x [32]byte) {
	s := k.seed ^ (key * 0xc2b2ae3d27d4eb4f) ^ 0x7a900f
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(x[8*i:], splitmix(&s))
	}
	return x
}

// hash160 is the 20-byte key hash of P2PKH, P2WPKH and P2SH-P2WPKH
// outputs. It comes from the PRNG, not from hashing the dummy public key: no
// signature on this chain is checked, and hashing every key would dominate
// the run time.
func (k *keyring) hash160(key uint64) (h [20]byte) {
	x := k.seed ^ (key * 0xa0761d6478bd642f) ^ 0x4a5b
	binary.LittleEndian.PutUint64(h[0:], splitmix(&x))
	binary.LittleEndian.PutUint64(h[8:], splitmix(&x))
	binary.LittleEndian.PutUint32(h[16:], uint32(splitmix(&x)))
	return h
}

// redeemScript is the P2SH-P2WPKH redeem script 0014<hash160(pubkey)>.
func redeemScript(h [20]byte) []byte {
	s := make([]byte, 22)
	s[0], s[1] = 0x00, 0x14
	copy(s[2:], h[:])
	return s
}

// pkScript is the output script of key locked as typ.
func (k *keyring) pkScript(typ scriptType, key uint64) []byte {
	switch typ {
	case p2pkh:
		h := k.hash160(key)
		s := make([]byte, 25)
		s[0], s[1], s[2] = 0x76, 0xa9, 0x14
		copy(s[3:], h[:])
		s[23], s[24] = 0x88, 0xac
		return s
	case p2shP2wpkh:
		h := k.hash160(key)
		sh := address.Hash160(redeemScript(h))
		s := make([]byte, 23)
		s[0], s[1] = 0xa9, 0x14
		copy(s[2:], sh)
		s[22] = 0x87
		return s
	case p2wpkh:
		h := k.hash160(key)
		return redeemScript(h)
	default:
		x := k.taprootKey(key)
		s := make([]byte, 34)
		s[0], s[1] = 0x51, 0x20
		copy(s[2:], x[:])
		return s
	}
}

// address encodes key locked as typ for the network.
func (k *keyring) address(typ scriptType, key uint64) string {
	a, _ := encodeScriptAddress(k.pkScript(typ, key), k.net)
	return a
}

// scriptAddress decodes an output script of one of the four types into its
// address; ok is false for any other script (e.g. the witness commitment).
func scriptAddress(pk []byte, net *chaincfg.Params) (string, bool) {
	return encodeScriptAddress(pk, net)
}

// dummySig is a 72-byte DER-shaped ECDSA signature with SIGHASH_ALL: the
// right size and layout, not a valid signature. The indexer trusts the node.
func dummySig(r *rng) []byte {
	s := make([]byte, 72)
	s[0], s[1], s[2], s[3], s[4] = 0x30, 0x45, 0x02, 0x21, 0x00
	r.fill(s[5:37])
	s[5] |= 0x80
	s[37], s[38] = 0x02, 0x20
	r.fill(s[39:71])
	s[39] &= 0x7f
	s[71] = 0x01
	return s
}

// spendData is the scriptSig and witness that spend key locked as typ.
func (k *keyring) spendData(typ scriptType, key uint64, r *rng) (sigScript []byte, witness [][]byte) {
	switch typ {
	case p2pkh:
		pk := k.pubkey(key)
		s := make([]byte, 0, 107)
		s = append(s, 72)
		s = append(s, dummySig(r)...)
		s = append(s, 33)
		s = append(s, pk[:]...)
		return s, nil
	case p2shP2wpkh:
		pk := k.pubkey(key)
		h := k.hash160(key)
		s := make([]byte, 0, 23)
		s = append(s, 22)
		s = append(s, redeemScript(h)...)
		return s, [][]byte{dummySig(r), pk[:]}
	case p2wpkh:
		pk := k.pubkey(key)
		return nil, [][]byte{dummySig(r), pk[:]}
	default:
		sig := make([]byte, 64)
		r.fill(sig)
		return nil, [][]byte{sig}
	}
}

// Weights in weight units (4 per non-witness byte, 1 per witness byte), used
// to price fees without serializing the transaction first.
var inputWeight = [numScriptTypes]int64{
	p2pkh:      4 * (36 + 4 + 1 + 107),
	p2shP2wpkh: 4*(36+4+1+23) + (1 + 1 + 72 + 1 + 33),
	p2wpkh:     4*(36+4+1) + (1 + 1 + 72 + 1 + 33),
	p2tr:       4*(36+4+1) + (1 + 1 + 64),
}

var outputWeight = [numScriptTypes]int64{
	p2pkh:      4 * (8 + 1 + 25),
	p2shP2wpkh: 4 * (8 + 1 + 23),
	p2wpkh:     4 * (8 + 1 + 22),
	p2tr:       4 * (8 + 1 + 34),
}

// vsize estimates the virtual size of a transaction.
func vsize(ins []scriptType, outs []scriptType) int64 {
	w := int64(4 * (4 + 4 + 1 + 1 + 2))
	for _, t := range ins {
		w += inputWeight[t]
		if t != p2pkh {
			w++ // marker and flag are spread over the inputs; close enough
		}
	}
	for _, t := range outs {
		w += outputWeight[t]
	}
	return (w + 3) / 4
}
