package address

import (
	"testing"

	"github.com/trawlhq/trawl/internal/errs"
)

var seeds = []string{
	ronin,
	"0x52908400098527886e0f7030069857d2e4169ee7",
	"1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo",
	"3CWFddi6m4ndiGyKqzYvsFYagqDLPVMTzC",
	"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
	"bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
	"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq",
	"bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a",
	"QPF2CPHC5DKUCLKQUR7LHJ2YUQQ9PK3HMUKLE77VHQ",
	"bchtest:pr6m7j9njldwwzlg9v7v53unlr4jkmx6eyvwc0uz5t",
	"49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL",
	"rnXyVQzgxZe7TR1EPzTkGj2jxH4LMJYh66",
	"42RLPACwZPx3vYYmxSueqsogfynBDqXK298EDsNoyoHi",
	"t1g7wowvQ8gn2v8jrU1biyJ26sieNqNsBJy",
	"bnb136ns6lfw4zs5hg4n85vdthaad7hq5m4gtkgf23",
	"",
	"bc1",
	":",
}

func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s, "")
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("Parse(%q): code %s", s, errs.CodeOf(err))
			}
			return
		}
		if Key(s) != a.Key {
			t.Fatalf("Key(%q) = %q, Parse gives %q", s, Key(s), a.Key)
		}
		b, err := Parse(a.Text, a.Chain)
		if err != nil {
			t.Fatalf("canonical text %q of %q does not re-parse: %v", a.Text, s, err)
		}
		if b.Key != a.Key || b.Text != a.Text {
			t.Fatalf("%q: re-parse of %q gives text %q key %q, want key %q", s, a.Text, b.Text, b.Key, a.Key)
		}
		for _, al := range a.Aliases() {
			if c, err := Parse(al.Text, a.Chain); err != nil || c.Key != al.Key {
				t.Fatalf("alias %+v of %q: %v", al, s, err)
			}
		}
	})
}

func FuzzDetect(f *testing.F) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Key(s)
		for _, a := range Detect(s) {
			if a.Key != k {
				t.Fatalf("Detect(%q): %s key %q, Key gives %q", s, a.Chain, a.Key, k)
			}
			b, err := Parse(s, a.Chain)
			if err != nil {
				t.Fatalf("Detect(%q) says %s, Parse says %v", s, a.Chain, err)
			}
			if b.Key != a.Key {
				t.Fatalf("%q on %s: key %q vs %q", s, a.Chain, b.Key, a.Key)
			}
		}
	})
}

var sink string

func BenchmarkKey(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"p2pkh", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo"},
		{"evm-lower", "0x098b716b8aaf21512996dc57eb0615e2383e2f96"},
		{"evm-eip55", ronin},
		{"bech32", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{"tron", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sink = Key(c.s)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		name, s string
		chain   Chain
	}{
		{"p2pkh", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo", BTC},
		{"p2wpkh", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", BTC},
		{"evm-eip55", ronin, ETH},
		{"tron", "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq", TRX},
		{"cashaddr", "qpf2cphc5dkuclkqur7lhj2yuqq9pk3hmukle77vhq", BCH},
		{"monero", "49HqitRzdnhYjgTEAhgGpCfsjdTeMbUTU6cyR4JV1R7k2Eej9rGT8JpFiYDa4tZM6RZiFrHmMzgSrhHEqpDYKBe5B2ufNsL", XMR},
		{"any-p2pkh", "1Kuf2Rd8mDyAViwBozGTNYnvWL8uYFrkVo", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a, err := Parse(c.s, c.chain)
				if err != nil {
					b.Fatal(err)
				}
				sink = a.Key
			}
		})
	}
}
