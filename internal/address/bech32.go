package address

import (
	"errors"
	"strings"

	"github.com/btcsuite/btcd/address/v2/bech32"
)

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Payload says what the data part of an HRP carries.
type bech32Payload int

const (
	segwit    bech32Payload = iota // witness version + program (BIP-173, BIP-350)
	account20                      // a bare 20-byte account id (BNB Beacon Chain)
	sapling43                      // Zcash Sapling: 11-byte diversifier + 32-byte key
)

type hrpInfo struct {
	hrp     string
	chain   Chain
	network string
	payload bech32Payload
}

// bech32HRPs lists the human-readable parts Parse accepts. Signet uses tb
// like testnet, so "tb" cannot say which of the two it is.
var bech32HRPs = []hrpInfo{
	{"bc", BTC, Mainnet, segwit},
	{"tb", BTC, Testnet, segwit},
	{"bcrt", BTC, Regtest, segwit},
	{"ltc", LTC, Mainnet, segwit},
	{"tltc", LTC, Testnet, segwit},
	{"rltc", LTC, Regtest, segwit},
	{"btg", BTG, Mainnet, segwit},
	{"tbtg", BTG, Testnet, segwit},
	{"bnb", BNB, Mainnet, account20},
	{"tbnb", BNB, Testnet, account20},
	{"zs", ZEC, Mainnet, sapling43},
	{"ztestsapling", ZEC, Testnet, sapling43},
}

func lookupHRP(hrp string) (hrpInfo, bool) {
	for _, h := range bech32HRPs {
		if strings.EqualFold(h.hrp, hrp) {
			return h, true
		}
	}
	return hrpInfo{}, false
}

func parseBech32(t string, dst []Address) ([]Address, error) {
	sep := strings.LastIndexByte(t, '1')
	if sep < 1 {
		return dst, errShape
	}
	info, ok := lookupHRP(t[:sep])
	if !ok {
		return dst, errShape
	}
	var upper, lower bool
	for i := 0; i < len(t); i++ {
		c := t[i]
		upper = upper || 'A' <= c && c <= 'Z'
		lower = lower || 'a' <= c && c <= 'z'
	}
	if upper && lower {
		return dst, invalid("mixed-case bech32 %s: BIP-173 allows all lower or all upper case only", t)
	}
	for i := sep + 1; i < len(t); i++ {
		c := t[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if strings.IndexByte(bech32Charset, c) < 0 {
			return dst, badChar(t, i)
		}
	}
	if len(t) > 90 {
		return dst, invalid("bech32 address of %d characters; at most 90 are allowed", len(t))
	}
	if len(t)-sep-1 < 6 {
		return dst, invalid("bech32 %s is too short to hold a checksum", t)
	}
	_, data, variant, err := bech32.DecodeGeneric(t)
	if err != nil {
		var ce bech32.ErrInvalidChecksum
		if errors.As(err, &ce) {
			return dst, invalid("bech32 checksum mismatch in %s", t)
		}
		return dst, invalid("bad bech32 %s: %v", t, err)
	}
	text := toLower(t)
	a := Address{Chain: info.chain, Network: info.network, Text: text, Key: text}
	switch info.payload {
	case segwit:
		a.Kind, err = witnessKind(data, variant)
	case account20:
		a.Kind, err = plainKind(data, variant, 20, Account)
	case sapling43:
		a.Kind, err = plainKind(data, variant, 43, Sapling)
	}
	if err != nil {
		return dst, err
	}
	return append(dst, a), nil
}

// witnessKind applies the segwit rules of BIP-173 and BIP-350 to the 5-bit
// data of an address.
func witnessKind(data []byte, variant bech32.Version) (Kind, error) {
	if len(data) == 0 {
		return "", invalid("bech32 address without a witness version")
	}
	v := data[0]
	if v > 16 {
		return "", invalid("witness version %d; at most 16 exists", v)
	}
	prog, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return "", invalid("witness program has invalid padding")
	}
	if len(prog) < 2 || len(prog) > 40 {
		return "", invalid("witness program of %d bytes; 2 to 40 are allowed", len(prog))
	}
	// BIP-350: version 0 keeps the original bech32 constant, every later
	// version uses bech32m, so a v1 address mistyped as bech32 cannot pass.
	if v == 0 && variant != bech32.Version0 {
		return "", invalid("witness version 0 needs a bech32 checksum, this is bech32m")
	}
	if v != 0 && variant != bech32.VersionM {
		return "", invalid("witness version %d needs a bech32m checksum, this is bech32", v)
	}
	switch {
	case v == 0 && len(prog) == 20:
		return P2WPKH, nil
	case v == 0 && len(prog) == 32:
		return P2WSH, nil
	case v == 0:
		return "", invalid("a version 0 witness program has 20 or 32 bytes, this one %d", len(prog))
	case v == 1 && len(prog) == 32:
		return P2TR, nil
	}
	return WitnessUnknown, nil
}

func plainKind(data []byte, variant bech32.Version, size int, kind Kind) (Kind, error) {
	if variant != bech32.Version0 {
		return "", invalid("%s address needs a bech32 checksum, this is bech32m", kind)
	}
	b, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return "", invalid("bech32 data has invalid padding")
	}
	if len(b) != size {
		return "", invalid("%s address holds %d bytes, want %d", kind, len(b), size)
	}
	return kind, nil
}
