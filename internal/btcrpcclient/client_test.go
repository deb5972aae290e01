package btcrpcclient

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
)

func TestReadsTheChain(t *testing.T) {
	f := &fakeNode{chain: buildChain(12, 1)}
	c := f.start(t)
	ctx := context.Background()
	if net, err := c.Network(ctx); err != nil || net != btcnet.Regtest {
		t.Fatalf("network %v, %v", net, err)
	}
	if h, err := c.TipHeight(ctx); err != nil || h != 12 {
		t.Fatalf("tip %d, %v", h, err)
	}
	var got []int
	err := c.Blocks(ctx, 3, 12, func(h int, b *wire.MsgBlock) error {
		if b.BlockHash() != f.chain[h].BlockHash() {
			t.Errorf("block %d is %s", h, b.BlockHash())
		}
		got = append(got, h)
		return nil
	})
	if err != nil || len(got) != 10 || got[0] != 3 || got[9] != 12 {
		t.Fatalf("blocks %v, %v", got, err)
	}
	if _, err := c.BlockHash(ctx, 13); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("a height above the tip: %v", err)
	}
	if _, ok, err := c.ChainTxs(ctx); ok || err != nil {
		t.Fatalf("a node without getchaintxstats: %v %v", ok, err)
	}
	stop := errors.New("stop")
	if err := c.Blocks(ctx, 0, 12, func(h int, _ *wire.MsgBlock) error {
		if h == 4 {
			return stop
		}
		return nil
	}); err != stop {
		t.Fatalf("Blocks returned %v, not fn's error", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8332", "ftp://h/", "http://", "http://h:0/", "http://h:70000/", "http://h/?x=1", "unix:/x"} {
		if _, err := New(Config{URL: u}); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("%q: %v", u, err)
		}
	}
	c, err := New(Config{URL: "http://alice:pw@127.0.0.1:8332"})
	if err != nil {
		t.Fatal(err)
	}
	if c.user != "alice" || c.pass != "pw" || strings.Contains(c.url+c.String(), "pw") {
		t.Fatalf("credentials in the URL: user %q url %q name %q", c.user, c.url, c)
	}
}

// TestBadAnswers: every kind of wrong answer is an error that says what
// was wrong, and no block comes out of it.
func TestBadAnswers(t *testing.T) {
	chain := buildChain(4, 1)
	other := buildChain(4, 2)
	raw3 := serialize(chain[3])
	// A block with an extra transaction but the old header: its merkle
	// root no longer matches.
	extra := *chain[3]
	extra.Transactions = append(append([]*wire.MsgTx(nil), chain[3].Transactions...), other[3].Transactions[1])
	// A mutated block: [cb, a, b] and [cb, a, b, b] have the same root.
	three := *chain[3]
	three.Transactions = append(append([]*wire.MsgTx(nil), chain[3].Transactions...), other[3].Transactions[1])
	setMerkle(&three)
	mutated := three
	mutated.Transactions = append(append([]*wire.MsgTx(nil), three.Transactions...), three.Transactions[2])
	blockAt3 := func(raw []byte) func(r *fakeRequest, res any) any {
		return func(r *fakeRequest, res any) any {
			if r.Method == "getblock" && r.Params[0] == chain[3].BlockHash().String() {
				return hex.EncodeToString(raw)
			}
			return res
		}
	}
	answer := func(method string, v any) func(r *fakeRequest, res any) any {
		return func(r *fakeRequest, res any) any {
			if r.Method == method {
				return v
			}
			return res
		}
	}
	body := func(method string, status int, b string) func(r *fakeRequest) (int, string, bool) {
		return func(r *fakeRequest) (int, string, bool) {
			return status, strings.ReplaceAll(b, "ID", string(r.ID)), r.Method == method
		}
	}
	cases := []struct {
		name string
		hook func(r *fakeRequest) (int, string, bool)
		edit func(r *fakeRequest, res any) any
		code errs.Code
		want string
	}{
		{"another block's bytes", nil, blockAt3(serialize(other[3])), errs.Invalid, "not " + chain[3].BlockHash().String()},
		{"an extra transaction", nil, blockAt3(serialize(&extra)), errs.Invalid, "merkle root"},
		{"a mutated merkle tree", func(r *fakeRequest) (int, string, bool) {
			if r.Method == "getblock" && r.Params[0] == mutated.BlockHash().String() {
				return 200, `{"result":"` + hex.EncodeToString(serialize(&mutated)) + `","error":null,"id":` + string(r.ID) + `}`, true
			}
			return 0, "", false
		}, func(r *fakeRequest, res any) any {
			if r.Method == "getblockhash" && r.Params[0].(float64) == 3 {
				return mutated.BlockHash().String()
			}
			return res
		}, errs.Invalid, "mutated"},
		{"bytes after the block", nil, blockAt3(append(append([]byte(nil), raw3...), 0)), errs.Invalid, "after the block's last transaction"},
		{"a block cut short", nil, blockAt3(raw3[:len(raw3)-1]), errs.Invalid, "does not decode"},
		{"only a header", nil, blockAt3(raw3[:80]), errs.Invalid, "does not decode"},
		{"less than a header", nil, blockAt3(raw3[:79]), errs.Invalid, "fewer than a block header"},
		{"odd hex", nil, answer("getblock", hex.EncodeToString(raw3)+"0"), errs.Invalid, "odd number"},
		{"not hex", nil, answer("getblock", strings.Repeat("zz", 100)), errs.Invalid, "bad hex"},
		{"hex too long", nil, answer("getblock", strings.Repeat("00", MaxBlockSize+1)), errs.Invalid, "more than the largest block"},
		{"a block as a number", nil, answer("getblock", 7), errs.Invalid, "not a hex string"},
		{"a short hash", nil, answer("getblockhash", strings.Repeat("a", 63)), errs.Invalid, "not a block hash"},
		{"a hash with a non-hex digit", nil, answer("getblockhash", strings.Repeat("g", 64)), errs.Invalid, "not a block hash"},
		{"a negative block count", nil, answer("getblockcount", -1), errs.Invalid, "not a height"},
		{"a block count as text", nil, answer("getblockcount", "12"), errs.Invalid, "not a height"},
		{"a huge block count", nil, answer("getblockcount", 1<<40), errs.Invalid, "not a height"},
		{"an unknown chain", nil, answer("getblockchaininfo", map[string]any{"chain": "simnet"}), errs.Invalid, "does not index"},
		{"mainnet with regtest's genesis", nil, answer("getblockchaininfo", map[string]any{"chain": "main"}), errs.Invalid, "genesis"},
		{"no result", body("getblockcount", 200, `{"result":null,"error":null,"id":ID}`), nil, errs.Invalid, "no result"},
		{"another id", body("getblockcount", 200, `{"result":3,"error":null,"id":999999}`), nil, errs.Invalid, "the id"},
		{"not JSON", body("getblockcount", 200, `<html>`), nil, errs.Invalid, "no JSON-RPC answer"},
		{"a malformed error", body("getblockcount", 200, `{"result":null,"error":"bad","id":ID}`), nil, errs.Invalid, "not {code, message}"},
		{"HTTP 500 without JSON", body("getblockcount", 500, `oops`), nil, errs.Unavailable, "HTTP 500"},
		{"always busy", body("getblockcount", 503, `Work queue depth exceeded`), nil, errs.Unavailable, "busy"},
		{"forbidden", body("getblockcount", 403, ``), nil, errs.Forbidden, "refused the connection"},
		{"an answer too large", body("getblockcount", 200, strings.Repeat(" ", smallAnswer+1)), nil, errs.TooLarge, "more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeNode{chain: chain, hook: tc.hook, edit: tc.edit}
			c := f.start(t)
			ctx := context.Background()
			_, err := c.Network(ctx)
			if err == nil {
				_, err = c.TipHeight(ctx)
			}
			if err == nil {
				err = c.Blocks(ctx, 0, 4, func(h int, b *wire.MsgBlock) error {
					if h == 3 {
						t.Errorf("block 3 came out: %s", b.BlockHash())
					}
					return nil
				})
			}
			if err == nil {
				t.Fatal("no error")
			}
			if errs.CodeOf(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %q (%s), want code %s and %q", err, errs.CodeOf(err), tc.code, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

func TestAuthAndBusy(t *testing.T) {
	f := &fakeNode{chain: buildChain(2, 1)}
	c := f.start(t)
	bad, _ := New(Config{URL: c.url, User: "user", Pass: "wrong"})
	_, err := bad.TipHeight(context.Background())
	if errs.CodeOf(err) != errs.Unauthorized || !strings.Contains(err.Error(), "refused the RPC user and password") || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("wrong password: %v", err)
	}
	// Busy twice, then an answer: the client waits and asks again.
	var busy atomic.Int32
	f.hook = func(r *fakeRequest) (int, string, bool) {
		return http.StatusServiceUnavailable, "Work queue depth exceeded", busy.Add(1) <= 2
	}
	if h, err := c.TipHeight(context.Background()); err != nil || h != 2 {
		t.Fatalf("after two busy answers: %d %v", h, err)
	}
	// Core answers an RPC error with HTTP 500 and a JSON body.
	f.hook = func(r *fakeRequest) (int, string, bool) {
		return 500, `{"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":` + string(r.ID) + `}`, true
	}
	if _, err := c.BlockHash(context.Background(), 9); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("Core's out-of-range error: %v", err)
	}
}

func TestMerkleRoot(t *testing.T) {
	chain := buildChain(3, 1)
	for _, b := range chain {
		if _, err := DecodeBlock(serialize(b), b.BlockHash()); err != nil {
			t.Fatalf("block %s: %v", b.BlockHash(), err)
		}
	}
	// The real genesis block's root is its one transaction's txid.
	g := chain[0]
	if root, mut := merkleRoot([]chainhash.Hash{g.Transactions[0].TxHash()}); root != g.Header.MerkleRoot || mut {
		t.Fatal("genesis merkle root")
	}
}
