package btcrpcclient

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"
)

// fakeNode answers the JSON-RPC calls of a node the way btcd does, from a
// chain built by the test; hooks change answers to test validation. Real
// nodes are tested against in ../btcindex (btcd); this one can lie.
type fakeNode struct {
	mu    sync.Mutex
	chain []*wire.MsgBlock
	// all holds every block of every chain the node had, as a node keeps
	// the blocks of abandoned branches.
	all map[chainhash.Hash]*wire.MsgBlock
	// hook, if set, may answer a request itself: it returns the HTTP
	// status and body, or ok false to answer normally.
	hook func(r *fakeRequest) (status int, body string, ok bool)
	// edit, if set, may change a normal result before it is sent.
	edit  func(r *fakeRequest, result any) any
	calls map[string]int
	// core answers as Bitcoin Core does where it differs from btcd: RPC
	// errors with HTTP 500 (404 for an unknown method) and Core's codes.
	core bool
}

type fakeRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params []any           `json:"params"`
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u, p, ok := r.BasicAuth(); !ok || u != "user" || p != "secret" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var req fakeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[req.Method]++
	hook, edit := f.hook, f.edit
	f.mu.Unlock()
	if hook != nil {
		if status, body, ok := hook(&req); ok {
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
	}
	res, rpcErr := f.answer(&req)
	if edit != nil && rpcErr == nil {
		res = edit(&req, res)
	}
	env := map[string]any{"result": res, "error": rpcErr, "id": req.ID}
	if f.core && rpcErr != nil {
		status := http.StatusInternalServerError
		if rpcErr.(map[string]any)["code"] == -32601 {
			status = http.StatusNotFound
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
	}
	json.NewEncoder(w).Encode(env)
}

func (f *fakeNode) answer(r *fakeRequest) (any, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case "getblockchaininfo":
		return map[string]any{"chain": "regtest", "blocks": len(f.chain) - 1}, nil
	case "getblockcount":
		return len(f.chain) - 1, nil
	case "getblockhash":
		h := int(r.Params[0].(float64))
		if h < 0 || h >= len(f.chain) {
			if f.core {
				return nil, map[string]any{"code": -8, "message": "Block height out of range"}
			}
			return nil, map[string]any{"code": -1, "message": "Block number out of range"}
		}
		return f.chain[h].BlockHash().String(), nil
	case "getblock":
		f.remember(f.chain)
		h, ok := parseHash(r.Params[0].(string))
		b := f.all[h]
		if !ok || b == nil {
			return nil, map[string]any{"code": -5, "message": "Block not found"}
		}
		switch r.Params[1].(float64) {
		case 0:
			return hex.EncodeToString(serialize(b)), nil
		case 2, 3:
			return f.verbose(b, r.Params[1].(float64) == 3), nil
		}
		return nil, map[string]any{"code": -8, "message": "Verbosity must be in range 0..3"}
	}
	return nil, map[string]any{"code": -32601, "message": "Method not found"}
}

func (f *fakeNode) setChain(c []*wire.MsgBlock) {
	f.mu.Lock()
	f.remember(f.chain)
	f.chain = c
	f.mu.Unlock()
}

func (f *fakeNode) remember(c []*wire.MsgBlock) {
	if f.all == nil {
		f.all = map[chainhash.Hash]*wire.MsgBlock{}
	}
	for _, b := range c {
		f.all[b.BlockHash()] = b
	}
}

// verbose describes b as Core does at verbosity 2, or 3 with prevouts.
func (f *fakeNode) verbose(b *wire.MsgBlock, prevouts bool) map[string]any {
	height := -1
	outs := map[wire.OutPoint]*wire.TxOut{}
	for _, c := range f.all {
		for _, tx := range c.Transactions {
			for i, o := range tx.TxOut {
				outs[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}] = o
			}
		}
	}
	for h, c := range f.chain {
		if c.BlockHash() == b.BlockHash() {
			height = h
		}
	}
	out := func(o *wire.TxOut, n int) map[string]any {
		m := map[string]any{"value": json.Number(fmt.Sprintf("%d.%08d", o.Value/100_000_000, o.Value%100_000_000)),
			"scriptPubKey": map[string]any{"asm": "", "hex": hex.EncodeToString(o.PkScript), "type": "pubkeyhash"}}
		if n >= 0 {
			m["n"] = n
		}
		return m
	}
	var txs []any
	for _, tx := range b.Transactions {
		var vin, vout []any
		for _, in := range tx.TxIn {
			if in.PreviousOutPoint.Index == wire.MaxPrevOutIndex {
				vin = append(vin, map[string]any{"coinbase": hex.EncodeToString(in.SignatureScript), "sequence": in.Sequence})
				continue
			}
			m := map[string]any{"txid": in.PreviousOutPoint.Hash.String(), "vout": in.PreviousOutPoint.Index, "sequence": in.Sequence}
			if prevouts {
				m["prevout"] = out(outs[in.PreviousOutPoint], -1)
			}
			vin = append(vin, m)
		}
		for i, o := range tx.TxOut {
			vout = append(vout, out(o, i))
		}
		txs = append(txs, map[string]any{"txid": tx.TxHash().String(), "hash": tx.WitnessHash().String(), "vin": vin, "vout": vout})
	}
	m := map[string]any{"hash": b.BlockHash().String(), "height": height, "nTx": len(txs), "tx": txs}
	if height > 0 {
		m["previousblockhash"] = b.Header.PrevBlock.String()
	}
	return m
}

// start serves f and returns a client of it.
func (f *fakeNode) start(t testing.TB) *Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, User: "user", Pass: "secret", Workers: 3, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// p2pkh is an output script paying key hash {k, k, ...}.
func p2pkh(k byte) []byte {
	s := []byte{0x76, 0xa9, 20}
	s = append(s, bytes.Repeat([]byte{k}, 20)...)
	return append(s, 0x88, 0xac)
}

// buildChain returns regtest's genesis block and n blocks on it; from
// height 2 each block also spends the coinbase of the block before it to
// key tag, so that chains with different tags differ in their addresses.
func buildChain(n int, tag byte) []*wire.MsgBlock {
	g := chaincfg.RegressionNetParams.GenesisBlock
	chain := []*wire.MsgBlock{g}
	return extend(chain, n, tag)
}

// extend adds n blocks to chain (a copy).
func extend(chain []*wire.MsgBlock, n int, tag byte) []*wire.MsgBlock {
	chain = append([]*wire.MsgBlock(nil), chain...)
	for range n {
		h := len(chain)
		prev := chain[h-1]
		ph := prev.BlockHash()
		b := wire.NewMsgBlock(wire.NewBlockHeader(1, &ph, &chainhash.Hash{}, 0x207fffff, uint32(h)))
		b.Header.Timestamp = time.Unix(1_600_000_000+int64(h)*600, 0)
		cb := wire.NewMsgTx(1)
		cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), []byte{byte(h), byte(h >> 8), tag}, nil))
		cb.AddTxOut(wire.NewTxOut(50*100_000_000, p2pkh(byte(h))))
		b.AddTransaction(cb)
		if h >= 2 {
			pc := prev.Transactions[0]
			id := pc.TxHash()
			tx := wire.NewMsgTx(1)
			tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&id, 0), nil, nil))
			tx.AddTxOut(wire.NewTxOut(pc.TxOut[0].Value-1000, p2pkh(tag)))
			b.AddTransaction(tx)
		}
		setMerkle(b)
		chain = append(chain, b)
	}
	return chain
}

func setMerkle(b *wire.MsgBlock) {
	ids := make([]chainhash.Hash, len(b.Transactions))
	for i, tx := range b.Transactions {
		ids[i] = tx.TxHash()
	}
	b.Header.MerkleRoot, _ = merkleRoot(ids)
}

func serialize(b *wire.MsgBlock) []byte {
	var buf bytes.Buffer
	if err := b.Serialize(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}
