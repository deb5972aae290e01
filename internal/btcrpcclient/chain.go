package btcrpcclient

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/pipeline"
)

// genesis is the genesis hash of each named network, which the node's
// block 0 must have.
var genesis = map[btcnet.Network]*chainhash.Hash{
	btcnet.Mainnet:  chaincfg.MainNetParams.GenesisHash,
	btcnet.Testnet3: chaincfg.TestNet3Params.GenesisHash,
	btcnet.Testnet4: chaincfg.TestNet4Params.GenesisHash,
	btcnet.Signet:   chaincfg.SigNetParams.GenesisHash,
	btcnet.Regtest:  chaincfg.RegressionNetParams.GenesisHash,
}

// Network asks the node which chain it follows (getblockchaininfo) and
// checks that its block 0 is that chain's genesis block.
func (c *Client) Network(ctx context.Context) (btcnet.Network, error) {
	res, err := c.call(ctx, "getblockchaininfo", []any{}, smallAnswer)
	if err != nil {
		return btcnet.Unknown, err
	}
	var info struct {
		Chain string `json:"chain"`
	}
	if err := json.Unmarshal(res, &info); err != nil || info.Chain == "" {
		return btcnet.Unknown, c.badAnswer("getblockchaininfo", "no chain name")
	}
	net, err := btcnet.Parse(info.Chain)
	if err != nil {
		return btcnet.Unknown, errs.E(errs.Invalid, "btcrpcclient: %s follows chain %q, which trawl does not index", c.name, truncate(info.Chain, 40))
	}
	h, err := c.BlockHash(ctx, 0)
	if err != nil {
		return btcnet.Unknown, err
	}
	if g := genesis[net]; g != nil && *g != h {
		// A custom signet has the signet name and its own genesis block.
		if net != btcnet.Signet {
			return btcnet.Unknown, c.badAnswer("getblockhash", "genesis block %s for %s, whose genesis is %s", h, net, g)
		}
	}
	return net, nil
}

// TipHeight returns the height of the node's best chain (getblockcount).
func (c *Client) TipHeight(ctx context.Context) (int, error) {
	res, err := c.call(ctx, "getblockcount", []any{}, smallAnswer)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(res), 10, 64)
	if err != nil || n < 0 || n > maxHeight {
		return 0, c.badAnswer("getblockcount", "%.40s, not a height", res)
	}
	return int(n), nil
}

// BlockHash returns the hash of the block at height on the node's best
// chain. A height above the tip is a NotFound error.
func (c *Client) BlockHash(ctx context.Context, height int) (chainhash.Hash, error) {
	if height < 0 || height > maxHeight {
		return chainhash.Hash{}, errs.E(errs.Invalid, "btcrpcclient: height %d out of range", height)
	}
	res, err := c.call(ctx, "getblockhash", []any{height}, smallAnswer)
	if nodeError(err, codeInvalidParam, codeOutOfRange) {
		return chainhash.Hash{}, errs.Wrap(errs.NotFound, err, "btcrpcclient: %s has no block at height %d", c.name, height)
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	h, ok := parseHashJSON(res)
	if !ok {
		return chainhash.Hash{}, c.badAnswer("getblockhash", "%.80s, not a block hash", res)
	}
	return h, nil
}

// parseHashJSON parses a JSON string of 64 hex digits (a hash in the byte
// order people read, reversed from the wire order).
func parseHashJSON(b []byte) (chainhash.Hash, bool) {
	var s string
	if json.Unmarshal(b, &s) != nil {
		return chainhash.Hash{}, false
	}
	return parseHash(s)
}

func parseHash(s string) (chainhash.Hash, bool) {
	var h chainhash.Hash
	if len(s) != 64 {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, false
	}
	for i := range 16 {
		h[i], h[31-i] = h[31-i], h[i]
	}
	return h, true
}

// RawBlock returns the serialized block with the given hash (getblock with
// verbosity 0), its size and hex checked but not yet decoded.
func (c *Client) RawBlock(ctx context.Context, hash chainhash.Hash) ([]byte, error) {
	res, err := c.call(ctx, "getblock", []any{hash.String(), 0}, rawAnswer)
	if nodeError(err, codeBlockNotFound) {
		return nil, errs.Wrap(errs.NotFound, err, "btcrpcclient: %s has no block %s", c.name, hash)
	}
	if err != nil {
		return nil, err
	}
	return c.decodeHexResult("getblock", res)
}

// decodeHexResult decodes a JSON string of hex digits that holds a block.
func (c *Client) decodeHexResult(method string, res []byte) ([]byte, error) {
	// The hex needs no JSON unescaping: a string of hex digits is the bytes
	// between its quotes.
	if len(res) < 2 || res[0] != '"' || res[len(res)-1] != '"' {
		return nil, c.badAnswer(method, "%.40s..., not a hex string", res)
	}
	h := res[1 : len(res)-1]
	switch {
	case len(h)%2 != 0:
		return nil, c.badAnswer(method, "an odd number (%d) of hex digits", len(h))
	case len(h) < 2*blockHeaderSize:
		return nil, c.badAnswer(method, "%d bytes, fewer than a block header", len(h)/2)
	case len(h) > 2*MaxBlockSize:
		return nil, c.badAnswer(method, "%d bytes, more than the largest block (%d)", len(h)/2, MaxBlockSize)
	}
	raw := make([]byte, len(h)/2)
	if _, err := hex.Decode(raw, h); err != nil {
		return nil, c.badAnswer(method, "bad hex (%v)", err)
	}
	return raw, nil
}

const blockHeaderSize = 80

// DecodeBlock decodes a serialized block and checks that it is the block
// with hash want: its header hashes to want, its transactions to the
// header's merkle root without a duplicated subtree, and no bytes follow.
func DecodeBlock(raw []byte, want chainhash.Hash) (*wire.MsgBlock, error) {
	if len(raw) < blockHeaderSize {
		return nil, fmt.Errorf("%d bytes, fewer than a block header", len(raw))
	}
	if got := chainhash.DoubleHashH(raw[:blockHeaderSize]); got != want {
		return nil, fmt.Errorf("the block %s, not %s", got, want)
	}
	var b wire.MsgBlock
	r := bytes.NewReader(raw)
	if err := b.Deserialize(r); err != nil {
		return nil, fmt.Errorf("a block that does not decode (%v)", err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the block's last transaction", r.Len())
	}
	if len(b.Transactions) == 0 {
		return nil, fmt.Errorf("a block without transactions")
	}
	ids := make([]chainhash.Hash, len(b.Transactions))
	for i, tx := range b.Transactions {
		ids[i] = tx.TxHash()
	}
	root, mutated := merkleRoot(ids)
	if mutated {
		return nil, fmt.Errorf("a block whose merkle tree repeats a subtree (a mutated block)")
	}
	if root != b.Header.MerkleRoot {
		return nil, fmt.Errorf("transactions whose merkle root %s is not the header's %s", root, b.Header.MerkleRoot)
	}
	return &b, nil
}

// merkleRoot computes Bitcoin's merkle root of ids, and whether two equal
// hashes were paired at some level, which Core calls mutation: a block
// with its last transactions repeated has the same root (CVE-2012-2459).
// ids is overwritten.
func merkleRoot(ids []chainhash.Hash) (chainhash.Hash, bool) {
	mutated := false
	var buf [64]byte
	for len(ids) > 1 {
		n := 0
		for i := 0; i < len(ids); i += 2 {
			j := min(i+1, len(ids)-1)
			if j != i && ids[i] == ids[j] {
				mutated = true
			}
			copy(buf[:32], ids[i][:])
			copy(buf[32:], ids[j][:])
			ids[n] = chainhash.DoubleHashH(buf[:])
			n++
		}
		ids = ids[:n]
	}
	return ids[0], mutated
}

// Block returns the block at height on the node's best chain, checked.
func (c *Client) Block(ctx context.Context, height int) (*wire.MsgBlock, error) {
	h, err := c.BlockHash(ctx, height)
	if err != nil {
		return nil, err
	}
	return c.BlockByHash(ctx, h)
}

// BlockByHash returns the block with hash h, checked.
func (c *Client) BlockByHash(ctx context.Context, h chainhash.Hash) (*wire.MsgBlock, error) {
	raw, err := c.RawBlock(ctx, h)
	if err != nil {
		return nil, err
	}
	b, err := DecodeBlock(raw, h)
	if err != nil {
		return nil, c.badAnswer("getblock", "%v", err)
	}
	return b, nil
}

// Blocks calls fn for the blocks at heights from to to of the node's best
// chain, in height order, on the calling goroutine, while up to Workers
// requests fetch and check the next ones. Each block hashes to what
// getblockhash answered for its height when it was asked; if the node
// switches branch meanwhile, consecutive blocks may come from different
// branches, which the caller sees in their previous-block hashes. fn owns
// the block. Blocks stops at the first error of fn, of the node or of ctx.
func (c *Client) Blocks(ctx context.Context, from, to int, fn func(height int, b *wire.MsgBlock) error) error {
	if from < 0 || to > maxHeight || from > to+1 {
		return errs.E(errs.Invalid, "btcrpcclient: bad height range %d..%d", from, to)
	}
	return pipeline.Ordered(ctx, from, to, c.workers, 2*c.workers, func() func(context.Context, int) (*wire.MsgBlock, error) {
		return c.Block
	}, fn)
}

// ChainTxs returns the number of transactions in the node's best chain up
// to its tip (Core's getchaintxstats); ok is false when the node does not
// say (btcd has no such call; Core omits it for some chain states).
func (c *Client) ChainTxs(ctx context.Context) (n int64, ok bool, err error) {
	res, err := c.call(ctx, "getchaintxstats", []any{}, smallAnswer)
	if nodeError(err, codeMethodNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var st struct {
		TxCount *int64 `json:"txcount"`
	}
	if err := json.Unmarshal(res, &st); err != nil {
		return 0, false, c.badAnswer("getchaintxstats", "no object")
	}
	if st.TxCount == nil {
		return 0, false, nil
	}
	if *st.TxCount < 0 || *st.TxCount > 1<<40 {
		return 0, false, c.badAnswer("getchaintxstats", "txcount %d", *st.TxCount)
	}
	return *st.TxCount, true, nil
}
