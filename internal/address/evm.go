package address

import (
	"encoding/binary"

	"golang.org/x/crypto/sha3"
)

// evmChains are the chains on which one 20-byte hex account is the same
// account, in the order of their share of sanctions listings.
var evmChains = []Chain{ETH, BSC, ARB, ETC}

func parseEVM(t string, dst []Address) ([]Address, error) {
	if len(t) < 2 || t[0] != '0' || (t[1] != 'x' && t[1] != 'X') {
		return dst, errShape
	}
	if len(t) != 42 {
		return dst, invalid("an EVM address has 40 hex digits after 0x, this one has %d", len(t)-2)
	}
	var lower [40]byte
	var hasUpper, hasLower bool
	for i := 2; i < 42; i++ {
		c := t[i]
		switch {
		case '0' <= c && c <= '9':
		case 'a' <= c && c <= 'f':
			hasLower = true
		case 'A' <= c && c <= 'F':
			hasUpper = true
			c += 'a' - 'A'
		default:
			return dst, badChar(t, i)
		}
		lower[i-2] = c
	}
	sum := eip55(&lower)
	// EIP-55 makes case a checksum only when case is used at all: a
	// single-case address carries none and is accepted as is.
	if hasUpper && hasLower && string(sum[:]) != t[2:] {
		return dst, invalid("EIP-55 checksum mismatch in %s: a letter has the wrong case, or a digit is mistyped", t)
	}
	text := "0x" + string(sum[:])
	key := "0x" + string(lower[:])
	for _, c := range evmChains {
		dst = append(dst, Address{Chain: c, Kind: EVM, Text: text, Key: key})
	}
	return dst, nil
}

// eip55 returns the checksummed spelling of a lower-case hex account: a
// letter is upper-case where the matching nibble of Keccak-256 of the
// lower-case hex is 8 or more.
func eip55(lower *[40]byte) [40]byte {
	h := sha3.NewLegacyKeccak256()
	h.Write(lower[:])
	var d [32]byte
	h.Sum(d[:0])
	out := *lower
	for i, c := range out {
		if c < 'a' {
			continue
		}
		n := d[i/2] >> 4
		if i%2 == 1 {
			n = d[i/2] & 0x0f
		}
		if n >= 8 {
			out[i] = c - ('a' - 'A')
		}
	}
	return out
}

// evmKey lower-cases a 42-character 0x string; it allocates only when the
// input is not lower-case already.
func evmKey(t string) string {
	if t[1] == 'x' && !hasUpperASCII(t[2:]) {
		return t
	}
	var b [42]byte
	copy(b[:], t)
	b[1] = 'x'
	for i := 2; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b[:])
}

// hasUpperASCII reports whether s holds a byte in 'A'..'Z'. It tests eight
// bytes at a time: screening calls it on every EVM address it looks up.
func hasUpperASCII(s string) bool {
	const hi = 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		v := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		if v&hi != 0 { // a non-ASCII byte: let the byte loop decide
			return hasUpperSlow(s[i:])
		}
		// A byte's high bit is set in ge by b >= 'A', in gt by b > 'Z'.
		ge := v + 0x3f3f3f3f3f3f3f3f
		gt := v + 0x2525252525252525
		if ge&^gt&hi != 0 {
			return true
		}
	}
	return hasUpperSlow(s[i:])
}

func hasUpperSlow(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
