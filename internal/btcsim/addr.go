package btcsim

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/chaincfg/v2"
)

// Address encoders for the four output types. btcd's address package checks
// each encoding by decoding it again, which doubles the cost of the owners
// list; these write the same strings (a test compares them) in one pass.

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

var bech32Gen = [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}

func bech32Polymod(chk uint32, v byte) uint32 {
	top := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ uint32(v)
	for i := 0; i < 5; i++ {
		if (top>>i)&1 == 1 {
			chk ^= bech32Gen[i]
		}
	}
	return chk
}

// segwitAddress encodes a witness program: bech32 for version 0 (BIP173),
// bech32m for version 1 and up (BIP350).
func segwitAddress(hrp string, version byte, prog []byte) string {
	data := make([]byte, 0, 1+(len(prog)*8+4)/5)
	data = append(data, version)
	var acc, bits uint32
	for _, b := range prog {
		acc = acc<<8 | uint32(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			data = append(data, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		data = append(data, byte(acc<<(5-bits))&31)
	}
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod(chk, hrp[i]>>5)
	}
	chk = bech32Polymod(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod(chk, hrp[i]&31)
	}
	for _, d := range data {
		chk = bech32Polymod(chk, d)
	}
	for i := 0; i < 6; i++ {
		chk = bech32Polymod(chk, 0)
	}
	if version == 0 {
		chk ^= 1
	} else {
		chk ^= 0x2bc830a3
	}
	out := make([]byte, 0, len(hrp)+1+len(data)+6)
	out = append(out, hrp...)
	out = append(out, '1')
	for _, d := range data {
		out = append(out, bech32Charset[d])
	}
	for i := 0; i < 6; i++ {
		out = append(out, bech32Charset[(chk>>(5*(5-i)))&31])
	}
	return string(out)
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Check encodes version || payload with a 4-byte double-SHA-256
// checksum.
func base58Check(version byte, payload []byte) string {
	var buf [64]byte
	b := append(buf[:0], version)
	b = append(b, payload...)
	h1 := sha256.Sum256(b)
	h2 := sha256.Sum256(h1[:])
	b = append(b, h2[:4]...)
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	var digits [64]byte // base-58 digits, least significant first
	n := 0
	for _, c := range b {
		carry := uint32(c)
		for j := 0; j < n; j++ {
			carry += uint32(digits[j]) << 8
			digits[j] = byte(carry % 58)
			carry /= 58
		}
		for carry > 0 {
			digits[n] = byte(carry % 58)
			n++
			carry /= 58
		}
	}
	out := make([]byte, 0, zeros+n)
	for i := 0; i < zeros; i++ {
		out = append(out, '1')
	}
	for j := n - 1; j >= 0; j-- {
		out = append(out, base58Alphabet[digits[j]])
	}
	return string(out)
}

// encodeScriptAddress encodes one of the four output script shapes; ok is
// false for any other script.
func encodeScriptAddress(pk []byte, net *chaincfg.Params) (string, bool) {
	switch {
	case len(pk) == 25 && pk[0] == 0x76 && pk[1] == 0xa9 && pk[2] == 0x14 && pk[23] == 0x88 && pk[24] == 0xac:
		return base58Check(net.PubKeyHashAddrID, pk[3:23]), true
	case len(pk) == 23 && pk[0] == 0xa9 && pk[1] == 0x14 && pk[22] == 0x87:
		return base58Check(net.ScriptHashAddrID, pk[2:22]), true
	case len(pk) == 22 && pk[0] == 0x00 && pk[1] == 0x14:
		return segwitAddress(net.Bech32HRPSegwit, 0, pk[2:]), true
	case len(pk) == 34 && pk[0] == 0x51 && pk[1] == 0x20:
		return segwitAddress(net.Bech32HRPSegwit, 1, pk[2:]), true
	}
	return "", false
}
