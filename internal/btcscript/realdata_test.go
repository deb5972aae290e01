package btcscript

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"io"
	"os"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/testenv"
)

// block277647 is mainnet block 277,647 (2014), which btcd keeps as a test
// fixture; all 769 of its outputs are P2PKH.
func block277647(t testing.TB) *wire.MsgBlock {
	t.Helper()
	f, err := os.Open(testenv.BtcdTestdata(t, "277647.dat.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(bzip2.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	// btcd stores it as a block-file record: magic, size, block.
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw[8:])); err != nil {
		t.Fatal(err)
	}
	return &b
}

// TestAgainstTxscript classifies every output of real blocks and checks class
// and address against btcd's txscript.ExtractPkScriptAddrs: mainnet block
// 277647 (all P2PKH, as it turns out), mainnet blocks 0-14131 (P2PK and
// P2PKH) and the BlockSci regtest chain (P2SH, segwit, multisig, OP_RETURN).
func TestAgainstTxscript(t *testing.T) {
	t.Run("277647", func(t *testing.T) {
		b := block277647(t)
		// BIP34: the coinbase starts with a push of the height.
		if h := b.Transactions[0].TxIn[0].SignatureScript[:4]; !bytes.Equal(h, []byte{3, 0x8f, 0x3c, 0x04}) {
			t.Fatalf("coinbase height push %x, want 277647", h)
		}
		counts := crossCheck(t, []*wire.MsgBlock{b}, btcnet.Mainnet, &chaincfg.MainNetParams)
		if counts[P2PKH] != 769 {
			t.Errorf("classes %v, want 769 P2PKH outputs", counts)
		}
	})
	t.Run("mainnet 0-14131", func(t *testing.T) {
		blocks := readRecords(t, testenv.BtcdTestdata(t, "blk_0_to_14131.dat"))
		counts := crossCheck(t, blocks, btcnet.Mainnet, &chaincfg.MainNetParams)
		if len(blocks) != 14132 || counts[P2PK] < 14132 || counts[P2PKH] == 0 {
			t.Errorf("%d blocks, classes %v", len(blocks), counts)
		}
	})
	t.Run("blocksci regtest", func(t *testing.T) {
		blocks := readRecords(t, testenv.SharedData(t, "btc/blocksci-regtest/blk00000.dat"))
		counts := crossCheck(t, blocks, btcnet.Regtest, &chaincfg.RegressionNetParams)
		for _, c := range []Class{P2PKH, P2SH, P2WPKH, P2WSH, Multisig, NullData} {
			if counts[c] == 0 {
				t.Errorf("no %v output in the regtest chain: %v", c, counts)
			}
		}
	})
}

// readRecords decodes every record of a block file in file order.
func readRecords(t testing.TB, path string) []*wire.MsgBlock {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*wire.MsgBlock
	for off := 0; off+8 <= len(data) && !bytes.Equal(data[off:off+4], []byte{0, 0, 0, 0}); {
		size := int(binary.LittleEndian.Uint32(data[off+4:]))
		var b wire.MsgBlock
		if err := b.Deserialize(bytes.NewReader(data[off+8 : off+8+size])); err != nil {
			t.Fatalf("%s at %d: %v", path, off, err)
		}
		blocks = append(blocks, &b)
		off += 8 + size
	}
	return blocks
}

func crossCheck(t *testing.T, blocks []*wire.MsgBlock, net btcnet.Network, params *chaincfg.Params) map[Class]int {
	want := map[txscript.ScriptClass]Class{
		txscript.PubKeyTy:              P2PK,
		txscript.PubKeyHashTy:          P2PKH,
		txscript.ScriptHashTy:          P2SH,
		txscript.WitnessV0PubKeyHashTy: P2WPKH,
		txscript.WitnessV0ScriptHashTy: P2WSH,
		txscript.WitnessV1TaprootTy:    P2TR,
		txscript.MultiSigTy:            Multisig,
		txscript.NullDataTy:            NullData,
		txscript.NonStandardTy:         NonStandard,
		txscript.WitnessUnknownTy:      WitnessUnknown,
	}
	counts := map[Class]int{}
	for _, b := range blocks {
		for _, tx := range b.Transactions {
			for i, out := range tx.TxOut {
				s := Classify(out.PkScript)
				counts[s.Class]++
				tc, addrs, nreq, err := txscript.ExtractPkScriptAddrs(out.PkScript, params)
				if err != nil {
					t.Fatalf("%s:%d: txscript: %v", tx.TxHash(), i, err)
				}
				if want[tc] != s.Class {
					t.Errorf("%s:%d %x: class %v, txscript says %v", tx.TxHash(), i, out.PkScript, s.Class, tc)
					continue
				}
				switch s.Class {
				case Multisig:
					if int(s.M) != nreq || len(addrs) != int(s.N) {
						t.Errorf("%s:%d: %d-of-%d, txscript %d-of-%d", tx.TxHash(), i, s.M, s.N, nreq, len(addrs))
						continue
					}
					for k, a := range addrs {
						// txscript gives the key itself; its P2PKH form is ours.
						got, err := s.KeyAddress(k, net)
						if wantA := pkh(a.ScriptAddress(), net); err != nil || got != wantA {
							t.Errorf("%s:%d key %d: %q %v, want %q", tx.TxHash(), i, k, got, err, wantA)
						}
					}
				case NullData, NonStandard:
					if len(addrs) != 0 {
						t.Errorf("%s:%d: txscript derives %v", tx.TxHash(), i, addrs)
					}
				default:
					got, err := s.Address(net)
					if err != nil || len(addrs) != 1 {
						t.Errorf("%s:%d: %q %v; txscript %v", tx.TxHash(), i, got, err, addrs)
						continue
					}
					if wantA := addrs[0].EncodeAddress(); got != wantA { // P2PK encodes as its P2PKH address
						t.Errorf("%s:%d %v: address %q, txscript %q", tx.TxHash(), i, s.Class, got, wantA)
					}
				}
			}
		}
	}
	t.Logf("%d blocks, classes %v", len(blocks), counts)
	return counts
}

func pkh(key []byte, net btcnet.Network) string {
	pk := append(append([]byte{byte(len(key))}, key...), opCheckSig)
	a, _ := Classify(pk).Address(net)
	return a
}

func BenchmarkClassify(b *testing.B) {
	blk := block277647(b)
	var scripts [][]byte
	for _, tx := range blk.Transactions {
		for _, out := range tx.TxOut {
			scripts = append(scripts, out.PkScript)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink uint8
	for b.Loop() {
		for _, s := range scripts {
			sink += s2c(Classify(s))
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(scripts))/b.Elapsed().Seconds(), "scripts/s")
	_ = sink
}

func s2c(s Script) uint8 { return uint8(s.Class) + s.ProgLen }

func BenchmarkAddress(b *testing.B) {
	blk := block277647(b)
	var scripts []Script
	for _, tx := range blk.Transactions {
		for _, out := range tx.TxOut {
			if s := Classify(out.PkScript); s.Class == P2PKH || s.Class == P2SH {
				scripts = append(scripts, s)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		for _, s := range scripts {
			_, _ = s.Address(btcnet.Mainnet)
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(scripts))/b.Elapsed().Seconds(), "addrs/s")
}
