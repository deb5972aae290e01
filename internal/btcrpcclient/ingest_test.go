package btcrpcclient

import (
	"context"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/errs"
)

// These tests run the chain index on the client, against the fake node:
// what a lying or switching node does to an ingest.

func index(t *testing.T) *btcindex.Index {
	t.Helper()
	x, err := btcindex.Open(t.TempDir(), btcindex.Options{BatchTxs: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func sum(t *testing.T, x *btcindex.Index) [32]byte {
	t.Helper()
	s, err := x.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ingested returns the checksum of a fresh index of chain.
func ingested(t *testing.T, chain []*wire.MsgBlock) [32]byte {
	t.Helper()
	x := index(t)
	if err := x.IngestFrom(context.Background(), (&fakeNode{chain: chain}).start(t), nil); err != nil {
		t.Fatal(err)
	}
	return sum(t, x)
}

// TestBadAnswerLeavesACleanIndex: a node that answers block 7 with another
// block's bytes stops the ingest with an error; the index holds blocks 0
// to 6 exactly as an ingest of those alone would, and a later ingest from
// an honest node completes it.
func TestBadAnswerLeavesACleanIndex(t *testing.T) {
	chain := buildChain(12, 1)
	f := &fakeNode{chain: chain, edit: func(r *fakeRequest, res any) any {
		if r.Method == "getblock" && r.Params[0] == chain[7].BlockHash().String() {
			return hex.EncodeToString(serialize(chain[8]))
		}
		return res
	}}
	x := index(t)
	err := x.IngestFrom(context.Background(), f.start(t), nil)
	if errs.CodeOf(err) != errs.Invalid || !strings.Contains(err.Error(), "not "+chain[7].BlockHash().String()) {
		t.Fatalf("ingest: %v", err)
	}
	if tip, _, _ := x.Tip(); tip.Height != 6 {
		t.Fatalf("tip at %d after a bad block 7", tip.Height)
	}
	if sum(t, x) != ingested(t, chain[:7]) {
		t.Fatal("the index after a bad answer differs from an ingest of the good blocks")
	}
	f.edit = nil
	if err := x.IngestFrom(context.Background(), f.start(t), nil); err != nil {
		t.Fatal(err)
	}
	if sum(t, x) != ingested(t, chain) {
		t.Fatal("the resumed index differs from a clean ingest")
	}
}

// TestBranchSwitchDuringIngest: the node switches to a longer branch while
// its blocks are being fetched; the ingest notices by previous-block
// hashes, disconnects back to the fork and ends on the new branch.
func TestBranchSwitchDuringIngest(t *testing.T) {
	a := buildChain(20, 1)
	b := extend(a[:9], 14, 2) // forks after height 8, tip 22
	f := &fakeNode{chain: a}
	var served atomic.Int32
	f.edit = func(r *fakeRequest, res any) any {
		if r.Method == "getblock" && served.Add(1) == 12 {
			f.setChain(b)
		}
		return res
	}
	x := index(t)
	var last btcindex.Progress
	if err := x.IngestFrom(context.Background(), f.start(t), func(p btcindex.Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if tip, _, _ := x.Tip(); tip.Height != 22 || tip.Hash != b[22].BlockHash() {
		t.Fatalf("tip %d %s, want the new branch's 22", tip.Height, tip.Hash)
	}
	t.Logf("connected %d blocks, disconnected %d", last.Blocks, last.Disconnected)
	if sum(t, x) != ingested(t, b) {
		t.Fatal("the index differs from an ingest of the new branch")
	}
}

// TestCrossCheck: the index agrees with the node's verbose description,
// prevouts included, and a node that reports another prevout value or
// output script is caught.
func TestCrossCheck(t *testing.T) {
	chain := buildChain(6, 1)
	f := &fakeNode{chain: chain}
	c := f.start(t)
	x := index(t)
	ctx := context.Background()
	if err := x.IngestFrom(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	check := func(h int) error {
		vb, err := c.VerboseBlock(ctx, chain[h].BlockHash(), h)
		if err != nil {
			t.Fatal(err)
		}
		var txs []btcindex.NodeTx
		for _, vt := range vb.Txs {
			nt := btcindex.NodeTx{ID: vt.ID}
			for _, o := range vt.Outs {
				nt.Outs = append(nt.Outs, btcindex.NodeOut(o))
			}
			for _, in := range vt.Ins {
				if !in.Coinbase {
					if in.Prevout == nil {
						t.Fatal("no prevout at verbosity 3")
					}
					nt.Prevouts = append(nt.Prevouts, (*btcindex.NodeOut)(in.Prevout))
				}
			}
			txs = append(txs, nt)
		}
		return x.CheckBlock(h, vb.Hash, txs)
	}
	for h := range chain {
		if err := check(h); err != nil {
			t.Fatal(err)
		}
	}
	for name, edit := range map[string]func(m map[string]any){
		"prevout value": func(m map[string]any) {
			m["tx"].([]any)[1].(map[string]any)["vin"].([]any)[0].(map[string]any)["prevout"].(map[string]any)["value"] = "49.99"
		},
		"prevout script": func(m map[string]any) {
			m["tx"].([]any)[1].(map[string]any)["vin"].([]any)[0].(map[string]any)["prevout"].(map[string]any)["scriptPubKey"] = map[string]any{"hex": "51"}
		},
		"output script": func(m map[string]any) {
			m["tx"].([]any)[0].(map[string]any)["vout"].([]any)[0].(map[string]any)["scriptPubKey"] = map[string]any{"hex": hex.EncodeToString(p2pkh(99))}
		},
	} {
		f.edit = func(r *fakeRequest, res any) any {
			if r.Method == "getblock" && r.Params[1].(float64) == 3 {
				edit(res.(map[string]any))
			}
			return res
		}
		if err := check(4); errs.CodeOf(err) != errs.Conflict {
			t.Errorf("%s: %v", name, err)
		}
	}
}
