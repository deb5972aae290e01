package btcrpcclient

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
)

// fixture returns the block of testdata/btcd-getblock-0.hex, which btcd
// answered at verbosity 0 for the block that btcd-getblock-2.json (its
// verbosity 2, transactions under rawtx), core-getblock-3.json (the same
// block in Core's verbosity 3 form, with prevouts) and core-getblock-2.json
// (Core's verbosity 2: the same without prevouts) describe.
func fixture(t testing.TB) (*wire.MsgBlock, []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/btcd-getblock-0.hex")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	var hdr wire.BlockHeader
	if err := hdr.Deserialize(strings.NewReader(string(raw[:80]))); err != nil {
		t.Fatal(err)
	}
	blk, err := DecodeBlock(raw, hdr.BlockHash())
	if err != nil {
		t.Fatal(err)
	}
	return blk, raw
}

func TestVerboseFixtures(t *testing.T) {
	blk, _ := fixture(t)
	for _, tc := range []struct {
		file     string
		prevouts bool
	}{{"btcd-getblock-2.json", false}, {"core-getblock-2.json", false}, {"core-getblock-3.json", true}} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			vb, err := parseVerboseBlock(b)
			if err != nil {
				t.Fatal(err)
			}
			if vb.Hash != blk.BlockHash() || vb.Height != 102 || vb.Prev != blk.Header.PrevBlock || len(vb.Txs) != len(blk.Transactions) {
				t.Fatalf("block %s height %d prev %s, %d txs", vb.Hash, vb.Height, vb.Prev, len(vb.Txs))
			}
			for i, tx := range blk.Transactions {
				vt := vb.Txs[i]
				if vt.ID != tx.TxHash() || len(vt.Ins) != len(tx.TxIn) || len(vt.Outs) != len(tx.TxOut) {
					t.Fatalf("tx %d: %+v", i, vt)
				}
				for j, o := range tx.TxOut {
					if vt.Outs[j].Value != o.Value || string(vt.Outs[j].Script) != string(o.PkScript) {
						t.Errorf("tx %d output %d: %+v", i, j, vt.Outs[j])
					}
				}
				for j, in := range tx.TxIn {
					if vt.Ins[j].Spends != in.PreviousOutPoint {
						t.Errorf("tx %d input %d spends %v", i, j, vt.Ins[j].Spends)
					}
					if !vt.Ins[j].Coinbase && (vt.Ins[j].Prevout != nil) != tc.prevouts {
						t.Errorf("tx %d input %d prevout %v", i, j, vt.Ins[j].Prevout)
					}
				}
			}
			if tc.prevouts {
				if po := vb.Txs[1].Ins[0].Prevout; po.Value != 50*100_000_000 || string(po.Script) != string(blk.Transactions[0].TxOut[0].PkScript) {
					t.Fatalf("prevout %+v", po)
				}
			}
		})
	}
}

func TestParseBTC(t *testing.T) {
	good := map[string]int64{"50.00000000": 5_000_000_000, "50": 5_000_000_000, "1e-08": 1, "0.00000001": 1, "10.00000001": 1_000_000_001,
		"39.99989999": 3_999_989_999, "1E2": 10_000_000_000, "0": 0, "21000000": 2_100_000_000_000_000, "0.1": 10_000_000}
	for s, want := range good {
		if got, err := parseBTC(json.Number(s)); err != nil || got != want {
			t.Errorf("%s: %d %v, want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "0.000000001", "-1", "21000000.00000001", "1e400", "abc", "1/2", strings.Repeat("9", 41)} {
		if got, err := parseBTC(json.Number(s)); err == nil {
			t.Errorf("%q: %d, want an error", s, got)
		}
	}
}

func TestVerboseRefusals(t *testing.T) {
	base, err := os.ReadFile("testdata/core-getblock-3.json")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][2]string{
		"no height":           {`"height": 102,`, ``},
		"a bad hash":          {`"hash": "63b6`, `"hash": "zzb6`},
		"tx and rawtx":        {`"tx": [`, `"rawtx": [{}], "tx": [`},
		"a wrong nTx":         {`"nTx": 2`, `"nTx": 3`},
		"an unnumbered vout":  {`"n": 1`, `"n": 5`},
		"a value below 1 sat": {`"value": 10.00000001`, `"value": 10.000000001`},
		"a script not hex":    {`"hex": "0014`, `"hex": "zz14`},
		"an input without outpoint": {`"vout": 0,
          "scriptSig"`, `"scriptSig"`},
	}
	for name, c := range cases {
		s := strings.Replace(string(base), c[0], c[1], 1)
		if s == string(base) {
			t.Fatalf("%s: %q not in the fixture", name, c[0])
		}
		if _, err := parseVerboseBlock([]byte(s)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
