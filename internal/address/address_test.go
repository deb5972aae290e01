package address

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/trawlhq/trawl/internal/errs"
)

const ronin = "0x098B716B8Aaf21512996dC57EB0615e2383E2f96" // OFAC, Lazarus Group

func mustParse(t *testing.T, s string, c Chain) Address {
	t.Helper()
	a, err := Parse(s, c)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", s, c, err)
	}
	return a
}

func wantInvalid(t *testing.T, s string, c Chain, want string) {
	t.Helper()
	a, err := Parse(s, c)
	if err == nil {
		t.Errorf("Parse(%q, %q) = %+v, want an error with %q", s, c, a, want)
		return
	}
	if errs.CodeOf(err) != errs.Invalid {
		t.Errorf("Parse(%q, %q): code %s, want invalid", s, c, errs.CodeOf(err))
	}
	if !strings.HasPrefix(err.Error(), "address: ") {
		t.Errorf("Parse(%q, %q): error %q lacks the package prefix", s, c, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Parse(%q, %q): error %q, want it to mention %q", s, c, err, want)
	}
}

func TestRoninExploiterEIP55(t *testing.T) {
	a := mustParse(t, ronin, ETH)
	if a.Text != ronin || a.Key != strings.ToLower(ronin) || a.Kind != EVM {
		t.Errorf("got %+v", a)
	}
	// Flip the case of each letter in turn: every single flip must fail.
	for i := 2; i < len(ronin); i++ {
		c := ronin[i]
		var f byte
		switch {
		case 'a' <= c && c <= 'f':
			f = c - 32
		case 'A' <= c && c <= 'F':
			f = c + 32
		default:
			continue
		}
		s := ronin[:i] + string(f) + ronin[i+1:]
		wantInvalid(t, s, ETH, "EIP-55 checksum mismatch")
		if k := Key(s); k != a.Key {
			t.Errorf("Key(%s) = %s, want %s: case must not change the key", s, k, a.Key)
		}
	}
}

func TestEIP55Vectors(t *testing.T) {
	// From EIP-55.
	for _, s := range []string{
		"0x52908400098527886E0F7030069857D2E4169EE7",
		"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
		"0xde709f2102306220921060314715629080e2fb77",
		"0x27b1fdb04752bbc536007a920d24acb045561c26",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
		"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
		"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
		"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
	} {
		a := mustParse(t, s, ETH)
		if hasMixedCase(s[2:]) && a.Text != s {
			t.Errorf("%s: text %s", s, a.Text)
		}
		// The checksummed spelling of the lower-case form is the vector.
		if b := mustParse(t, strings.ToLower(s), ETH); b.Text != a.Text && hasMixedCase(s[2:]) {
			t.Errorf("%s: lower-case form canonicalizes to %s", s, b.Text)
		}
		if got := mustParse(t, "0x"+strings.ToUpper(s[2:]), ETH); got.Key != a.Key {
			t.Errorf("%s: upper-case key %s", s, got.Key)
		}
	}
	// All-caps vectors are their own checksummed form.
	if a := mustParse(t, "0x52908400098527886e0f7030069857d2e4169ee7", ETH); a.Text != "0x52908400098527886E0F7030069857D2E4169EE7" {
		t.Errorf("text %s", a.Text)
	}
}

func TestBech32Vectors(t *testing.T) {
	// BIP-350 valid segwit addresses (including BIP-173's v0 ones).
	valid := []struct {
		s       string
		kind    Kind
		network string
	}{
		{"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", P2WPKH, Mainnet},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7", P2WSH, Testnet},
		{"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", WitnessUnknown, Mainnet},
		{"BC1SW50QGDZ25J", WitnessUnknown, Mainnet},
		{"bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", WitnessUnknown, Mainnet},
		{"tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy", P2WSH, Testnet},
		{"tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c", P2TR, Testnet},
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", P2TR, Mainnet},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", P2WPKH, Mainnet},
		{"bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw", P2WPKH, Regtest},
	}
	for _, v := range valid {
		a := mustParse(t, v.s, BTC)
		if a.Kind != v.kind || a.Network != v.network || a.Text != strings.ToLower(v.s) || a.Key != a.Text {
			t.Errorf("%s: got %+v, want %s on %s", v.s, a, v.kind, v.network)
		}
		if Key(v.s) != a.Key {
			t.Errorf("Key(%s) = %s, want %s", v.s, Key(v.s), a.Key)
		}
	}
	// BIP-350 and BIP-173 invalid addresses, with the reason the BIP gives.
	invalidCases := []struct{ s, want string }{
		{"tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut", ""},                // invalid human-readable part
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd", "needs a bech32m"}, // bech32 instead of bech32m
		{"tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf", "needs a bech32m"},
		{"BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL", "needs a bech32m"},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "needs a bech32 checksum"}, // bech32m instead of bech32
		{"tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47", "needs a bech32 checksum"},
		{"bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "invalid character 'o' at position 60"},
		{"BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "witness version 17"},
		{"bc1pw5dgrnzv", "witness program of 1 bytes"},
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav", "witness program of 41 bytes"},
		{"BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "version 0 witness program has 20 or 32 bytes"},
		{"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq", "mixed-case bech32"},
		{"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "padding"},
		{"tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j", "padding"},
		{"bc1gmk9yu", "without a witness version"},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum mismatch"},
		{"BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "witness version 17"},
		{"bc1rw5uspcuh", "witness program of 1 bytes"},
		{"bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90", "witness program of 41 bytes"},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7", "mixed-case bech32"},
		{"tb1pw508d6qejxtdg4y5r3zarqfsj6c3", "padding"},
		{"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv", "padding"},
		{"bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", "needs a bech32m"}, // BIP-173's v2 vector, bech32 checksum
	}
	for _, v := range invalidCases {
		wantInvalid(t, v.s, BTC, v.want)
		if as := Detect(v.s); len(as) != 0 {
			t.Errorf("Detect(%s) = %+v, want nothing", v.s, as)
		}
	}
}

func TestCashAddrChecksumVectors(t *testing.T) {
	// The spec's checksum vectors use arbitrary prefixes and payloads.
	for _, s := range []string{
		"prefix:x64nx6hz",
		"p:gpf8m4h7",
		"bitcoincash:qpzry9x8gf2tvdw0s3jn54khce6mua7lcw20ayyn",
		"bchtest:testnetaddress4d6njnut",
		"bchreg:555555555555555555555555555555555555555555555udxmlmrz",
	} {
		i := strings.IndexByte(s, ':')
		if _, err := cashDecode(s[:i], s[i+1:]); err != nil {
			t.Errorf("%s: %v", s, err)
		}
		bad := s[:len(s)-1] + "q"
		if s[len(s)-1] == 'q' {
			bad = s[:len(s)-1] + "p"
		}
		if _, err := cashDecode(bad[:i], bad[i+1:]); err == nil {
			t.Errorf("%s: a changed last character still passes", bad)
		}
	}
}

func TestCashAddrLegacyTranslation(t *testing.T) {
	// From the cashaddr spec: legacy base58 and cashaddr of one hash.
	pairs := [][2]string{
		{"1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a"},
		{"1KXrWXciRDZUpQwQmuM1DbwsKDLYAYsVLR", "bitcoincash:qr95sy3j9xwd2ap32xkykttr4cvcu7as4y0qverfuy"},
		{"16w1D5WRVKJuZUsSRzdLp9w3YGcgoxDXb", "bitcoincash:qqq3728yw0y47sqn6l2na30mcw6zm78dzqre909m2r"},
		{"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq"},
		{"3LDsS579y7sruadqu11beEJoTjdFiFCdX4", "bitcoincash:pr95sy3j9xwd2ap32xkykttr4cvcu7as4yc93ky28e"},
		{"31nwvkZwyPdgzjBJZXfDmSWsC4ZLKpYyUw", "bitcoincash:pqq3728yw0y47sqn6l2na30mcw6zm78dzq5ucqzc37"},
	}
	for _, p := range pairs {
		legacy := mustParse(t, p[0], BCH)
		cash := mustParse(t, p[1], BCH)
		unprefixed := mustParse(t, strings.TrimPrefix(p[1], "bitcoincash:"), BCH)
		upper := mustParse(t, strings.ToUpper(p[1]), BCH)
		if cash != unprefixed || cash != upper {
			t.Errorf("%s: prefixed %+v, unprefixed %+v, upper %+v", p[1], cash, unprefixed, upper)
		}
		if cash.Text != p[1] || cash.Key != strings.TrimPrefix(p[1], "bitcoincash:") {
			t.Errorf("%s: %+v", p[1], cash)
		}
		if la := legacy.Aliases(); len(la) != 1 || la[0].Text != p[1] || la[0].Key != cash.Key {
			t.Errorf("aliases of %s: %+v", p[0], la)
		}
		if ca := cash.Aliases(); len(ca) != 1 || ca[0].Text != p[0] || ca[0].Kind != legacy.Kind {
			t.Errorf("aliases of %s: %+v", p[1], ca)
		}
		for _, s := range []string{p[1], strings.ToUpper(p[1]), strings.TrimPrefix(p[1], "bitcoincash:")} {
			if Key(s) != cash.Key {
				t.Errorf("Key(%s) = %s, want %s", s, Key(s), cash.Key)
			}
		}
	}
	// Spec vectors with other prefixes and larger hashes, parsed generically.
	for _, s := range []string{
		"bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t",
		"bitcoincash:qr6m7j9njldwwzlg9v7v53unlr4jkmx6eylep8ekg2",
	} {
		a := mustParse(t, s, BCH)
		if a.Text != s {
			t.Errorf("%s: %+v", s, a)
		}
	}
	if a := mustParse(t, "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t", ""); a.Key != "bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t" || a.Network != Testnet || a.Kind != CashP2SH {
		t.Errorf("testnet cashaddr %+v keeps its prefix in the key", a)
	}
}

func TestNegativeCases(t *testing.T) {
	cases := []struct {
		name  string
		s     string
		chain Chain
		want  string
	}{
		{"empty", "   ", "", "empty address"},
		{"inner space", "1Kuf2Rd8mDy AViwBozGTNYnvWL8uYFrkVo", BTC, "invalid character ' ' at position 12"},
		{"non-ascii", "0x098B716B8Aaf21512996dC57EB0615e2383E2f9é", ETH, "invalid character 'é' at position 42"},
		{"too long", strings.Repeat("1", 200), "", "too long"},
		{"unknown chain", ronin, "DOGE", "unknown chain"},
		{"evm short", "0x098B716B8Aaf21512996dC57EB0615e2383E2f9", ETH, "has 39"},
		{"evm non-hex", "0x098B716B8Aaf21512996dC57EB0615e2383E2fg6", ETH, "invalid character 'g' at position 41"},
		{"evm as btc", ronin, BTC, "is a ETH address, not BTC"},
		{"base58 checksum", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVp", BTC, "checksum mismatch"},
		{"base58 zero", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkV0", BTC, "invalid character '0' at position 34"},
		{"base58 case-folded", "1kuf2rd8mdyaviwbozgtnynvwl8uyfrkvo", BTC, "invalid character 'l' at position 26"},
		{"base58 length", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVoKuf2", BTC, "decodes to 28 bytes"},
		{"tron as btc", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", BTC, "is a TRX address, not BTC"},
		{"tron checksum", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzr", TRX, "checksum mismatch"},
		{"ltc as btc", "LaizKtS5DUhPuP1nTQcc83MS7HwK6vk85z", BTC, "is a LTC address, not BTC"},
		{"btc as ltc", "12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", LTC, "is a BTC address, not LTC"},
		{"zec checksum", "t1g7wowvQ8gn2v8jrU1biyJ26sieNqNsBJz", ZEC, "checksum mismatch"},
		{"dash checksum", "XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz3", DASH, "checksum mismatch"},
		{"xvg checksum", "DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Y", XVG, "checksum mismatch"},
		{"btg checksum", "GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpT", BTG, "checksum mismatch"},
		{"xrp checksum", "rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh67", XRP, "XRP checksum mismatch"},
		{"xrp bitcoin alphabet", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo", XRP, "is a BTC address, not XRP"},
		{"sol short", "42RLPACwZPx3vYYmxSueqsogfynBDqXK298EDsNoyo", SOL, "decodes to 31 bytes"},
		{"xmr hex", "5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320", XMR, "is not a XMR address"},
		{"xmr checksum", "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsM", XMR, "Monero checksum mismatch"},
		{"xmr overflow", "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5zzzzzzz", XMR, "overflows"},
		{"xmr length", "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNs", XMR, "is not a XMR address"},
		{"cashaddr checksum", "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhr", BCH, "cashaddr checksum mismatch"},
		{"cashaddr mixed case", "bitcoincash:Qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", BCH, "mixed-case cashaddr"},
		{"cashaddr prefix", "bitcoin:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", BCH, "unknown address prefix"},
		{"cashaddr wrong network", "bchtest:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", BCH, "cashaddr checksum mismatch"},
		{"cashaddr bad char", "bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhb", BCH, "invalid character 'b' at position 54"},
		{"bnb checksum", "bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf24", BNB, "checksum mismatch"},
		{"ltc bech32 as btc", "ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea", BTC, "is a LTC address, not BTC"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantInvalid(t, c.s, c.chain, c.want) })
	}
}

func TestValidOtherFormats(t *testing.T) {
	cases := []struct {
		s       string
		chain   Chain
		kind    Kind
		network string
	}{
		{"12QtD5BFwRsdNsAZY76UVE1xyCGNTojH9h", BTC, P2PKH, Mainnet},
		{"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", BTC, P2SH, Mainnet},
		{"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", BTC, P2PKH, Testnet},
		{"2MzQwSSnBHWHqSAqtTVQ6v47XtaisrJa1Vc", BTC, P2SH, Testnet},
		{"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", TRX, Tron, ""},
		{"LaizKtS5DUhPuP1nTQcc83MS7HwK6vk85z", LTC, P2PKH, Mainnet},
		{"M8yFL6SFC6TreATegTyuSYkDfDRbisdpT3", LTC, P2SH, Mainnet},
		{"ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea", LTC, P2WPKH, Mainnet},
		{"t1g7wowvQ8gn2v8jrU1biyJ26sieNqNsBJy", ZEC, P2PKH, Mainnet},
		{"XnPFsRWTaSgiVauosEwQ6dEitGYXgwznz2", DASH, P2PKH, Mainnet},
		{"GPwg61XoHqQPNmAucFACuQ5H9sGCDv9TpS", BTG, P2PKH, Mainnet},
		{"DFFJhnQNZf8rf67tYnesPu7MuGUpYtzv7Z", XVG, P2PKH, Mainnet},
		{"rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", XRP, Account, ""},
		{"42RLPACwZPx3vYYmxSueqsogfynBDqXK298EDsNoyoHi", SOL, PublicKey, ""},
		{"11111111111111111111111111111111", SOL, PublicKey, ""},
		{"bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23", BNB, Account, Mainnet},
		{"qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", BCH, CashP2PKH, Mainnet},
		{"49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL", XMR, MoneroStandard, Mainnet},
		{"884Bz8UH63aYsjVdkfWfScRYWZGGNbjFL7pztqvWNSrtYT4reFSwyvkCj9KEGUtheHhhMUj87ciTBFyzoesrMJ4L1FvSoxL", XMR, MoneroSub, Mainnet},
	}
	for _, c := range cases {
		a := mustParse(t, "\t"+c.s+" \n", c.chain)
		if a.Chain != c.chain || a.Kind != c.kind || a.Network != c.network {
			t.Errorf("%s: got %+v, want %s %s %q", c.s, a, c.chain, c.kind, c.network)
		}
		text := c.s
		if c.kind == CashP2PKH {
			text = "bitcoincash:" + c.s
		}
		if a.Text != text || a.Key != c.s {
			t.Errorf("%s: text %q key %q, want the input untouched", c.s, a.Text, a.Key)
		}
		if k := Key(" " + c.s + " "); k != a.Key {
			t.Errorf("Key(%s) = %q, want %q", c.s, k, a.Key)
		}
	}
}

func TestBase58IsNeverCaseFolded(t *testing.T) {
	const p2pkh = "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo"
	a := mustParse(t, p2pkh, BTC)
	if a.Key != p2pkh || Key(p2pkh) != p2pkh {
		t.Fatalf("key %q / %q, want %q", a.Key, Key(p2pkh), p2pkh)
	}
	for _, s := range []string{strings.ToLower(p2pkh), strings.ToUpper(p2pkh)} {
		if Key(s) == a.Key {
			t.Errorf("Key(%s) = %s: a case-changed base58 string is another string", s, Key(s))
		}
		if _, err := Parse(s, BTC); err == nil {
			t.Errorf("Parse(%s) succeeded", s)
		}
	}
	// All-capital base58 strings that are valid must keep their case too,
	// even when every character is also a cashaddr character.
	for _, caps := range []string{
		"ABCDEFGHJKLMNPQRSTUVWXYZABCDEFGHJKLMNPQRSTU",
		"QPZRY9X8GF2TVDW3JN54KHCE6MUA7LQPZRY9X8GF2TV",
	} {
		a := mustParse(t, caps, SOL)
		if a.Key != caps || Key(caps) != caps {
			t.Errorf("%s: key %s, Key() %s", caps, a.Key, Key(caps))
		}
	}
}

func TestDetect(t *testing.T) {
	chains := func(as []Address) []Chain {
		var out []Chain
		for _, a := range as {
			out = append(out, a.Chain)
		}
		return out
	}
	cases := []struct {
		s    string
		want []Chain
	}{
		{ronin, []Chain{ETH, BSC, ARB, ETC}},
		{"1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo", []Chain{BTC, BCH, BSV}},
		{"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC", []Chain{BTC, LTC, BCH, BSV}},
		{"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", []Chain{BTC}},
		{"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", []Chain{TRX}},
		{"rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66", []Chain{XRP}},
		{"qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", []Chain{BCH}},
		{"not an address", nil},
		{"", nil},
	}
	for _, c := range cases {
		got := chains(Detect(c.s))
		if strings.Join(chainStrings(got), ",") != strings.Join(chainStrings(c.want), ",") {
			t.Errorf("Detect(%q) = %v, want %v", c.s, got, c.want)
		}
		if len(c.want) > 0 {
			if a := mustParse(t, c.s, ""); a.Chain != c.want[0] {
				t.Errorf("Parse(%q, \"\") chose %s, want %s", c.s, a.Chain, c.want[0])
			}
		}
	}
}

func chainStrings(cs []Chain) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func TestChainOfSDN(t *testing.T) {
	cases := map[string][]Chain{
		"XBT": {BTC}, " usdt ": {TRX, ETH, BTC, BSC, ARB, SOL}, "ETC": {ETC}, "BNB": {BNB, BSC},
		"XMR": {XMR}, "DOGE": nil, "": nil,
	}
	for code, want := range cases {
		if got := ChainOfSDN(code); strings.Join(chainStrings(got), ",") != strings.Join(chainStrings(want), ",") {
			t.Errorf("ChainOfSDN(%q) = %v, want %v", code, got, want)
		}
	}
	for _, c := range Chains() {
		if _, ok := chainInfos[c]; !ok {
			t.Errorf("chain %s has no formats", c)
		}
	}
}

func TestBase58DecoderAgreesWithBtcd(t *testing.T) {
	for _, s := range []string{"1", "11", "1111111111111111111114oLvT2", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo", "3QJmV3qfvL9SuYo34YihAf3sRCW3qSinyC", "zzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		var buf b58buf
		got, bad := bitcoinAlphabet.decode(s, &buf)
		if bad >= 0 || string(got) != string(base58.Decode(s)) {
			t.Errorf("decode(%s) = %x, btcd %x", s, got, base58.Decode(s))
		}
	}
}

func TestKeyAllocations(t *testing.T) {
	for _, s := range []string{
		"1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo",
		"0x098b716b8aaf21512996dc57eb0615e2383e2f96",
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
		"bitcoincash:qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq",
		"  TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq\n",
	} {
		if n := testing.AllocsPerRun(100, func() { _ = Key(s) }); n != 0 {
			t.Errorf("Key(%q) allocates %.0f times", s, n)
		}
	}
}

func TestHasUpperASCII(t *testing.T) {
	for _, s := range []string{"", "a", "098b716b8aaf21512996dc57eb0615e2383e2f96", "zzzzzzzz", "@@@@[[[[", "ééééééééAB"} {
		if got, want := hasUpperASCII(s), hasUpperSlow(s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
	for i := range 64 {
		b := []byte("098b716b8aaf21512996dc57eb0615e2383e2f96x" + "0123456789abcdefghijklmnopqrstuvwxyz")
		for _, c := range []byte("AZ@[`{") {
			b[i%len(b)] = c
			if got, want := hasUpperASCII(string(b)), hasUpperSlow(string(b)); got != want {
				t.Errorf("%q: %v, want %v", b, got, want)
			}
		}
	}
}
