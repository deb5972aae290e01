package address

import (
	"crypto/sha256"
	"strings"
)

// alphabet is a base58 digit set. Bitcoin's and Ripple's hold the same 58
// characters in different orders, so one string can be well-formed in both
// and only the checksum tells them apart.
type alphabet struct {
	chars string
	index [256]int8 // digit value, -1 outside the alphabet
}

func newAlphabet(chars string) *alphabet {
	a := &alphabet{chars: chars}
	for i := range a.index {
		a.index[i] = -1
	}
	for i := 0; i < len(chars); i++ {
		a.index[chars[i]] = int8(i)
	}
	return a
}

var (
	bitcoinAlphabet = newAlphabet("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
	rippleAlphabet  = newAlphabet("rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz")
)

// b58buf holds the bytes of a base58 string of up to maxLen characters.
type b58buf [maxLen]byte

// decode returns the bytes t encodes, or the index of the first character
// outside the alphabet. Leading zero digits are leading zero bytes, so the
// encoding of a byte string is unique and base58 text never needs
// normalizing. It works on 32-bit limbs, five digits at a time
// (58^5 < 2^30), which makes it several times faster than byte-wise
// long multiplication.
func (a *alphabet) decode(t string, buf *b58buf) ([]byte, int) {
	zeros := 0
	for zeros < len(t) && t[zeros] == a.chars[0] {
		zeros++
	}
	var limbs [len(b58buf{}) / 4]uint32 // little-endian
	n := 0
	for i := zeros; i < len(t); {
		chunk, mul := uint64(0), uint64(1)
		for k := 0; k < 5 && i < len(t); k, i = k+1, i+1 {
			v := a.index[t[i]]
			if v < 0 {
				return nil, i
			}
			chunk = chunk*58 + uint64(v)
			mul *= 58
		}
		carry := chunk
		for j := 0; j < n; j++ {
			x := uint64(limbs[j])*mul + carry
			limbs[j] = uint32(x)
			carry = x >> 32
		}
		for carry != 0 && n < len(limbs) {
			limbs[n] = uint32(carry)
			n++
			carry >>= 32
		}
	}
	out := buf[:zeros]
	clear(out)
	lead := true
	for j := n - 1; j >= 0; j-- {
		for shift := 24; shift >= 0; shift -= 8 {
			b := byte(limbs[j] >> shift)
			if lead && b == 0 {
				continue
			}
			lead = false
			out = append(out, b)
		}
	}
	return out, -1
}

// checksumOK verifies the base58check checksum: the last four bytes are the
// first four of SHA-256(SHA-256(rest)).
func checksumOK(b []byte) bool {
	if len(b) < 5 {
		return false
	}
	h := sha256.Sum256(b[:len(b)-4])
	h = sha256.Sum256(h[:])
	return string(h[:4]) == string(b[len(b)-4:])
}

// b58Type is what a base58check version byte means on one chain.
type b58Type struct {
	chain   Chain
	kind    Kind
	network string
}

// base58Versions maps a version byte to its meanings, most likely chain
// first. Forks of Bitcoin that kept its version bytes (BCH, BSV) share its
// entries; on testnets nearly every fork reuses 111 and 196.
var base58Versions = map[byte][]b58Type{
	0:    {{BTC, P2PKH, Mainnet}, {BCH, P2PKH, Mainnet}, {BSV, P2PKH, Mainnet}},
	5:    {{BTC, P2SH, Mainnet}, {LTC, P2SH, Mainnet}, {BCH, P2SH, Mainnet}, {BSV, P2SH, Mainnet}},
	111:  {{BTC, P2PKH, Testnet}, {LTC, P2PKH, Testnet}, {BCH, P2PKH, Testnet}, {BSV, P2PKH, Testnet}, {BTG, P2PKH, Testnet}},
	196:  {{BTC, P2SH, Testnet}, {LTC, P2SH, Testnet}, {BCH, P2SH, Testnet}, {BSV, P2SH, Testnet}, {BTG, P2SH, Testnet}},
	48:   {{LTC, P2PKH, Mainnet}},
	50:   {{LTC, P2SH, Mainnet}},
	58:   {{LTC, P2SH, Testnet}},
	38:   {{BTG, P2PKH, Mainnet}},
	23:   {{BTG, P2SH, Mainnet}},
	30:   {{XVG, P2PKH, Mainnet}},
	33:   {{XVG, P2SH, Mainnet}},
	76:   {{DASH, P2PKH, Mainnet}},
	16:   {{DASH, P2SH, Mainnet}},
	140:  {{DASH, P2PKH, Testnet}},
	19:   {{DASH, P2SH, Testnet}},
	0x41: {{TRX, Tron, ""}},
}

// zcashVersions maps Zcash's two-byte t-address prefixes.
var zcashVersions = map[[2]byte]b58Type{
	{0x1c, 0xb8}: {ZEC, P2PKH, Mainnet}, // t1
	{0x1c, 0xbd}: {ZEC, P2SH, Mainnet},  // t3
	{0x1d, 0x25}: {ZEC, P2PKH, Testnet}, // tm
	{0x1c, 0xba}: {ZEC, P2SH, Testnet},  // t2
}

// parseBase58 handles every Bitcoin-alphabet format but Monero's: 25-byte
// base58check (version, 20-byte hash), Zcash's 26-byte variant and Solana's
// bare 32-byte keys, which carry no checksum at all.
func parseBase58(t string, dst []Address) ([]Address, error) {
	if len(t) < 20 || len(t) > 60 || strings.IndexByte(t, ':') >= 0 {
		return dst, errShape
	}
	var buf b58buf
	b, bad := bitcoinAlphabet.decode(t, &buf)
	if bad >= 0 {
		return dst, badChar(t, bad)
	}
	switch len(b) {
	case 25:
		if !checksumOK(b) {
			return dst, invalid("base58check checksum mismatch in %s", t)
		}
		types, ok := base58Versions[b[0]]
		if !ok {
			return dst, invalid("base58check version byte %d of %s belongs to no known chain", b[0], t)
		}
		for _, ty := range types {
			dst = append(dst, Address{Chain: ty.chain, Kind: ty.kind, Network: ty.network, Text: t, Key: t})
		}
		return dst, nil
	case 26:
		if !checksumOK(b) {
			return dst, invalid("base58check checksum mismatch in %s", t)
		}
		ty, ok := zcashVersions[[2]byte{b[0], b[1]}]
		if !ok {
			return dst, invalid("base58check version bytes %#02x%02x of %s belong to no known chain", b[0], b[1], t)
		}
		return append(dst, Address{Chain: ty.chain, Kind: ty.kind, Network: ty.network, Text: t, Key: t}), nil
	case 32:
		return append(dst, Address{Chain: SOL, Kind: PublicKey, Text: t, Key: t}), nil
	}
	return dst, invalid("wrong length: %s decodes to %d bytes; base58check addresses have 25 (Zcash 26), Solana keys 32", t, len(b))
}

// parseRipple handles XRP Ledger classic addresses: base58check in Ripple's
// alphabet with version 0, which puts an "r" first.
func parseRipple(t string, dst []Address) ([]Address, error) {
	if len(t) < 25 || len(t) > 35 || t[0] != 'r' {
		return dst, errShape
	}
	var buf b58buf
	b, bad := rippleAlphabet.decode(t, &buf)
	if bad >= 0 {
		return dst, badChar(t, bad)
	}
	if len(b) != 25 {
		return dst, invalid("wrong length: XRP address %s decodes to %d bytes, want 25", t, len(b))
	}
	if !checksumOK(b) {
		return dst, invalid("XRP checksum mismatch in %s", t)
	}
	if b[0] != 0 {
		return dst, invalid("XRP address %s has version byte %d, want 0", t, b[0])
	}
	return append(dst, Address{Chain: XRP, Kind: Account, Text: t, Key: t}), nil
}
