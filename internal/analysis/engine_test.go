package analysis_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// peelChain is the simulated chain of seed 13 (20,000 transactions, peel
// chains) in an index of the test's own.
func peelChain(t *testing.T) *simtest.Chain {
	t.Helper()
	base := simtest.Get(t, 13, 20_000, "peel")
	c, err := simtest.Open(context.Background(), base.Dir, filepath.Join(t.TempDir(), "btc"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Traces, exposures and cluster questions run while the engine refreshes
// after blocks arrive; the answers after the refresh cover the new blocks.
func TestEngineConcurrentRefresh(t *testing.T) {
	ctx := context.Background()
	c := peelChain(t)
	// Start from a chain 20 blocks short of the tip.
	for range 20 {
		if err := c.Index.DisconnectTip(); err != nil {
			t.Fatal(err)
		}
	}
	labels := []analysis.LabelSpec{}
	for _, x := range c.Truth.Exchanges {
		for _, a := range x.HotWallets {
			labels = append(labels, analysis.LabelSpec{Address: a, Name: x.ID, Category: "exchange", Service: true})
		}
	}
	en, err := analysis.Open(ctx, c.Index, analysis.Options{Classifier: &analysis.Classifier{}, Labels: func(context.Context) ([]analysis.LabelSpec, error) { return labels, nil }})
	if err != nil {
		t.Fatal(err)
	}
	before := en.Stats()
	theft := c.Truth.Thefts[0].Txid
	var wg sync.WaitGroup
	errc := make(chan error, 100)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := en.Trace(ctx, analysis.TraceRequest{From: []string{theft}, MaxHops: 50}, nil); err != nil {
					errc <- err
				}
				if _, err := en.Exposure(ctx, c.Truth.AttackerAddresses[(w*10+i)%len(c.Truth.AttackerAddresses)], nil); err != nil && !errs.Is(err, errs.NotFound) {
					errc <- err
				}
				if id, err := en.ClusterOf(c.Truth.AttackerAddresses[0]); err == nil {
					en.Cluster(id, nil)
				}
			}
		}()
	}
	if err := c.Index.Ingest(ctx, c.Blocks, nil); err != nil {
		t.Fatal(err)
	}
	if err := en.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	after := en.Stats()
	if after.Txs <= before.Txs || after.TipHeight != before.TipHeight+20 {
		t.Fatalf("refresh did not take the new blocks: %+v -> %+v", before, after)
	}
	if !strings.Contains(after.String(), "transactions") {
		t.Fatal(after.String())
	}
	// The whole theft is traced on the refreshed chain.
	v, err := en.Trace(ctx, analysis.TraceRequest{From: []string{theft}, MaxHops: 1000}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Totals.CashOut+v.Totals.Held+v.Totals.Capped+v.Totals.Fees+v.Totals.Dropped != v.Totals.Source || v.Totals.CashOut == 0 {
		t.Fatalf("totals after refresh: %+v", v.Totals)
	}
	// Bad sources name what to fix.
	for _, from := range []string{"", "cluster:x", "label:", theft + ":99999", "not-an-address"} {
		if _, err := en.Trace(ctx, analysis.TraceRequest{From: []string{from}}, nil); err == nil || errs.MessageOf(err) == "" {
			t.Errorf("source %q accepted", from)
		}
	}
}

// A backward trace from a cash-out deposit names the listed thief.
func TestEngineBackward(t *testing.T) {
	c := simtest.Get(t, 13, 20_000, "peel")
	listed := map[string]bool{}
	for _, a := range c.Truth.AttackerAddresses {
		listed[a] = true
	}
	sc := listingScreener(t, c.Truth.AttackerAddresses)
	en, err := analysis.Open(context.Background(), c.Index, analysis.Options{Classifier: &analysis.Classifier{}, Screener: sc})
	if err != nil {
		t.Fatal(err)
	}
	co := c.Truth.CashOuts[0]
	v, err := en.Trace(context.Background(), analysis.TraceRequest{From: []string{co.Txid + ":" + strconv.Itoa(int(co.Vout))}, Direction: "backward"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Direction != "backward" || len(v.Results) == 0 || v.Totals.Held == 0 || v.Totals.Held > v.Totals.Source {
		t.Fatalf("backward trace of a cash-out: %+v", v)
	}
	for _, r := range v.Results {
		if !listed[r.Address] || r.Kind != "source" || r.Category != "listed" {
			t.Fatalf("backward result %+v is not a listed thief's address", r)
		}
	}
}

// listingScreener is a screener over an embedded store that lists addrs on
// a law-enforcement-style address list.
func listingScreener(t *testing.T, addrs []string) *screening.Screener {
	t.Helper()
	ctx := context.Background()
	store, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	entries, meta, err := watchlist.ParseAddressList(strings.NewReader(strings.Join(addrs, "\n")), "fiu", "thief")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := watchlist.Import(ctx, store, "fiu", entries, meta, "", "imp-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	sc := screening.New(store, nil)
	if err := sc.Refresh(ctx, true); err != nil {
		t.Fatal(err)
	}
	return sc
}

// A reorg that replaces the tip with another block at the same height (one
// transaction fewer) is picked up by Refresh: the height alone did not
// change, the tip's hash did.
func TestEngineFollowsSameHeightReorg(t *testing.T) {
	ctx := context.Background()
	c := peelChain(t)
	// Tags that never change: Refresh skips unless the chain did.
	en, err := analysis.Open(ctx, c.Index, analysis.Options{Classifier: &analysis.Classifier{},
		LabelsVersion: func(context.Context) (int64, error) { return 1, nil }})
	if err != nil {
		t.Fatal(err)
	}
	before := en.Stats()
	tip, _, err := c.Index.Tip()
	if err != nil {
		t.Fatal(err)
	}
	var other *wire.MsgBlock
	err = c.Blocks.Blocks(ctx, tip.Height, func(h int, b *wire.MsgBlock) error {
		if h == tip.Height {
			other = b
		}
		return nil
	})
	if err != nil || other == nil || len(other.Transactions) < 2 {
		t.Fatalf("tip block: %v", err)
	}
	// Nothing spends the tip's transactions: drop its last one.
	other.Transactions = other.Transactions[:len(other.Transactions)-1]
	other.Header.Nonce++
	if err := c.Index.DisconnectTip(); err != nil {
		t.Fatal(err)
	}
	if err := c.Index.ConnectBlock(other); err != nil {
		t.Fatal(err)
	}
	if err := c.Index.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := en.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if after := en.Stats(); after.TipHeight != before.TipHeight || after.Txs != before.Txs-1 {
		t.Fatalf("after the reorg: height %d, %d txs; want height %d, %d txs", after.TipHeight, after.Txs, before.TipHeight, before.Txs-1)
	}
}
