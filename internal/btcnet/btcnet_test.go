package btcnet

import (
	"encoding/binary"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/trawlhq/trawl/internal/errs"
)

// TestAgainstChaincfg checks the hard-coded facts against btcd's own network
// parameters, so that a typo in a version byte cannot go unnoticed.
func TestAgainstChaincfg(t *testing.T) {
	cases := []struct {
		n Network
		p *chaincfg.Params
	}{
		{Mainnet, &chaincfg.MainNetParams},
		{Testnet3, &chaincfg.TestNet3Params},
		{Testnet4, &chaincfg.TestNet4Params},
		{Signet, &chaincfg.SigNetParams},
		{Regtest, &chaincfg.RegressionNetParams},
	}
	for _, c := range cases {
		t.Run(c.n.String(), func(t *testing.T) {
			var m [4]byte
			binary.LittleEndian.PutUint32(m[:], uint32(c.p.Net))
			if c.n.Magic() != m {
				t.Errorf("magic %x, chaincfg says %x", c.n.Magic(), m)
			}
			if FromMagic(m) != c.n {
				t.Errorf("FromMagic(%x) = %v", m, FromMagic(m))
			}
			if c.n.HRP() != c.p.Bech32HRPSegwit {
				t.Errorf("hrp %q, chaincfg says %q", c.n.HRP(), c.p.Bech32HRPSegwit)
			}
			if c.n.PubKeyHashAddrID() != c.p.PubKeyHashAddrID || c.n.ScriptHashAddrID() != c.p.ScriptHashAddrID {
				t.Errorf("version bytes %#x/%#x, chaincfg says %#x/%#x", c.n.PubKeyHashAddrID(), c.n.ScriptHashAddrID(), c.p.PubKeyHashAddrID, c.p.ScriptHashAddrID)
			}
			if got, err := Parse(c.n.String()); err != nil || got != c.n {
				t.Errorf("Parse(%q) = %v, %v", c.n.String(), got, err)
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	if FromMagic([4]byte{0x16, 0x1c, 0x14, 0x12}) != Unknown { // btcd simnet
		t.Error("simnet magic is not a named network here")
	}
	if Unknown.Known() || Network(200).Known() || Network(200).String() != "unknown" || Network(200).HRP() != "" {
		t.Error("out-of-range network must behave as Unknown")
	}
	if _, err := Parse("dogecoin"); !errs.Is(err, errs.Invalid) {
		t.Errorf("Parse(dogecoin) = %v, want invalid", err)
	}
}
