package blkfile

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/btcscript"
	"github.com/trawlhq/trawl/internal/testenv"
)

// TestBlockSciRegtest reads the regtest chain BlockSci built for its tests
// and checks every address its labels name against the outputs we derive.
func TestBlockSciRegtest(t *testing.T) {
	blk := testenv.SharedData(t, "btc/blocksci-regtest/blk00000.dat")
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(blk), "output.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]any
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}

	r, err := Open(filepath.Dir(blk))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Network() != btcnet.Regtest {
		t.Fatalf("network %v", r.Network())
	}
	ch, err := r.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type txInfo struct {
		height  int
		outputs []btcscript.Script
		addrs   []string
		inputs  []wire.OutPoint
	}
	txs := map[string]*txInfo{}
	ntx := 0
	err = ch.Blocks(context.Background(), 0, func(h int, b *wire.MsgBlock) error {
		for _, tx := range b.Transactions {
			ntx++
			ti := &txInfo{height: h}
			for _, in := range tx.TxIn {
				ti.inputs = append(ti.inputs, in.PreviousOutPoint)
			}
			for _, out := range tx.TxOut {
				s := btcscript.Classify(out.PkScript)
				a, _ := s.Address(btcnet.Regtest)
				for k := range int(s.N) { // bare multisig: every key's address
					ka, _ := s.KeyAddress(k, btcnet.Regtest)
					a += " " + ka
				}
				ti.outputs = append(ti.outputs, s)
				ti.addrs = append(ti.addrs, a)
			}
			txs[tx.TxHash().String()] = ti
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ch.Len() != 202 || ntx != 356 || len(ch.Orphans()) != 0 {
		t.Fatalf("%d blocks, %d txs, %d orphans; want 202, 356, 0", ch.Len(), ntx, len(ch.Orphans()))
	}

	// Which tx each labelled address is paid in: "address-X" has
	// "address-X-tx"; "addr-Y" is paid by "funding-tx-Y". The merge
	// addresses are those that "merge-final-tx" spends from (it merges
	// them), so they are looked up among the outputs its inputs spend.
	txOf := func(key string) string {
		switch {
		case strings.HasPrefix(key, "address-"):
			return key + "-tx"
		case strings.HasPrefix(key, "addr-"):
			return "funding-tx-" + strings.TrimPrefix(key, "addr-")
		case strings.HasPrefix(key, "merge-addr-"):
			return "merge-final-tx"
		}
		return ""
	}
	checked := 0
	for key, v := range labels {
		addr, ok := v.(string)
		if !ok || txOf(key) == "" || strings.HasSuffix(key, "-tx") {
			continue
		}
		txid, _ := labels[txOf(key)].(string)
		ti := txs[txid]
		if ti == nil {
			t.Errorf("%s: tx %s (%s) is not on the chain", key, txid, txOf(key))
			continue
		}
		addrs := ti.addrs
		if strings.HasPrefix(key, "merge-addr-") {
			addrs = nil
			for _, op := range ti.inputs {
				if prev := txs[op.Hash.String()]; prev != nil && int(op.Index) < len(prev.addrs) {
					addrs = append(addrs, prev.addrs[op.Index])
				}
			}
		}
		found := false
		for _, a := range addrs {
			found = found || strings.Contains(" "+a+" ", " "+addr+" ")
		}
		if !found {
			t.Errorf("%s = %s is not an output of %s (addresses %q)", key, addr, txid, addrs)
		}
		if h, ok := labels[key+"-height"].(float64); ok && int(h) != ti.height {
			t.Errorf("%s: tx at height %d, label says %v", key, ti.height, h)
		}
		checked++
	}
	if checked < 20 {
		t.Fatalf("only %d labelled addresses checked", checked)
	}
	// Labelled transactions of particular script types.
	for key, class := range map[string]btcscript.Class{"op-return-tx": btcscript.NullData, "raw-multisig-tx": btcscript.Multisig, "p2sh-multisig-tx": btcscript.P2SH} {
		txid, _ := labels[key].(string)
		ti := txs[txid]
		if ti == nil {
			t.Errorf("%s %s is not on the chain", key, txid)
			continue
		}
		has := false
		for _, s := range ti.outputs {
			has = has || s.Class == class
		}
		if !has {
			t.Errorf("%s %s has no %v output", key, txid, class)
		}
	}
	t.Logf("%d labelled addresses found in their transactions", checked)
}
