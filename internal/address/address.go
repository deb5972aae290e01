package address

import (
	"errors"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
)

// Chain names a ledger.
type Chain string

// The chains of every currency that appears in the OFAC SDN list.
const (
	BTC  Chain = "BTC"  // Bitcoin
	ETH  Chain = "ETH"  // Ethereum
	TRX  Chain = "TRX"  // Tron
	SOL  Chain = "SOL"  // Solana
	LTC  Chain = "LTC"  // Litecoin
	BCH  Chain = "BCH"  // Bitcoin Cash
	BSV  Chain = "BSV"  // Bitcoin SV
	BTG  Chain = "BTG"  // Bitcoin Gold
	DASH Chain = "DASH" // Dash
	ZEC  Chain = "ZEC"  // Zcash
	XMR  Chain = "XMR"  // Monero
	XRP  Chain = "XRP"  // XRP Ledger
	XVG  Chain = "XVG"  // Verge
	ETC  Chain = "ETC"  // Ethereum Classic
	BSC  Chain = "BSC"  // BNB Smart Chain
	ARB  Chain = "ARB"  // Arbitrum One
	BNB  Chain = "BNB"  // BNB Beacon Chain (bech32 "bnb1..." accounts)
)

// Chains returns every chain Parse knows.
func Chains() []Chain {
	return []Chain{BTC, ETH, TRX, SOL, LTC, BCH, BSV, BTG, DASH, ZEC, XMR, XRP, XVG, BSC, ARB, ETC, BNB}
}

// Kind names the script or account type an address encodes.
type Kind string

// Kinds.
const (
	P2PKH          Kind = "p2pkh"
	P2SH           Kind = "p2sh"
	P2WPKH         Kind = "p2wpkh"
	P2WSH          Kind = "p2wsh"
	P2TR           Kind = "p2tr"
	WitnessUnknown Kind = "witness-unknown" // a segwit program of a version or length no soft fork has defined yet; spendable by anyone today, valid to send to
	EVM            Kind = "evm"
	Tron           Kind = "tron"
	CashP2PKH      Kind = "cashaddr-p2pkh"
	CashP2SH       Kind = "cashaddr-p2sh"
	CashTokenP2PKH Kind = "cashaddr-token-p2pkh" // CashTokens-aware notation of a P2PKH address
	CashTokenP2SH  Kind = "cashaddr-token-p2sh"
	Sapling        Kind = "sapling"           // Zcash shielded "zs1..." address
	MoneroStandard Kind = "monero-standard"   // primary address
	MoneroIntegr   Kind = "monero-integrated" // primary address with an 8-byte payment id
	MoneroSub      Kind = "monero-subaddress"
	Account        Kind = "account" // a 20-byte account id (XRP classic address, BNB Beacon Chain)
	PublicKey      Kind = "pubkey"  // the address is the account's 32-byte public key (Solana)
)

// Networks, where the format tells. Testnet and signet share Bitcoin's
// encodings, so both are reported as Testnet; base58 regtest addresses share
// testnet's version bytes and are reported as Testnet too.
const (
	Mainnet  = "mainnet"
	Testnet  = "testnet"
	Regtest  = "regtest"
	Stagenet = "stagenet"
)

// Address is one validated address on one chain.
type Address struct {
	Chain   Chain
	Kind    Kind
	Network string // Mainnet, Testnet, Regtest or Stagenet; "" where the format does not say (EVM, Tron, Solana, XRP)
	Text    string // canonical display form
	Key     string // lookup key; see the package documentation
}

// maxLen bounds the input so that quadratic base58 decoding never sees a
// long string; the longest address known here (a cashaddr with a 512-bit
// hash and its prefix) has 124 characters.
const maxLen = 128

// errShape tells the dispatcher that a string does not look like a format
// at all, as opposed to looking like it and failing a check.
var errShape = errors.New("address: not this format")

func invalid(format string, args ...any) error {
	return errs.E(errs.Invalid, "address: "+format, args...)
}

// A parser appends the addresses that t is valid as, or returns errShape when
// t does not have the format's shape, or an errs.Invalid error saying what
// is wrong.
type parser func(t string, dst []Address) ([]Address, error)

// allParsers is the order in which Detect tries formats; it ranks the
// results.
var allParsers = []parser{parseEVM, parseBech32, parseCashAddr, parseMonero, parseBase58, parseRipple}

// chainInfo says which formats a chain uses and, for error messages, what
// its addresses look like.
type chainInfo struct {
	parsers []parser
	expect  string
}

var chainInfos = map[Chain]chainInfo{
	BTC:  {[]parser{parseBech32, parseBase58}, "base58 1/3/m/n/2 or bech32 bc1/tb1/bcrt1"},
	ETH:  {[]parser{parseEVM}, "0x and 40 hex digits"},
	ETC:  {[]parser{parseEVM}, "0x and 40 hex digits"},
	BSC:  {[]parser{parseEVM}, "0x and 40 hex digits"},
	ARB:  {[]parser{parseEVM}, "0x and 40 hex digits"},
	TRX:  {[]parser{parseBase58}, "base58 T... of 34 characters"},
	SOL:  {[]parser{parseBase58}, "base58 of a 32-byte key, 32 to 44 characters"},
	LTC:  {[]parser{parseBech32, parseBase58}, "base58 L/M/3 or bech32 ltc1"},
	BCH:  {[]parser{parseCashAddr, parseBase58}, "cashaddr [bitcoincash:]q/p... or base58 1/3"},
	BSV:  {[]parser{parseBase58}, "base58 1/3"},
	BTG:  {[]parser{parseBech32, parseBase58}, "base58 G/A or bech32 btg1"},
	DASH: {[]parser{parseBase58}, "base58 X/7"},
	ZEC:  {[]parser{parseBech32, parseBase58}, "base58 t1/t3 or sapling zs1"},
	XMR:  {[]parser{parseMonero}, "base58 of 95 or 106 characters starting with 4 or 8"},
	XRP:  {[]parser{parseRipple}, "r... in the Ripple base58 alphabet"},
	XVG:  {[]parser{parseBase58}, "base58 D/E"},
	BNB:  {[]parser{parseBech32}, "bech32 bnb1"},
}

// Parse validates s as an address of chain, or of any known chain when chain
// is "" (the most likely one wins, see Detect). Only surrounding whitespace
// is trimmed. Errors have code errs.Invalid and say what is wrong; character
// positions count from 1.
func Parse(s string, chain Chain) (Address, error) {
	t := strings.TrimSpace(s)
	if err := precheck(t); err != nil {
		return Address{}, err
	}
	if chain == "" {
		as, err := parseAny(t, nil)
		if len(as) == 0 {
			return Address{}, err
		}
		return as[0], nil
	}
	info, ok := chainInfos[chain]
	if !ok {
		return Address{}, invalid("unknown chain %q", string(chain))
	}
	var first error
	var buf [4]Address
	for _, p := range info.parsers {
		as, err := p(t, buf[:0])
		if err == errShape {
			continue
		}
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		for _, a := range as {
			if a.Chain == chain {
				return a, nil
			}
		}
	}
	// Say what the string is instead, when it is something: an address of
	// the wrong chain is a more useful finding than a bare checksum error.
	if others, _ := parseAny(t, nil); len(others) > 0 {
		return Address{}, invalid("%s is a %s address, not %s", t, others[0].Chain, chain)
	}
	if first != nil {
		return Address{}, first
	}
	return Address{}, invalid("%q is not a %s address (expected %s)", t, chain, info.expect)
}

// Detect returns every address s is valid as, most likely first: formats in
// a fixed order (EVM, bech32, cashaddr, Monero, base58, XRP) and within a
// format the chains in the order of their share of sanctions listings. It
// returns nil when s is no address.
func Detect(s string) []Address {
	t := strings.TrimSpace(s)
	if precheck(t) != nil {
		return nil
	}
	as, _ := parseAny(t, nil)
	return as
}

func parseAny(t string, dst []Address) ([]Address, error) {
	var first error
	for _, p := range allParsers {
		var err error
		dst, err = p(t, dst)
		if err != nil && err != errShape && first == nil {
			first = err
		}
	}
	if len(dst) > 0 {
		return dst, nil
	}
	if first == nil {
		first = invalid("unknown format: %q is no address of a known chain", t)
	}
	return dst, first
}

// precheck refuses what no format allows, so that the parsers can assume
// short ASCII alphanumerics (plus the cashaddr colon).
func precheck(t string) error {
	if t == "" {
		return invalid("empty address")
	}
	if len(t) > maxLen {
		return invalid("too long: %d characters, no address has more than %d", len(t), maxLen)
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isAlnum(c) && c != ':' {
			return badChar(t, i)
		}
	}
	return nil
}

func badChar(t string, i int) error {
	r := rune(t[i])
	if t[i] >= 0x80 {
		r, _ = firstRune(t[i:])
	}
	return invalid("invalid character %q at position %d", r, i+1)
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, 0
	}
	return 0, 0
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// ChainOfSDN maps a currency code of an OFAC "Digital Currency Address"
// feature (XBT, ETH, USDT, ...) to the chains an address of it can live on,
// most likely first; nil for an unknown code. Stablecoins live on several
// chains: OFAC's USDT values are Tron, Ethereum and Omni-layer (Bitcoin)
// addresses.
func ChainOfSDN(code string) []Chain {
	code = strings.ToUpper(strings.TrimSpace(code))
	switch code {
	case "XBT", "BTC":
		return []Chain{BTC}
	case "USDT":
		return []Chain{TRX, ETH, BTC, BSC, ARB, SOL}
	case "USDC":
		return []Chain{ETH, SOL, TRX, ARB, BSC}
	case "BNB":
		return []Chain{BNB, BSC}
	}
	if _, ok := chainInfos[Chain(code)]; ok {
		return []Chain{Chain(code)}
	}
	return nil
}

// Key returns the lookup key of s without validating it: s trimmed of
// surrounding whitespace, with the case folded only where the format is
// case-insensitive (EVM hex, bech32, cashaddr, whose "bitcoincash:" prefix is
// dropped). For a valid address it equals the Key Parse returns. Canonical
// input (base58, lower-case bech32 or cashaddr, lower-case EVM) costs no
// allocation.
func Key(s string) string {
	t := s
	if len(t) > 0 && (mayTrim[t[0]] || mayTrim[t[len(t)-1]]) {
		t = strings.TrimSpace(t)
	}
	if len(t) == 42 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		return evmKey(t)
	}
	var class byte
	for i := 0; i < len(t); i++ {
		class |= charClass[t[i]]
	}
	if class&classColon != 0 {
		if class&(classUpper|classLower) == classUpper|classLower {
			return t // mixed case is no cashaddr
		}
		return cashKey(toLower(t))
	}
	if class&(classUpper|classLower) == classUpper {
		// Upper case is a legal notation of bech32 and cashaddr (it makes
		// denser QR codes), but an all-capitals base58 string must keep its
		// case: only fold what validates as one of the folding formats.
		if as, err := parseBech32(t, nil); err == nil && len(as) > 0 {
			return as[0].Key
		}
		if as, err := parseCashAddr(t, nil); err == nil && len(as) > 0 {
			return as[0].Key
		}
	}
	return t
}

const (
	classLower byte = 1 << iota
	classUpper
	classColon
)

// charClass and mayTrim make Key a tight scan; they are constant tables.
// mayTrim marks ASCII white space and every non-ASCII byte, which may belong
// to a Unicode space that strings.TrimSpace removes.
var charClass, mayTrim = func() (c [256]byte, sp [256]bool) {
	for b := 'a'; b <= 'z'; b++ {
		c[b] = classLower
	}
	for b := 'A'; b <= 'Z'; b++ {
		c[b] = classUpper
	}
	c[':'] = classColon
	for _, b := range " \t\n\v\f\r" {
		sp[b] = true
	}
	for b := 0x80; b < 0x100; b++ {
		sp[b] = true
	}
	return
}()

// toLower folds ASCII letters, returning s itself when nothing changes.
func toLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
