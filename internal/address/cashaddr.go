package address

import (
	"strings"

	"github.com/btcsuite/btcd/address/v2/bech32"
)

// Bitcoin Cash's cashaddr: "prefix:payload", the payload in the bech32
// character set with a 40-bit BCH-code checksum that covers the prefix too.
// Wallets print it without the prefix, which then means "bitcoincash".

var cashPrefixes = []struct{ prefix, network string }{
	{"bitcoincash", Mainnet},
	{"bchtest", Testnet},
	{"bchreg", Regtest},
}

// cashHashSizes are the hash lengths the low three version bits select.
var cashHashSizes = [8]int{20, 24, 28, 32, 40, 48, 56, 64}

// cashPolymod is the checksum generator of the cashaddr spec over 5-bit
// values; a valid string's prefix, a zero separator and its payload give 0.
func cashPolymod(prefix string, values []byte) uint64 {
	c := uint64(1)
	step := func(d byte) {
		c0 := byte(c >> 35)
		c = (c&0x07ffffffff)<<5 ^ uint64(d)
		if c0&0x01 != 0 {
			c ^= 0x98f2bc8e61
		}
		if c0&0x02 != 0 {
			c ^= 0x79b76d99e2
		}
		if c0&0x04 != 0 {
			c ^= 0xf33e5fb3c4
		}
		if c0&0x08 != 0 {
			c ^= 0xae2eabe2a8
		}
		if c0&0x10 != 0 {
			c ^= 0x1e4f43e470
		}
	}
	for i := 0; i < len(prefix); i++ {
		step(prefix[i] & 0x1f)
	}
	step(0)
	for _, v := range values {
		step(v)
	}
	return c ^ 1
}

// cashDecode checks the checksum of a lower-case payload under prefix and
// returns its 5-bit data without the 8 checksum values.
func cashDecode(prefix, payload string) ([]byte, error) {
	if len(payload) < 8 {
		return nil, invalid("cashaddr payload %q is too short to hold a checksum", payload)
	}
	values := make([]byte, len(payload))
	for i := 0; i < len(payload); i++ {
		v := strings.IndexByte(bech32Charset, payload[i])
		if v < 0 {
			return nil, invalid("invalid character %q in cashaddr payload at position %d", payload[i], i+1)
		}
		values[i] = byte(v)
	}
	if cashPolymod(prefix, values) != 0 {
		return nil, invalid("cashaddr checksum mismatch in %s:%s", prefix, payload)
	}
	return values[:len(values)-8], nil
}

// cashEncode spells version and hash as a cashaddr with prefix.
func cashEncode(prefix string, version byte, hash []byte) string {
	data, _ := bech32.ConvertBits(append([]byte{version}, hash...), 8, 5, true) // 8 to 5 bits with padding cannot fail
	values := append(data, make([]byte, 8)...)
	mod := cashPolymod(prefix, values)
	for i := 0; i < 8; i++ {
		values[len(data)+i] = byte(mod>>(5*(7-i))) & 0x1f
	}
	var b strings.Builder
	b.WriteString(prefix)
	b.WriteByte(':')
	for _, v := range values {
		b.WriteByte(bech32Charset[v])
	}
	return b.String()
}

func parseCashAddr(t string, dst []Address) ([]Address, error) {
	a, _, err := decodeCashAddr(t)
	if err != nil {
		return dst, err
	}
	return append(dst, a), nil
}

// decodeCashAddr returns the address and the hash it holds.
func decodeCashAddr(t string) (Address, []byte, error) {
	prefix, network, payload, start := "bitcoincash", Mainnet, t, 0
	if i := strings.IndexByte(t, ':'); i >= 0 {
		found := false
		for _, p := range cashPrefixes {
			if strings.EqualFold(p.prefix, t[:i]) {
				prefix, network, found = p.prefix, p.network, true
			}
		}
		if !found {
			return Address{}, nil, invalid("unknown address prefix %q (cashaddr uses bitcoincash, bchtest or bchreg)", t[:i])
		}
		payload, start = t[i+1:], i+1
	} else if !looksCashAddr(t) {
		return Address{}, nil, errShape
	}
	var upper, lower bool
	for i := 0; i < len(t); i++ {
		upper = upper || 'A' <= t[i] && t[i] <= 'Z'
		lower = lower || 'a' <= t[i] && t[i] <= 'z'
	}
	if upper && lower {
		return Address{}, nil, invalid("mixed-case cashaddr %s: all lower or all upper case only", t)
	}
	lp := toLower(payload)
	for i := 0; i < len(lp); i++ {
		if strings.IndexByte(bech32Charset, lp[i]) < 0 {
			return Address{}, nil, badChar(t, start+i)
		}
	}
	data, err := cashDecode(prefix, lp)
	if err != nil {
		return Address{}, nil, err
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || len(b) < 1 {
		return Address{}, nil, invalid("cashaddr %s has invalid padding", t)
	}
	version, hash := b[0], b[1:]
	if version&0x80 != 0 {
		return Address{}, nil, invalid("cashaddr %s sets the reserved version bit", t)
	}
	if want := cashHashSizes[version&7]; len(hash) != want {
		return Address{}, nil, invalid("cashaddr %s holds a %d-byte hash, its version byte says %d", t, len(hash), want)
	}
	var kind Kind
	switch version >> 3 {
	case 0:
		kind = CashP2PKH
	case 1:
		kind = CashP2SH
	case 2:
		kind = CashTokenP2PKH
	case 3:
		kind = CashTokenP2SH
	default:
		return Address{}, nil, invalid("cashaddr %s has unknown type %d", t, version>>3)
	}
	if (kind == CashP2PKH || kind == CashTokenP2PKH) && len(hash) != 20 {
		return Address{}, nil, invalid("cashaddr P2PKH %s holds a %d-byte hash, want 20", t, len(hash))
	}
	text := prefix + ":" + lp
	key := text
	if network == Mainnet {
		key = lp
	}
	return Address{Chain: BCH, Kind: kind, Network: network, Text: text, Key: key}, hash, nil
}

// looksCashAddr reports whether an unprefixed string is shaped like a
// cashaddr payload: a type character first (q, p, z or r for the four types
// with a 20-byte hash) and bech32 characters only.
func looksCashAddr(t string) bool {
	if len(t) < 42 || len(t) > 112 || strings.IndexByte("qpzrQPZR", t[0]) < 0 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if strings.IndexByte(bech32Charset, c) < 0 {
			return false
		}
	}
	return true
}
