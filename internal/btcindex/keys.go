package btcindex

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/btcsuite/btcd/address/v2"
	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/address/v2/bech32"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/errs"
)

// Key prefixes. Every key starts with one byte naming its table; numbers in
// keys are big-endian so that they sort numerically.
const (
	pMeta      = 'm' // m tip → height4 hash32 nexttx4 nextaddr4; m net → network byte
	pBlock     = 'b' // b height4 → block record
	pBlockHash = 'h' // h hash32 → height4
	pTx        = 't' // t txnum4 → tx record
	pTxid      = 'i' // i txid[:8] txnum4 → (empty)
	pSpent     = 's' // s txnum4 vout4 → spender txnum4 vin4
	pAddr      = 'A' // A addrkey → addrid4
	pAddrKey   = 'K' // K addrid4 → addrkey
	pAddrStat  = 'S' // S addrid4 → address statistics
	pHistory   = 'H' // H addrid4 txnum4 → flags byte
	pUndo      = 'u' // u height4 → undo record
)

var (
	keyTip = []byte{pMeta, 't', 'i', 'p'}
	keyNet = []byte{pMeta, 'n', 'e', 't'}
)

func key4(p byte, n uint32) []byte {
	k := make([]byte, 5)
	k[0] = p
	binary.BigEndian.PutUint32(k[1:], n)
	return k
}

func key8(p byte, a, b uint32) []byte {
	k := make([]byte, 9)
	k[0] = p
	binary.BigEndian.PutUint32(k[1:], a)
	binary.BigEndian.PutUint32(k[5:], b)
	return k
}

// appendKey8 appends a 9-byte key to buf; ingest packs many keys into one
// buffer to save allocations.
func appendKey8(buf []byte, p byte, a, b uint32) []byte {
	buf = append(buf, p)
	buf = binary.BigEndian.AppendUint32(buf, a)
	return binary.BigEndian.AppendUint32(buf, b)
}

func txidKey(txid *[32]byte, txnum uint32) []byte {
	k := make([]byte, 13)
	k[0] = pTxid
	copy(k[1:9], txid[:8])
	binary.BigEndian.PutUint32(k[9:], txnum)
	return k
}

// Address keys: the class byte of btcscript, then the payload. P2PK is
// stored as P2PKH of its key; witness programs of unknown version carry the
// version byte before the program; multisig and non-standard scripts carry
// the SHA-256 of the script.
const scriptPrefix = "script:"

// addrKeyOf appends the address key of s to buf; ok is false for outputs
// that pay no address.
func addrKeyOf(buf []byte, s *btcscript.Script, pk []byte) ([]byte, bool) {
	switch s.Class {
	case btcscript.P2PKH, btcscript.P2SH, btcscript.P2WPKH, btcscript.P2WSH, btcscript.P2TR, btcscript.P2A:
		buf = append(buf, byte(s.Class))
		return append(buf, s.Payload()...), true
	case btcscript.WitnessUnknown:
		buf = append(buf, byte(s.Class), s.Version)
		return append(buf, s.Payload()...), true
	case btcscript.P2PK:
		buf = append(buf, byte(btcscript.P2PKH))
		return append(buf, address.Hash160(s.PubKey())...), true
	case btcscript.Multisig, btcscript.NonStandard:
		if len(pk) == 0 {
			return buf, false
		}
		h := sha256.Sum256(pk)
		buf = append(buf, byte(s.Class))
		return append(buf, h[:]...), true
	}
	return buf, false
}

// addrText renders an address key as users know it.
func addrText(key []byte, net btcnet.Network) string {
	if len(key) == 0 {
		return ""
	}
	c := btcscript.Class(key[0])
	var s btcscript.Script
	s.Class = c
	switch c {
	case btcscript.Multisig, btcscript.NonStandard:
		return scriptPrefix + hex.EncodeToString(key[1:])
	case btcscript.WitnessUnknown:
		if len(key) < 2 {
			return ""
		}
		s.Version = key[1]
		s.ProgLen = uint8(copy(s.Program[:], key[2:]))
	case btcscript.P2TR, btcscript.P2A:
		s.Version = 1
		s.ProgLen = uint8(copy(s.Program[:], key[1:]))
	default:
		s.ProgLen = uint8(copy(s.Program[:], key[1:]))
	}
	a, err := s.Address(net)
	if err != nil {
		return hex.EncodeToString(key)
	}
	return a
}

// ErrBadAddress is returned for address text that is not an address of the
// index's network.
var ErrBadAddress = errs.E(errs.Invalid, "btcindex: not an address of this network")

// parseAddr turns address text into its key.
func parseAddr(text string, net btcnet.Network) ([]byte, error) {
	text = strings.TrimSpace(text)
	if rest, ok := strings.CutPrefix(text, scriptPrefix); ok {
		h, err := hex.DecodeString(rest)
		if err != nil || len(h) != 32 {
			return nil, errs.E(errs.Invalid, "btcindex: %q: want script:<64 hex digits>", text)
		}
		// The class is not in the text; the caller tries both.
		return append([]byte{byte(btcscript.Multisig)}, h...), nil
	}
	if hrp, data, _, err := bech32.DecodeGeneric(text); err == nil && len(data) > 0 {
		if !strings.EqualFold(hrp, net.HRP()) {
			return nil, errs.E(errs.Invalid, "btcindex: %q is an address of another network (hrp %q, want %q)", text, hrp, net.HRP())
		}
		prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
		if err != nil || len(prog) < 2 || len(prog) > 40 {
			return nil, errs.E(errs.Invalid, "btcindex: %q: bad witness program", text)
		}
		v := data[0]
		pk := make([]byte, 0, 42)
		op := byte(0)
		if v > 0 {
			op = 0x50 + v
		}
		pk = append(pk, op, byte(len(prog)))
		pk = append(pk, prog...)
		s := btcscript.Classify(pk)
		k, ok := addrKeyOf(nil, &s, pk)
		if !ok || s.Class == btcscript.NonStandard {
			return nil, errs.E(errs.Invalid, "btcindex: %q: not a spendable witness program", text)
		}
		return k, nil
	}
	payload, ver, err := base58.CheckDecode(text)
	if err != nil || len(payload) != 20 {
		return nil, errs.E(errs.Invalid, "btcindex: %q is not a Bitcoin address", text)
	}
	switch ver {
	case net.PubKeyHashAddrID():
		return append([]byte{byte(btcscript.P2PKH)}, payload...), nil
	case net.ScriptHashAddrID():
		return append([]byte{byte(btcscript.P2SH)}, payload...), nil
	}
	return nil, errs.E(errs.Invalid, "btcindex: %q is an address of another network (version byte %d)", text, ver)
}
