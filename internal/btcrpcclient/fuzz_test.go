package btcrpcclient

import (
	"bytes"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
)

// FuzzEnvelope: any bytes as an answer give a result or an error, never a
// panic, and a result is never empty.
func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{`{"result":3,"error":null,"id":1}`, `{"result":null,"error":{"code":-5,"message":"x"},"id":1}`,
		`{"result":"00","id":1}`, `{"id":1}`, `[]`, `{"result":1,"error":null,"id":"1"}`, `null`} {
		f.Add([]byte(s), false)
	}
	c, _ := New(Config{URL: "http://127.0.0.1:1/"})
	f.Fuzz(func(t *testing.T, b []byte, null bool) {
		res, err := c.parseEnvelope("m", 1, b, null)
		if err == nil && len(res) == 0 {
			t.Fatal("an empty result without an error")
		}
	})
}

// FuzzDecodeBlock: a getblock answer either decodes to a block that hashes
// to what was asked and serializes back to the same bytes, or is an error.
func FuzzDecodeBlock(f *testing.F) {
	b, err := os.ReadFile("testdata/btcd-getblock-0.hex")
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := hex.DecodeString(strings.TrimSpace(string(b)))
	f.Add([]byte(`"` + hex.EncodeToString(raw) + `"`))
	for _, blk := range buildChain(3, 1) {
		f.Add([]byte(`"` + hex.EncodeToString(serialize(blk)) + `"`))
	}
	f.Add([]byte(`"00"`))
	c, _ := New(Config{URL: "http://127.0.0.1:1/"})
	f.Fuzz(func(t *testing.T, res []byte) {
		raw, err := c.decodeHexResult("getblock", res)
		if err != nil {
			return
		}
		if len(raw) < 80 {
			t.Fatal("a block shorter than its header passed")
		}
		want := chainhash.DoubleHashH(raw[:80])
		blk, err := DecodeBlock(raw, want)
		if err != nil {
			return
		}
		if blk.BlockHash() != want || !bytes.Equal(serialize(blk), raw) {
			t.Fatal("a decoded block is not the bytes it came from")
		}
	})
}

// FuzzVerboseBlock: any JSON as a verbose block parses to a block within
// the stated limits or is an error.
func FuzzVerboseBlock(f *testing.F) {
	for _, name := range []string{"btcd-getblock-2.json", "core-getblock-2.json", "core-getblock-3.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"hash":"00","height":1,"tx":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		vb, err := parseVerboseBlock(b)
		if err != nil {
			return
		}
		if len(vb.Txs) == 0 || vb.Height < 0 {
			t.Fatal("a block without transactions or with a negative height passed")
		}
		for _, tx := range vb.Txs {
			if len(tx.Ins) == 0 {
				t.Fatal("a transaction without inputs passed")
			}
			for _, o := range tx.Outs {
				if o.Value < 0 || o.Value > maxMoney {
					t.Fatalf("value %d passed", o.Value)
				}
			}
		}
	})
}
