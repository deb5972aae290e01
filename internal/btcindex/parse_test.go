package btcindex

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/testenv"
)

// parseOrDecode parses raw both ways: with parseBlock and with wire's
// decoder and prepare. They must agree on whether it is a block and, if it
// is, on every field connect uses.
func parseOrDecode(t testing.TB, raw []byte) {
	t.Helper()
	got, perr := parseBlock(raw)
	var b wire.MsgBlock
	r := bytes.NewReader(raw)
	werr := b.Deserialize(r)
	if werr == nil && r.Len() != 0 {
		werr = os.ErrInvalid
	}
	if (perr == nil) != (werr == nil) {
		t.Fatalf("parseBlock: %v; wire: %v", perr, werr)
	}
	if perr != nil {
		return
	}
	want := prepare(&b)
	if len(want.ins) == 0 {
		want.ins = got.ins[:0]
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseBlock and wire differ:\n%+v\n%+v", got, want)
	}
}

// TestParseBlockAgreesWithWire: every block of the mainnet fixture (blocks
// 0 to 14,131), of a simulated chain with witnesses and of btcd's regtest
// block with a P2WPKH payment parses as wire decodes it.
func TestParseBlockAgreesWithWire(t *testing.T) {
	var raws [][]byte
	b, err := os.ReadFile("../btcrpcclient/testdata/btcd-getblock-0.hex")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(strings.TrimSpace(string(b)))
	raws = append(raws, raw)
	trunk, a, _ := forkChains()
	for _, blk := range append(trunk, a...) {
		var buf bytes.Buffer
		blk.Serialize(&buf)
		raws = append(raws, buf.Bytes())
	}
	for _, r := range raws {
		parseOrDecode(t, r)
	}
	if testing.Short() {
		return
	}
	ch := scan(t, blockDir(t, mainnetFile(t)))
	for h := 0; h <= ch.Height(); h++ {
		r, err := ch.Raw(h)
		if err != nil {
			t.Fatal(err)
		}
		parseOrDecode(t, r)
	}
	sim := t.TempDir()
	if _, err := btcsim.Simulate(context.Background(), btcsim.Options{Dir: sim, Seed: 5, Txs: btcsim.MinTxs}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{sim, testenv.SharedData(t, "btc/blocksci-regtest")} {
		ch = scan(t, dir)
		for h := 0; h <= ch.Height(); h++ {
			r, err := ch.Raw(h)
			if err != nil {
				t.Fatal(err)
			}
			parseOrDecode(t, r)
		}
	}
}

// FuzzParseBlock: on any bytes, parseBlock and wire agree.
func FuzzParseBlock(f *testing.F) {
	b, err := os.ReadFile("../btcrpcclient/testdata/btcd-getblock-0.hex")
	if err != nil {
		f.Fatal(err)
	}
	raw, _ := hex.DecodeString(strings.TrimSpace(string(b)))
	f.Add(raw)
	trunk, _, _ := forkChains()
	for _, blk := range trunk {
		var buf bytes.Buffer
		blk.Serialize(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) { parseOrDecode(t, raw) })
}
