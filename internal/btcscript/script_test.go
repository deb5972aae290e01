package btcscript

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/trawlhq/trawl/internal/btcnet"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Vectors from BIP173, BIP350 and mainnet history (genesis coinbase, block 9,
// the first P2SH output, a bare 1-of-2 multisig).
func TestClassifyAndAddress(t *testing.T) {
	const satoshi = "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f"
	cases := []struct {
		name, script string
		net          btcnet.Network
		class        Class
		version      uint8
		addr         string // "" means ErrNoAddress
	}{
		{"genesis P2PK", "41" + satoshi + "ac", btcnet.Mainnet, P2PK, 0, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{"block 9 P2PK", "410411db93e1dcdb8a016b49840f8c53bc1eb68a382e97b1482ecad7b148a6909a5cb2e0eaddfb84ccf9744464f82e160bfa9b8b64f9d4c03f999b8643f656b412a3ac", btcnet.Mainnet, P2PK, 0, "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S"},
		{"compressed P2PK", "210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac", btcnet.Mainnet, P2PK, 0, "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"},
		{"P2PKH", "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", btcnet.Mainnet, P2PKH, 0, "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{"P2PKH regtest", "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", btcnet.Regtest, P2PKH, 0, "mpXwg4jMtRhuSpVq4xS3HFHmCmWp9NyGKt"},
		{"P2SH", "a914e9c3dd0c07aac76179ebc76a6c78d4d67c6c160a87", btcnet.Mainnet, P2SH, 0, "3P14159f73E4gFr7JterCCQh9QjiTjiZrG"},
		{"P2WPKH", "0014751e76e8199196d454941c45d1b3a323f1433bd6", btcnet.Mainnet, P2WPKH, 0, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"P2WSH testnet", "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262", btcnet.Testnet3, P2WSH, 0, "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"},
		{"P2WPKH regtest", "0014751e76e8199196d454941c45d1b3a323f1433bd6", btcnet.Regtest, P2WPKH, 0, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"},
		{"P2TR", "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", btcnet.Mainnet, P2TR, 1, "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
		{"P2TR signet", "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433", btcnet.Signet, P2TR, 1, "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"},
		{"P2A", "51024e73", btcnet.Mainnet, P2A, 1, "bc1pfeessrawgf"},
		{"witness v1 40 bytes", "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6", btcnet.Mainnet, WitnessUnknown, 1, "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"},
		{"witness v16", "6002751e", btcnet.Mainnet, WitnessUnknown, 16, "bc1sw50qgdz25j"},
		{"witness v2", "5210751e76e8199196d454941c45d1b3a323", btcnet.Mainnet, WitnessUnknown, 2, "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"},
		{"v0 program of 21 bytes", "0015751e76e8199196d454941c45d1b3a323f1433bd6aa", btcnet.Mainnet, NonStandard, 0, ""},
		{"1-of-2 multisig", "5121" + "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" + "41" + satoshi + "52ae", btcnet.Mainnet, Multisig, 0, ""},
		{"OP_RETURN", "6a0b68656c6c6f20776f726c64", btcnet.Mainnet, NullData, 0, ""},
		{"bare OP_RETURN", "6a", btcnet.Mainnet, NullData, 0, ""},
		{"OP_RETURN non-push", "6a76", btcnet.Mainnet, NonStandard, 0, ""},
		{"OP_RETURN truncated push", "6a0501", btcnet.Mainnet, NonStandard, 0, ""},
		{"empty", "", btcnet.Mainnet, NonStandard, 0, ""},
		{"OP_TRUE", "51", btcnet.Mainnet, NonStandard, 0, ""},
		{"P2PK bad prefix", "2105" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ac", btcnet.Mainnet, NonStandard, 0, ""},
		{"multisig m>n", "5221" + "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" + "51ae", btcnet.Mainnet, NonStandard, 0, ""},
		{"multisig count mismatch", "5121" + "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" + "52ae", btcnet.Mainnet, NonStandard, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pk := mustHex(t, c.script)
			s := Classify(pk)
			if s.Class != c.class || s.Version != c.version {
				t.Fatalf("class %v v%d, want %v v%d", s.Class, s.Version, c.class, c.version)
			}
			a, err := s.Address(c.net)
			if c.addr == "" {
				if !errors.Is(err, ErrNoAddress) || s.Class.HasAddress() {
					t.Fatalf("address %q, %v; want ErrNoAddress", a, err)
				}
				return
			}
			if err != nil || a != c.addr || !s.Class.HasAddress() {
				t.Fatalf("address %q, %v; want %q", a, err, c.addr)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	key1 := mustHex(t, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
	key2 := mustHex(t, "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f")
	ms := append(append(append(append([]byte{0x51, 33}, key1...), 65), key2...), 0x52, 0xae)
	s := Classify(ms)
	if s.Class != Multisig || s.M != 1 || s.N != 2 {
		t.Fatalf("multisig: %v %d-of-%d", s.Class, s.M, s.N)
	}
	if !bytes.Equal(s.Key(0), key1) || !bytes.Equal(s.Key(1), key2) || s.Key(2) != nil || len(s.Keys()) != 2 {
		t.Fatal("multisig keys wrong")
	}
	for i, want := range []string{"1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"} {
		if a, err := s.KeyAddress(i, btcnet.Mainnet); err != nil || a != want {
			t.Errorf("key %d address %q %v, want %q", i, a, err, want)
		}
	}
	if _, err := s.KeyAddress(2, btcnet.Mainnet); !errors.Is(err, ErrNoKey) {
		t.Errorf("key 2: %v", err)
	}

	d := Classify(mustHex(t, "6a0001024f5160050102030405"))
	want := [][]byte{{}, {0x02}, {0x81}, {1}, {16}, {1, 2, 3, 4, 5}}
	got := d.Data()
	if d.Class != NullData || len(got) != len(want) {
		t.Fatalf("data %v %x", d.Class, got)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("push %d = %x, want %x", i, got[i], want[i])
		}
	}
	if !d.Unspendable() || Classify(ms).Unspendable() {
		t.Error("Unspendable wrong")
	}
	// OP_PUSHDATA1/2 in OP_RETURN, as Omni and others use them.
	big := append([]byte{0x6a, 0x4d, 0x00, 0x01}, make([]byte, 256)...)
	if d := Classify(big); d.Class != NullData || len(d.Data()) != 1 || len(d.Data()[0]) != 256 {
		t.Errorf("pushdata2: %v", d.Class)
	}

	p2pk := Classify(append(append([]byte{65}, key2...), 0xac))
	h, ok := p2pk.PubKeyHash()
	if !ok || hex.EncodeToString(h[:]) != "62e907b15cbf27d5425399ebf6f0fb50ebb88f18" || !bytes.Equal(p2pk.PubKey(), key2) {
		t.Errorf("P2PK hash %x %v", h, ok)
	}
	if _, err := p2pk.Address(btcnet.Unknown); !errors.Is(err, ErrUnknownNetwork) {
		t.Errorf("unknown network: %v", err)
	}
	pkh := Classify(mustHex(t, "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"))
	if h2, ok := pkh.PubKeyHash(); !ok || h2 != h || len(pkh.Payload()) != 20 || pkh.Raw() != nil {
		t.Error("P2PKH accessors wrong")
	}
}

func TestClassNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Classes {
		n := c.String()
		if seen[n] {
			t.Errorf("duplicate name %q", n)
		}
		seen[n] = true
		if got, err := ParseClass(n); err != nil || got != c {
			t.Errorf("ParseClass(%q) = %v %v", n, got, err)
		}
	}
	if len(Classes) != int(numClasses) {
		t.Errorf("Classes lists %d of %d", len(Classes), numClasses)
	}
	if _, err := ParseClass("p2x"); err == nil {
		t.Error("unknown class name accepted")
	}
}

func TestClassifyAllocatesNothing(t *testing.T) {
	scripts := [][]byte{
		mustHex(t, "76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac"),
		mustHex(t, "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
		mustHex(t, "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
		mustHex(t, "6a0b68656c6c6f20776f726c64"),
	}
	var sink Class
	allocs := testing.AllocsPerRun(100, func() {
		for _, s := range scripts {
			sink += Classify(s).Class
		}
	})
	if allocs != 0 {
		t.Errorf("Classify allocates %v times per run", allocs)
	}
	_ = sink
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"76a91462e907b15cbf27d5425399ebf6f0fb50ebb88f1888ac", "a914e9c3dd0c07aac76179ebc76a6c78d4d67c6c160a87",
		"0014751e76e8199196d454941c45d1b3a323f1433bd6", "51024e73", "6002751e", "6a4d0001",
		"51210279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179851ae", "6a4e01000000ff",
	} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, pk []byte) {
		s := Classify(pk)
		if s.Class >= numClasses || int(s.ProgLen) > len(s.Program) {
			t.Fatalf("bad script value %+v", s)
		}
		a, err := s.Address(btcnet.Mainnet)
		if s.Class.HasAddress() != (err == nil) || (err == nil && a == "") {
			t.Fatalf("%v: address %q err %v", s.Class, a, err)
		}
		for i := 0; i < int(s.N); i++ {
			if k := s.Key(i); len(k) != 33 && len(k) != 65 {
				t.Fatalf("key %d of %x has %d bytes", i, pk, len(k))
			}
		}
		_ = s.Data()
		_, _ = s.PubKeyHash()
		_ = s.Unspendable()
	})
}
