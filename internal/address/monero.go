package address

import (
	"math/bits"

	"golang.org/x/crypto/sha3"
)

// Monero encodes base58 in blocks: every 8 bytes become exactly 11
// characters and a shorter last block a fixed shorter run, so the text
// length gives the byte length. An address is a varint network tag, a
// 32-byte public spend key, a 32-byte public view key, for integrated
// addresses an 8-byte payment id, and the first 4 bytes of Keccak-256 of all
// that. Whether the keys are points on the curve is not checked.

// moneroBlockBytes maps the character count of a last block to its bytes
// (0 where no block has that length).
var moneroBlockBytes = [12]int{0, 0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8}

type moneroTag struct {
	kind    Kind
	network string
}

// moneroTags maps the network tag, which all fit one varint byte.
var moneroTags = map[byte]moneroTag{
	18: {MoneroStandard, Mainnet},
	19: {MoneroIntegr, Mainnet},
	42: {MoneroSub, Mainnet},
	53: {MoneroStandard, Testnet},
	54: {MoneroIntegr, Testnet},
	63: {MoneroSub, Testnet},
	24: {MoneroStandard, Stagenet},
	25: {MoneroIntegr, Stagenet},
	36: {MoneroSub, Stagenet},
}

func parseMonero(t string, dst []Address) ([]Address, error) {
	if len(t) != 95 && len(t) != 106 {
		return dst, errShape
	}
	var buf [80]byte
	b, err := moneroDecode(t, buf[:0])
	if err != nil {
		return dst, err
	}
	tag, ok := moneroTags[b[0]]
	if !ok {
		return dst, invalid("Monero address %s has unknown network tag %d", t, b[0])
	}
	if want := 69 + 8*btoi(tag.kind == MoneroIntegr); len(b) != want {
		return dst, invalid("Monero %s address %s holds %d bytes, want %d", tag.kind, t, len(b), want)
	}
	h := sha3.NewLegacyKeccak256()
	h.Write(b[:len(b)-4])
	var d [32]byte
	h.Sum(d[:0])
	if string(d[:4]) != string(b[len(b)-4:]) {
		return dst, invalid("Monero checksum mismatch in %s", t)
	}
	return append(dst, Address{Chain: XMR, Kind: tag.kind, Network: tag.network, Text: t, Key: t}), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// moneroDecode decodes block base58; a block whose value does not fit its
// byte count is an error, which keeps the encoding of a byte string unique.
func moneroDecode(t string, dst []byte) ([]byte, error) {
	for start := 0; start < len(t); start += 11 {
		end := min(start+11, len(t))
		n := moneroBlockBytes[end-start]
		if n == 0 {
			return nil, invalid("Monero address of %d characters: a last block of %d characters is impossible", len(t), end-start)
		}
		var v uint64
		for i := start; i < end; i++ {
			d := bitcoinAlphabet.index[t[i]]
			if d < 0 {
				return nil, badChar(t, i)
			}
			hi, lo := bits.Mul64(v, 58)
			lo, carry := bits.Add64(lo, uint64(d), 0)
			if hi != 0 || carry != 0 {
				return nil, invalid("Monero base58 block %d of %s overflows", start/11+1, t)
			}
			v = lo
		}
		if n < 8 && v>>(8*n) != 0 {
			return nil, invalid("Monero base58 block %d of %s overflows", start/11+1, t)
		}
		for i := n - 1; i >= 0; i-- {
			dst = append(dst, byte(v>>(8*i)))
		}
	}
	return dst, nil
}
