package btcrpcclient

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/errs"
)

// There is no bitcoind on the test machines (Debian ships none), so Core
// is a fake here that answers in Core's forms: raw blocks at verbosity 0,
// transactions under "tx" at verbosity 2 and with "prevout" at 3, RPC
// errors with HTTP 500 or 404 and Core's codes. btcd runs for real in
// ../btcindex and ../../cmd/trawl.

// nodeTxs turns a verbose block into what the index checks; prevouts
// reports how many inputs came with one.
func nodeTxs(vb *VerboseBlock) (txs []btcindex.NodeTx, prevouts int) {
	for _, vt := range vb.Txs {
		nt := btcindex.NodeTx{ID: vt.ID}
		for _, o := range vt.Outs {
			nt.Outs = append(nt.Outs, btcindex.NodeOut(o))
		}
		for _, in := range vt.Ins {
			if in.Coinbase {
				continue
			}
			if in.Prevout != nil {
				prevouts++
			}
			nt.Prevouts = append(nt.Prevouts, (*btcindex.NodeOut)(in.Prevout))
		}
		txs = append(txs, nt)
	}
	return txs, prevouts
}

// TestCoreIngestAndCheck: an index built from a Core-shaped node agrees,
// block by block, with Core's verbose description at verbosity 3 (every
// input's prevout checked) and, from a Core that knows only verbosity 2
// (before v23), without prevouts; a reorg answered with Core's "Block
// height out of range" is followed.
func TestCoreIngestAndCheck(t *testing.T) {
	chain := buildChain(8, 1)
	for _, tc := range []struct {
		name         string
		maxVerbosity float64
	}{{"verbosity 3", 3}, {"verbosity 2 only", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeNode{chain: chain, core: true}
			if tc.maxVerbosity < 3 {
				f.hook = func(r *fakeRequest) (int, string, bool) {
					if r.Method == "getblock" && r.Params[1].(float64) > tc.maxVerbosity {
						return 500, `{"result":null,"error":{"code":-8,"message":"Verbosity must be in range 0..2"},"id":` + string(r.ID) + `}`, true
					}
					return 0, "", false
				}
			}
			c := f.start(t)
			x := index(t)
			ctx := context.Background()
			if err := x.IngestFrom(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			checked := 0
			for h, b := range chain {
				vb, err := c.VerboseBlock(ctx, b.BlockHash(), h)
				if err != nil {
					t.Fatal(err)
				}
				txs, prevouts := nodeTxs(vb)
				checked += prevouts
				if err := x.CheckBlock(h, vb.Hash, txs); err != nil {
					t.Fatal(err)
				}
			}
			// Blocks 2 to 8 each spend one output.
			if want := map[float64]int{3: 7, 2: 0}[tc.maxVerbosity]; checked != want {
				t.Fatalf("%d prevouts checked, want %d", checked, want)
			}
			// A shorter competing branch that Core switched to: heights above
			// its tip answer -8, and ingest disconnects to the fork.
			other := extend(chain[:5], 2, 2)
			f.setChain(other)
			if err := x.IngestFrom(ctx, c, nil); err != nil {
				t.Fatal(err)
			}
			if sum(t, x) != ingested(t, other) {
				t.Fatal("after the switch the index differs from an ingest of the new branch")
			}
		})
	}
}

// TestCoreErrors: Core's answers that need the operator get messages that
// say what to do, with codes the follower acts on: a wrong password (401,
// no body), a node still loading (-28, retried by --follow), a pruned
// block (-1, which no retry mends), a block not yet downloaded (-1).
func TestCoreErrors(t *testing.T) {
	chain := buildChain(4, 1)
	rpcErr := func(method string, code int, msg string) func(r *fakeRequest) (int, string, bool) {
		return func(r *fakeRequest) (int, string, bool) {
			return 500, `{"result":null,"error":{"code":` + strconv.Itoa(code) + `,"message":"` + msg + `"},"id":` + string(r.ID) + `}`,
				r.Method == method && (method != "getblock" || r.Params[0] == chain[3].BlockHash().String())
		}
	}
	for _, tc := range []struct {
		name string
		pass string
		hook func(r *fakeRequest) (int, string, bool)
		code errs.Code
		want []string
	}{
		{"wrong password", "wrong", nil, errs.Unauthorized, []string{"refused the RPC user and password"}},
		{"loading", "secret", rpcErr("getblockchaininfo", -28, "Loading block index…"), errs.Unavailable, []string{"still starting up", "Loading block index"}},
		{"verifying", "secret", rpcErr("getblockcount", -28, "Verifying blocks…"), errs.Unavailable, []string{"still starting up", "Verifying blocks"}},
		{"pruned", "secret", rpcErr("getblock", -1, "Block not available (pruned data)"), errs.Invalid, []string{"pruned a block the index needs", "prune=0", "--blocks"}},
		{"not on disk", "secret", rpcErr("getblock", -1, "Block not found on disk"), errs.Unavailable, []string{"not yet downloaded"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeNode{chain: chain, core: true, hook: tc.hook}
			c := f.start(t)
			c.pass = tc.pass
			x := index(t)
			err := x.IngestFrom(context.Background(), c, nil)
			if errs.CodeOf(err) != tc.code {
				t.Fatalf("got %v (%s), want code %s", err, errs.CodeOf(err), tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs.MessageOf(err), w) {
					t.Errorf("%q does not say %q", errs.MessageOf(err), w)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error shows the password: %v", err)
			}
			// What was connected before the error is committed, and stops
			// before the block that failed.
			if tip, ok, _ := x.Tip(); ok && tip.Height >= 3 {
				t.Fatalf("tip %d despite the error", tip.Height)
			}
		})
	}
}
