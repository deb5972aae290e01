package btcsim

import (
	"slices"

	"github.com/btcsuite/btcd/chaincfg/v2"
	"github.com/trawlhq/trawl/internal/errs"
)

// Options configure a simulation. Zero values take the defaults of
// EnsureDefaults.
type Options struct {
	Dir      string // output directory, created if missing
	Seed     uint64
	Txs      int64  // transactions to write, coinbases included (at least MinTxs)
	Scenario string // one of Scenarios; default mixed
	Network  string // mainnet (default) or regtest
	Xor      bool   // obfuscate the block files with a key in xor.dat

	MaxFileSize   int64 // block file cap; default 128 MiB as Core
	PreallocChunk int64 // the last file is zero-padded to a multiple of this; default 16 MiB
	ReorderWindow int   // blocks are stored shuffled within groups of this many; 1 keeps height order; default 8
	TxsPerBlock   int   // target transactions per block; default from Txs (30..3000)
	Users         int   // background users; default from Txs (300..100000)
}

// MinTxs is the smallest chain that has room for a theft and its laundering.
const MinTxs = 4000

// EnsureDefaults fills in unset options.
func (o *Options) EnsureDefaults() {
	if o.Scenario == "" {
		o.Scenario = ScenarioMixed
	}
	if o.Network == "" {
		o.Network = "mainnet"
	}
	if o.MaxFileSize == 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.PreallocChunk == 0 {
		o.PreallocChunk = DefaultPreallocChunk
	}
	if o.ReorderWindow == 0 {
		o.ReorderWindow = 8
	}
	if o.TxsPerBlock == 0 {
		o.TxsPerBlock = int(min(max(o.Txs/400, 30), 3000))
	}
	if o.Users == 0 {
		o.Users = int(min(max(o.Txs/100, 300), 100000))
	}
}

// Validate reports the first option a caller must fix.
func (o *Options) Validate() error {
	switch {
	case o.Dir == "":
		return errs.E(errs.Invalid, "btcsim: an output directory is required")
	case o.Txs < MinTxs:
		return errs.E(errs.Invalid, "btcsim: --txs must be at least %d", MinTxs)
	case !slices.Contains(Scenarios, o.Scenario):
		return errs.E(errs.Invalid, "btcsim: unknown scenario %q (want peel, coinjoin, dormant or mixed)", o.Scenario)
	case o.MaxFileSize < 1<<20:
		return errs.E(errs.Invalid, "btcsim: the block file size must be at least 1 MiB")
	case o.PreallocChunk < 0:
		return errs.E(errs.Invalid, "btcsim: the preallocation chunk must not be negative")
	case o.ReorderWindow < 1 || o.ReorderWindow > 1024:
		return errs.E(errs.Invalid, "btcsim: the reorder window must be 1..1024 blocks")
	case o.TxsPerBlock < 10 || o.TxsPerBlock > 4000:
		return errs.E(errs.Invalid, "btcsim: transactions per block must be 10..4000")
	case o.Users < 100:
		return errs.E(errs.Invalid, "btcsim: at least 100 users are needed")
	}
	_, err := NetParams(o.Network)
	return err
}

// NetParams returns the chain parameters of a network name.
func NetParams(network string) (*chaincfg.Params, error) {
	switch network {
	case "mainnet", "main":
		return &chaincfg.MainNetParams, nil
	case "regtest":
		return &chaincfg.RegressionNetParams, nil
	}
	return nil, errs.E(errs.Invalid, "btcsim: unknown network %q (want mainnet or regtest)", network)
}

// subsidy is the block reward at height under the network's halving schedule.
func subsidy(p *chaincfg.Params, height int) int64 {
	halvings := height / int(p.SubsidyReductionInterval)
	if halvings >= 64 {
		return 0
	}
	return (50 * 1e8) >> uint(halvings)
}

func networkName(p *chaincfg.Params) string {
	if p.Net == chaincfg.MainNetParams.Net {
		return "mainnet"
	}
	return "regtest"
}
