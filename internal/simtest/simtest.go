// Package simtest builds simulated chains and their indexes for tests of
// the tracer: a chain from internal/btcsim with its truth, indexed by
// internal/btcindex. Chains are cached per process and options, so the
// tests of one package share them.
package simtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/trawlhq/trawl/internal/blkfile"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// Chain is a simulated chain, its truth and its index.
type Chain struct {
	Dir    string // block files and truth.json
	Truth  *btcsim.Truth
	Index  *btcindex.Index
	Graph  *txgraph.Graph
	Blocks *blkfile.Chain
}

var (
	mu     sync.Mutex
	chains = map[string]*Chain{}
	root   string
)

// Get returns the chain simulated with seed, txs and scenario, building it
// on first use. The index is shared: tests must not write to it.
func Get(t testing.TB, seed uint64, txs int64, scenario string) *Chain {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	key := fmt.Sprintf("%d-%d-%s", seed, txs, scenario)
	if c, ok := chains[key]; ok {
		return c
	}
	if root == "" {
		d, err := os.MkdirTemp("", "trawl-simtest-")
		if err != nil {
			t.Fatal(err)
		}
		root = d
	}
	c, err := build(filepath.Join(root, key), btcsim.Options{Seed: seed, Txs: txs, Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	chains[key] = c
	return c
}

// Cleanup removes every chain this process built; call it from TestMain.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	for _, c := range chains {
		c.Close()
	}
	if root != "" {
		os.RemoveAll(root)
	}
}

func build(dir string, o btcsim.Options) (*Chain, error) {
	ctx := context.Background()
	o.Dir = filepath.Join(dir, "blocks")
	if _, err := btcsim.Simulate(ctx, o); err != nil {
		return nil, err
	}
	c, err := Open(ctx, o.Dir, filepath.Join(dir, "btc"))
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Open ingests the block files in blocks (with their truth.json) into a
// new index in indexDir and builds its graph.
func Open(ctx context.Context, blocks, indexDir string) (*Chain, error) {
	raw, err := os.ReadFile(filepath.Join(blocks, "truth.json"))
	if err != nil {
		return nil, err
	}
	truth := new(btcsim.Truth)
	if err := json.Unmarshal(raw, truth); err != nil {
		return nil, err
	}
	c, err := OpenBlocks(ctx, blocks, indexDir)
	if err != nil {
		return nil, err
	}
	c.Truth = truth
	return c, nil
}

// OpenBlocks ingests the block files in blocks into a new index in
// indexDir and builds its graph; Truth is nil.
func OpenBlocks(ctx context.Context, blocks, indexDir string) (*Chain, error) {
	c := &Chain{Dir: blocks}
	r, err := blkfile.Open(blocks)
	if err != nil {
		return nil, err
	}
	if c.Blocks, err = r.Scan(ctx); err != nil {
		r.Close()
		return nil, err
	}
	if c.Index, err = btcindex.Open(indexDir, btcindex.Options{}); err != nil {
		r.Close()
		return nil, err
	}
	if err := c.Index.Ingest(ctx, c.Blocks, nil); err != nil {
		c.Close()
		return nil, err
	}
	if c.Graph, err = txgraph.Build(ctx, c.Index); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the index and the block files.
func (c *Chain) Close() {
	c.Index.Close()
	c.Blocks.Reader().Close()
}

// Main runs a package's tests and removes the chains they built; call it
// from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Cleanup()
	os.Exit(code)
}
