package txgraph

import (
	"context"

	"github.com/trawlhq/trawl/internal/btcscript"
)

// Pinner is a Source that can hold one committed state still while it goes
// on ingesting. Extend reads the tip, the block hashes and the new
// transactions from one pinned state, so that blocks committed or a reorg
// made between those reads cannot mix two chains in the graph. release
// frees the pinned state.
type Pinner interface {
	Pin() (pinned Source, release func())
}

// Source is a chain index the graph is read from (internal/btcindex is one).
type Source interface {
	// GraphTip returns the committed tip: its height and the tx number the
	// next transaction will get; ok is false for an empty index.
	GraphTip() (height int, nextTx uint32, ok bool, err error)
	// BlockAt returns the hash and first tx number of the block at height,
	// or an errs.NotFound error.
	BlockAt(height int) (hash [32]byte, firstTx uint32, err error)
	// ScanTxs calls fn for tx numbers from..to-1 in order; fn's argument is
	// reused between calls.
	ScanTxs(ctx context.Context, from, to uint32, fn func(*RawTx) error) error
	TxID(n uint32) (string, error)
	TxNumOf(txid string) (uint32, error)
	AddrText(a uint32) (string, error)
	AddrIDOf(text string) (uint32, error)
	// AddrTxs returns the tx numbers in which address a received, in chain
	// order; with limit > 0 only the newest limit.
	AddrTxs(a uint32, limit int) ([]uint32, error)
}

// RawTx is one transaction as a Source hands it out.
type RawTx struct {
	Num      uint32
	Height   uint32
	Coinbase bool
	Version  int32
	LockTime uint32
	Ins      []RawIn
	Outs     []RawOut
}

// RawIn is an input: the output it spends (tx number and vout), with that
// output's value and address id.
type RawIn struct {
	Tx, Vout uint32
	Value    uint64
	Addr     uint32
}

// RawOut is an output.
type RawOut struct {
	Value uint64
	Addr  uint32
	Class btcscript.Class
}
