package address

import (
	"strings"

	"github.com/btcsuite/btcd/address/v2/base58"
)

// cashKey drops the default cashaddr prefix from a lower-case string; other
// prefixes stay, because the checksum of an unprefixed payload is computed
// as if it were mainnet.
func cashKey(lower string) string {
	if rest, ok := strings.CutPrefix(lower, "bitcoincash:"); ok {
		return rest
	}
	return lower
}

// Aliases returns the other notations of a on its own chain: for a Bitcoin
// Cash address, the legacy base58 and the cashaddr spelling of the same
// hash (and the plain form of a CashTokens-aware cashaddr). A watchlist that
// stores the Key of every alias finds a listed address however it is
// written. Other chains have one notation and get nil.
func (a Address) Aliases() []Address {
	if a.Chain != BCH {
		return nil
	}
	var hash []byte
	var p2sh bool
	switch a.Kind {
	case CashP2PKH, CashP2SH, CashTokenP2PKH, CashTokenP2SH:
		_, h, err := decodeCashAddr(a.Text)
		if err != nil {
			return nil
		}
		hash, p2sh = h, a.Kind == CashP2SH || a.Kind == CashTokenP2SH
	case P2PKH, P2SH:
		b, _, err := base58.CheckDecode(a.Text)
		if err != nil || len(b) != 20 {
			return nil
		}
		hash, p2sh = b, a.Kind == P2SH
	default:
		return nil
	}
	prefix := "bitcoincash"
	for _, p := range cashPrefixes {
		if p.network == a.Network {
			prefix = p.prefix
		}
	}
	legacyVersion, cashVersion := byte(0), byte(0x00)
	legacyKind, cashKind := P2PKH, CashP2PKH
	if p2sh {
		legacyVersion, cashVersion = 5, 0x08
		legacyKind, cashKind = P2SH, CashP2SH
	}
	if a.Network != Mainnet {
		legacyVersion = 111
		if p2sh {
			legacyVersion = 196
		}
	}
	var out []Address
	add := func(b Address) {
		if b.Key != a.Key {
			out = append(out, b)
		}
	}
	if len(hash) == 20 {
		text := base58.CheckEncode(hash, legacyVersion)
		// Legacy testnet and regtest share version bytes, so the legacy
		// alias of a bchreg address says testnet.
		net := Mainnet
		if a.Network != Mainnet {
			net = Testnet
		}
		add(Address{Chain: BCH, Kind: legacyKind, Network: net, Text: text, Key: text})
	}
	sizeBits := byte(0)
	if len(hash) == 32 {
		sizeBits = 3
	}
	text := cashEncode(prefix, cashVersion|sizeBits, hash)
	key := text
	if prefix == "bitcoincash" {
		key = strings.TrimPrefix(text, "bitcoincash:")
	}
	add(Address{Chain: BCH, Kind: cashKind, Network: a.Network, Text: text, Key: key})
	return out
}
