package btcscript

import (
	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
)

// Class is the kind of an output script.
type Class uint8

const (
	NonStandard Class = iota
	P2PK
	P2PKH
	P2SH
	P2WPKH
	P2WSH
	P2TR
	P2A
	WitnessUnknown
	Multisig
	NullData
	numClasses
)

// Classes lists every class.
var Classes = []Class{NonStandard, P2PK, P2PKH, P2SH, P2WPKH, P2WSH, P2TR, P2A, WitnessUnknown, Multisig, NullData}

// Core's names, so that a class read from a node's RPC maps back one to one.
var classNames = [numClasses]string{
	NonStandard:    "nonstandard",
	P2PK:           "pubkey",
	P2PKH:          "pubkeyhash",
	P2SH:           "scripthash",
	P2WPKH:         "witness_v0_keyhash",
	P2WSH:          "witness_v0_scripthash",
	P2TR:           "witness_v1_taproot",
	P2A:            "anchor",
	WitnessUnknown: "witness_unknown",
	Multisig:       "multisig",
	NullData:       "nulldata",
}

// String returns Bitcoin Core's name of the class ("pubkeyhash").
func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "nonstandard"
}

// ParseClass maps Core's name of a class back to it.
func ParseClass(s string) (Class, error) {
	for c, n := range classNames {
		if n == s {
			return Class(c), nil
		}
	}
	return NonStandard, errs.E(errs.Invalid, "btcscript: unknown script class %q", s)
}

// HasAddress reports whether scripts of the class have an address of their
// own (P2PK is shown by its key's P2PKH address and counts as having one).
func (c Class) HasAddress() bool {
	switch c {
	case P2PK, P2PKH, P2SH, P2WPKH, P2WSH, P2TR, P2A, WitnessUnknown:
		return true
	}
	return false
}

// Errors of Address and KeyAddress.
var (
	ErrNoAddress      = errs.E(errs.Invalid, "btcscript: script class has no address")
	ErrUnknownNetwork = errs.E(errs.Invalid, "btcscript: network has no address encoding")
	ErrNoKey          = errs.E(errs.Invalid, "btcscript: no such public key in script")
)

// Script is a classified output script. It is a plain value: the hash or
// witness program is copied into Program, so that the common classes do not
// refer to the caller's buffer. P2PK, Multisig, NullData and NonStandard
// scripts keep a reference to the classified bytes (Raw); a caller that
// reuses its buffer must copy those.
type Script struct {
	Class   Class
	Version uint8 // witness version of P2WPKH, P2WSH, P2TR, P2A, WitnessUnknown
	ProgLen uint8 // bytes of Program in use
	M, N    uint8 // Multisig: signatures required, keys listed
	// Program is the 20-byte hash of P2PKH, P2SH and P2WPKH, or the witness
	// program (2 to 40 bytes) of the other witness classes.
	Program [40]byte
	raw     []byte
}

// Script opcodes used here; names as in BIP 62 and Core's script.h.
const (
	op0             = 0x00
	opPushData1     = 0x4c
	opPushData2     = 0x4d
	opPushData4     = 0x4e
	op1Negate       = 0x4f
	opReserved      = 0x50
	op1             = 0x51
	op16            = 0x60
	opReturn        = 0x6a
	opDup           = 0x76
	opEqual         = 0x87
	opEqualVerify   = 0x88
	opHash160       = 0xa9
	opCheckSig      = 0xac
	opCheckMultisig = 0xae
)

// Classify classifies pkScript. It never fails: what it does not recognise
// is NonStandard. It allocates nothing.
func Classify(pk []byte) Script {
	var s Script
	n := len(pk)
	// The fixed templates first, by length: they are nearly every output.
	switch n {
	case 25:
		if pk[0] == opDup && pk[1] == opHash160 && pk[2] == 20 && pk[23] == opEqualVerify && pk[24] == opCheckSig {
			s.Class, s.ProgLen = P2PKH, 20
			copy(s.Program[:], pk[3:23])
			return s
		}
	case 23:
		if pk[0] == opHash160 && pk[1] == 20 && pk[22] == opEqual {
			s.Class, s.ProgLen = P2SH, 20
			copy(s.Program[:], pk[2:22])
			return s
		}
	case 22:
		if pk[0] == op0 && pk[1] == 20 {
			s.Class, s.ProgLen = P2WPKH, 20
			copy(s.Program[:], pk[2:22])
			return s
		}
	case 34:
		if pk[1] == 32 && (pk[0] == op0 || pk[0] == op1) {
			s.Class, s.ProgLen = P2WSH, 32
			if pk[0] == op1 {
				s.Class, s.Version = P2TR, 1
			}
			copy(s.Program[:], pk[2:34])
			return s
		}
	case 35:
		if pk[0] == 33 && pk[34] == opCheckSig && keyLen(pk[1]) == 33 {
			s.Class, s.raw = P2PK, pk
			return s
		}
	case 67:
		if pk[0] == 65 && pk[66] == opCheckSig && keyLen(pk[1]) == 65 {
			s.Class, s.raw = P2PK, pk
			return s
		}
	}
	s.raw = pk
	if n == 0 {
		return s
	}
	if v, ok := witnessVersion(pk); ok {
		if v == 0 {
			return s // a v0 program of another length can never be spent
		}
		s.Class, s.Version, s.ProgLen = WitnessUnknown, v, uint8(n-2)
		copy(s.Program[:], pk[2:])
		if v == 1 && n == 4 && pk[2] == 0x4e && pk[3] == 0x73 {
			s.Class = P2A
		}
		s.raw = nil
		return s
	}
	if pk[0] == opReturn {
		if pushOnly(pk[1:]) {
			s.Class = NullData
		}
		return s
	}
	if pk[n-1] == opCheckMultisig {
		if m, k, ok := multisig(pk); ok {
			s.Class, s.M, s.N = Multisig, m, k
		}
	}
	return s
}

// keyLen is the size a public key must have given its first byte (Core's
// CPubKey::GetLen): 33 for compressed, 65 for uncompressed and hybrid keys.
func keyLen(prefix byte) int {
	switch prefix {
	case 2, 3:
		return 33
	case 4, 6, 7:
		return 65
	}
	return 0
}

// witnessVersion reports whether pk is a witness program (BIP141: a version
// opcode and one direct push of 2 to 40 bytes, nothing else).
func witnessVersion(pk []byte) (uint8, bool) {
	n := len(pk)
	if n < 4 || n > 42 || int(pk[1])+2 != n {
		return 0, false
	}
	switch {
	case pk[0] == op0:
		return 0, true
	case pk[0] >= op1 && pk[0] <= op16:
		return pk[0] - op1 + 1, true
	}
	return 0, false
}

// multisig matches OP_m <key>... OP_n OP_CHECKMULTISIG with direct key
// pushes; pk's last byte is already known to be OP_CHECKMULTISIG.
func multisig(pk []byte) (m, n uint8, ok bool) {
	if len(pk) < 3+34 || pk[0] < op1 || pk[0] > op16 {
		return 0, 0, false
	}
	m = pk[0] - op1 + 1
	pos, end := 1, len(pk)-2
	for pos < end {
		l := int(pk[pos])
		if l != 33 && l != 65 || pos+1+l > end || keyLen(pk[pos+1]) != l {
			return 0, 0, false
		}
		pos += 1 + l
		n++
	}
	last := pk[end]
	if pos != end || last < op1 || last > op16 || last-op1+1 != n || m > n {
		return 0, 0, false
	}
	return m, n, true
}

// next parses the opcode at pk[pos]: its pushed data (nil for a non-push
// opcode), the position after it, and whether it is well formed.
func next(pk []byte, pos int) (data []byte, after int, ok bool) {
	op := pk[pos]
	pos++
	var l int
	switch {
	case op < opPushData1:
		l = int(op)
	case op == opPushData1:
		if pos+1 > len(pk) {
			return nil, 0, false
		}
		l, pos = int(pk[pos]), pos+1
	case op == opPushData2:
		if pos+2 > len(pk) {
			return nil, 0, false
		}
		l, pos = int(pk[pos])|int(pk[pos+1])<<8, pos+2
	case op == opPushData4:
		if pos+4 > len(pk) {
			return nil, 0, false
		}
		u := uint64(pk[pos]) | uint64(pk[pos+1])<<8 | uint64(pk[pos+2])<<16 | uint64(pk[pos+3])<<24
		if u > uint64(len(pk)) {
			return nil, 0, false
		}
		l, pos = int(u), pos+4
	default:
		return nil, pos, true
	}
	if pos+l > len(pk) {
		return nil, 0, false
	}
	return pk[pos : pos+l], pos + l, true
}

// pushOnly is Core's IsPushOnly: every opcode up to OP_16 (OP_RESERVED
// included) counts as a push, and a truncated push fails.
func pushOnly(pk []byte) bool {
	for pos := 0; pos < len(pk); {
		if pk[pos] > op16 {
			return false
		}
		_, after, ok := next(pk, pos)
		if !ok {
			return false
		}
		pos = after
	}
	return true
}

// Raw returns the classified script for P2PK, Multisig, NullData and
// NonStandard (the bytes passed to Classify, not a copy), nil otherwise.
func (s Script) Raw() []byte { return s.raw }

// Payload returns the bytes the address encodes: the 20-byte hash of
// P2PKH, P2SH and P2WPKH or the witness program. It aliases s.Program.
func (s *Script) Payload() []byte { return s.Program[:s.ProgLen] }

// PubKey returns the key of a P2PK script, nil for other classes.
func (s Script) PubKey() []byte {
	if s.Class != P2PK {
		return nil
	}
	return s.raw[1 : len(s.raw)-1]
}

// PubKeyHash returns the 20-byte key hash that P2PKH and P2WPKH commit to;
// for P2PK it hashes the key (which allocates). ok is false for other classes.
func (s Script) PubKeyHash() (h [20]byte, ok bool) {
	switch s.Class {
	case P2PKH, P2WPKH:
		copy(h[:], s.Program[:20])
		return h, true
	case P2PK:
		copy(h[:], address.Hash160(s.PubKey()))
		return h, true
	}
	return h, false
}

// Key returns the i-th public key of a Multisig script (0 ≤ i < N), or nil.
func (s Script) Key(i int) []byte {
	if s.Class != Multisig || i < 0 || i >= int(s.N) {
		return nil
	}
	pos := 1
	for ; i > 0; i-- {
		pos += 1 + int(s.raw[pos])
	}
	return s.raw[pos+1 : pos+1+int(s.raw[pos])]
}

// Keys returns all public keys of a Multisig script.
func (s Script) Keys() [][]byte {
	if s.Class != Multisig {
		return nil
	}
	keys := make([][]byte, 0, s.N)
	for i := 0; i < int(s.N); i++ {
		keys = append(keys, s.Key(i))
	}
	return keys
}

// KeyAddress returns the P2PKH address of the i-th key of a Multisig script.
func (s Script) KeyAddress(i int, net btcnet.Network) (string, error) {
	k := s.Key(i)
	if k == nil {
		return "", ErrNoKey
	}
	if !net.Known() {
		return "", ErrUnknownNetwork
	}
	return base58.CheckEncode(address.Hash160(k), net.PubKeyHashAddrID()), nil
}

// Data returns the pushes of a NullData script in order. OP_0 pushes an
// empty item, OP_1NEGATE and OP_1..OP_16 push their script-number byte, as
// the script interpreter would; OP_RESERVED pushes nothing and is skipped.
func (s Script) Data() [][]byte {
	if s.Class != NullData {
		return nil
	}
	var out [][]byte
	for pos := 1; pos < len(s.raw); {
		op := s.raw[pos]
		data, after, _ := next(s.raw, pos)
		pos = after
		switch {
		case op == op1Negate:
			data = []byte{0x81}
		case op >= op1 && op <= op16:
			data = []byte{op - op1 + 1}
		case op == opReserved:
			continue
		case data == nil:
			data = []byte{}
		}
		out = append(out, data)
	}
	return out
}

// Unspendable reports whether no input can ever spend the output: it starts
// with OP_RETURN or exceeds the 10,000-byte script limit (Core's
// IsUnspendable). Such outputs never enter the UTXO set.
func (s Script) Unspendable() bool {
	return len(s.raw) > 10000 || len(s.raw) > 0 && s.raw[0] == opReturn
}

// Address returns the address of the script on net: base58check for P2PKH
// and P2SH (and P2PK, shown as its key's P2PKH address), bech32 for witness
// version 0, bech32m for later versions. Multisig, NullData and NonStandard
// have no address (ErrNoAddress).
func (s Script) Address(net btcnet.Network) (string, error) {
	if !net.Known() {
		return "", ErrUnknownNetwork
	}
	switch s.Class {
	case P2PKH:
		return base58.CheckEncode(s.Program[:20], net.PubKeyHashAddrID()), nil
	case P2SH:
		return base58.CheckEncode(s.Program[:20], net.ScriptHashAddrID()), nil
	case P2PK:
		return base58.CheckEncode(address.Hash160(s.PubKey()), net.PubKeyHashAddrID()), nil
	case P2WPKH, P2WSH, P2TR, P2A, WitnessUnknown:
		conv, err := bech32.ConvertBits(s.Program[:s.ProgLen], 8, 5, true)
		if err != nil {
			return "", errs.Wrap(errs.Internal, err, "btcscript: bech32 conversion")
		}
		data := make([]byte, 0, 1+len(conv))
		data = append(data, s.Version)
		data = append(data, conv...)
		var a string
		if s.Version == 0 {
			a, err = bech32.Encode(net.HRP(), data)
		} else {
			a, err = bech32.EncodeM(net.HRP(), data)
		}
		if err != nil {
			return "", errs.Wrap(errs.Internal, err, "btcscript: bech32 encoding")
		}
		return a, nil
	}
	return "", ErrNoAddress
}
