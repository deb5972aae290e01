package btcindex

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/testenv"
)

// TestBlockSciRegtest indexes BlockSci's labelled regtest chain and checks
// the labels: each address-*-spend-N address is paid its value in its tx at
// its height, and the 10-transaction chain is linked input to output.
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
	x := ingestDir(t, filepath.Dir(blk), t.TempDir(), Options{BatchTxs: 50})
	tip, _, _ := x.Tip()
	if tip.Height != 201 || tip.NextTx != 356 || x.Network() != btcnet.Regtest {
		t.Fatalf("tip %+v on %v; want 202 blocks, 356 txs, regtest", tip, x.Network())
	}
	checked := 0
	for _, kind := range []string{"p2pkh", "p2sh", "p2wpkh", "p2wsh"} {
		for i := range 3 {
			k := fmt.Sprintf("address-%s-spend-%d", kind, i)
			addr, _ := labels[k].(string)
			txid, _ := labels[k+"-tx"].(string)
			value, _ := labels[k+"-value"].(float64)
			height, _ := labels[k+"-height"].(float64)
			if addr == "" || txid == "" {
				t.Fatalf("label %s missing", k)
			}
			a, err := x.Address(addr, 0, 100)
			if err != nil {
				t.Fatalf("%s %s: %v", k, addr, err)
			}
			tx, err := x.TxByID(hash(t, txid))
			if err != nil {
				t.Fatal(err)
			}
			if tx.Height != int(height) {
				t.Errorf("%s: tx at height %d, label says %v", k, tx.Height, height)
			}
			paid := int64(0)
			for _, o := range tx.Outputs {
				if o.Address == addr {
					paid += o.Value
				}
			}
			if paid != int64(math.Round(value*satoshi)) {
				t.Errorf("%s: tx %s pays %s %d sat, label says %v BTC", k, txid, addr, paid, value)
			}
			found := false
			for _, h := range a.History {
				found = found || h.Tx == tx.Num && h.Received
			}
			if !found || a.Received < paid || a.FirstSeen > tx.Height {
				t.Errorf("%s: history %+v lacks tx %d", k, a, tx.Num)
			}
			checked++
		}
	}
	// tx-chain-10: each transaction spends the one before it.
	for i := 1; i < 10; i++ {
		prev, _ := labels[fmt.Sprintf("tx-chain-10-tx-%d", i-1)].(string)
		cur, _ := labels[fmt.Sprintf("tx-chain-10-tx-%d", i)].(string)
		tx, err := x.TxByID(hash(t, cur))
		if err != nil {
			t.Fatal(err)
		}
		linked := false
		for _, in := range tx.Inputs {
			if in.Txid.String() == prev {
				op, err := x.Outpoint(in.Txid, in.Vout)
				if err != nil || op.SpentBy == nil || op.SpentBy.Txid != tx.ID {
					t.Fatalf("spend link %s:%d: %+v %v", in.Txid, in.Vout, op, err)
				}
				linked = true
			}
		}
		if !linked {
			t.Errorf("tx-chain-10-tx-%d does not spend tx-chain-10-tx-%d", i, i-1)
		}
		checked++
	}
	t.Logf("%d labels checked", checked)
}
