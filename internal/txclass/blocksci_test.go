package txclass_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/testenv"
	"github.com/trawlhq/trawl/internal/txclass"
)

// TestBlockSciLabels runs the heuristics on BlockSci's labelled regtest
// chain (../shared/data/btc/blocksci-regtest, made by citp's
// testchain-generator): each change-* case and each peel-chain step names
// the change output for one heuristic; simple-coinjoin-tx is a CoinJoin
// whose equal outputs are labelled; the negative testcase has no change.
func TestBlockSciLabels(t *testing.T) {
	dir, labels := testenv.BlockSciRegtest(t)
	str := func(k string) string {
		s, ok := labels[k].(string)
		if !ok {
			t.Fatalf("label %s missing", k)
		}
		return s
	}
	num := func(k string) int {
		f, ok := labels[k].(float64)
		if !ok {
			t.Fatalf("label %s missing", k)
		}
		return int(f)
	}
	ch, err := simtest.OpenBlocks(context.Background(), dir, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	c := load(t, ch.Index, true)

	cases := []struct {
		tx, pos string
		h       txclass.Heuristic
		n       int
	}{
		{"change-ten-%d-tx", "change-ten-%d-position", txclass.RoundValue, 6},
		{"change-optimal-%d-tx", "change-optimal-%d-position", txclass.OptimalChange, 2},
		{"change-address-type-tx-%d", "change-address-type-position-%d", txclass.AddressType, 3},
		{"change-locktime-tx-%d", "change-locktime-position-%d", txclass.LockTime, 3},
		{"change-reuse-tx-%d", "change-reuse-position-%d", txclass.Reuse, 3},
		{"change-client-behavior-tx-%d", "change-client-behavior-position-%d", txclass.OneTimeChange, 3},
		// Steps 0-8 of the 10-step chain; step 9 ends it (below).
		{"peeling-chain-%d-tx", "peeling-chain-%d-position", txclass.Peel, 9},
	}
	perHeuristic := map[txclass.Heuristic]int{}
	byDefault, byAll := 0, 0
	total := 0
	for _, cs := range cases {
		for i := range cs.n {
			name := fmt.Sprintf(cs.tx, i)
			tx := c.tx(t, str(name))
			want := num(fmt.Sprintf(cs.pos, i))
			total++
			if v, by := txclass.Change(tx, cs.h); v != want || by != cs.h {
				t.Errorf("%s: %s says output %d (by %s), the label %d", name, cs.h, v, by, want)
			} else {
				perHeuristic[cs.h]++
			}
			// Every heuristic together, and the default set, may abstain
			// but never name another output.
			for _, h := range []txclass.Heuristic{txclass.DefaultChange, txclass.AllChange} {
				v, by := txclass.Change(tx, h)
				switch {
				case v == want && h == txclass.DefaultChange:
					byDefault++
				case v == want:
					byAll++
				case v >= 0:
					t.Errorf("%s: %s says output %d (by %s), the label %d", name, h, v, by, want)
				}
			}
		}
	}
	for _, cs := range cases {
		t.Logf("%-9s %d of %d labelled cases", cs.h, perHeuristic[cs.h], cs.n)
	}
	t.Logf("default set (%s) finds %d of the %d, every heuristic together %d; neither names a wrong output", txclass.DefaultChange, byDefault, total, byAll)

	end := c.tx(t, str("peeling-chain-9-tx"))
	if v, _ := txclass.Change(end, txclass.AllChange); v != -1 {
		t.Errorf("peeling-chain-9 (the end, no output continues it): change %d, want none", v)
	}

	neg := c.tx(t, str("change-negative-testcase-tx"))
	for h := txclass.Heuristic(1); h < txclass.AllChange; h <<= 1 {
		if v, _ := txclass.Change(neg, h); v != -1 {
			t.Errorf("negative testcase: %s names output %d", h, v)
		}
	}
	if v, by := txclass.Change(neg, txclass.AllChange); v != -1 || by != 0 {
		t.Errorf("negative testcase: change %d by %s", v, by)
	}

	cj := c.tx(t, str("simple-coinjoin-tx"))
	k := txclass.CoinJoin(cj)
	if !k.MultiParty() {
		t.Fatalf("simple-coinjoin-tx: %s, want a CoinJoin", k)
	}
	var spends []int
	for _, f := range labels["simple-coinjoin-spends"].([]any) {
		spends = append(spends, int(f.(float64)))
	}
	for i, o := range cj.Outs {
		equal := o.Value == cj.Outs[spends[0]].Value
		labelled := false
		for _, s := range spends {
			labelled = labelled || s == i
		}
		if equal != labelled {
			t.Errorf("simple-coinjoin-tx output %d (%d sat): equal %v, labelled a spend %v", i, o.Value, equal, labelled)
		}
	}
	if v, _ := txclass.Change(cj, txclass.AllChange); v != -1 {
		t.Errorf("simple-coinjoin-tx: change %d, want none for a CoinJoin", v)
	}
	// No other transaction of the chain is a CoinJoin (it has a fan-out of
	// eight equal outputs, merges and taint splits).
	for n := range c.txs {
		if k := txclass.CoinJoin(&c.txs[n]); k != txclass.None && c.ids[n] != str("simple-coinjoin-tx") {
			t.Errorf("tx %s is not labelled a CoinJoin but is taken for %s", c.ids[n], k)
		}
	}
	t.Logf("simple-coinjoin-tx is %s; no other of the %d transactions is a CoinJoin", k, len(c.txs))
}
