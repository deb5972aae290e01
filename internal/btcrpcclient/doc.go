// Package btcrpcclient reads a Bitcoin chain from a node over JSON-RPC:
// Bitcoin Core or btcd. It is a block source for the chain index.
//
// Blocks are fetched raw: getblockhash for a height, then getblock with
// verbosity 0, the block's serialization in hex, which both nodes answer the
// same way. The verbose forms differ (Core lists transactions under "tx"
// and, at verbosity 3, gives each input's "prevout"; btcd lists them under
// "rawtx" and has no prevout), are four to ten times larger than the hex,
// and would give the index a second decoder to keep exact; the raw block
// decodes with the same code as the block files, and its header can be
// hashed to prove that the answer is the block that was asked for. The
// verbose forms (VerboseBlock) serve to cross-check: the node's own list of
// txids, outputs and, on Core, the outputs the inputs spend, against what
// the index resolved by itself.
//
// Every answer is checked before it is used: the JSON-RPC envelope (its id
// is the request's), sizes (a block's hex is at most twice MaxBlockSize),
// hex digits, heights in range, and for a block that its header hashes to
// the hash asked for, that its transactions hash to the header's merkle
// root (a mutated merkle tree, CVE-2012-2459, is refused) and that nothing
// follows its last transaction. A bad answer is an error that names the
// method and what was wrong; it never reaches the index.
//
// Words:
//   - Tip: the last block of the node's best chain; getblockcount is its
//     height.
//   - Busy: Core answers HTTP 503 when its RPC work queue is full; the
//     client waits and asks again a few times before it gives up.
//
// The password is never part of an error or log line: messages name the
// node by scheme, host and port only.
package btcrpcclient
