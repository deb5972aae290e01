// Package btcindex is the Bitcoin chain index the tracer runs on: every
// transaction, every output, the address it paid and the input that spent
// it, numbered densely so that a traversal follows integers, not hashes.
// It is stored in Pebble in a directory of its own (<data dir>/btc).
//
// Words:
//   - Tx number (TxNum): the position of a transaction in the chain, counting
//     from 0 for the genesis coinbase, in block order and in order within a
//     block. It fits a uint32 (mainnet has about 1.2 billion transactions).
//   - Output id (OutID): the pair (tx number, vout), packed into a uint64 as
//     txnum<<32 | vout, so that the outputs of a transaction sort together.
//   - Address id (AddrID): a dense number given to an address the first time
//     an output pays it, from 1; 0 means "no address" (OP_RETURN data, an
//     empty script). The index maps the address key (a chain-specific byte
//     string: script class and hash or program) to the id and back. P2PK
//     outputs share the id of their key's P2PKH address, as explorers show
//     them; bare multisig and non-standard scripts get an id for the script
//     itself (shown as "script:<sha256 hex>"), so every spendable output can
//     be clustered. Ids are dense per chain; GlobalAddr packs a Chain code
//     in the top byte so that entity and cluster tables can hold addresses
//     of several chains (an Ethereum index numbers its own addresses the
//     same way) without reshaping.
//   - Spend link: for a spent output, the input that spent it, as (tx
//     number, vin). Inputs carry the output id they spend with its value and
//     address id, resolved at ingest from the index itself, because block
//     files do not carry previous outputs.
//   - History: per address, the tx numbers in which it received or spent,
//     with a flag for which; with its balance, total received, the heights
//     it was first and last seen and its tx count.
//   - Undo record: per block, what connecting it changed that cannot be read
//     back from its transactions: the address statistics before the block
//     and the first address id it created. DisconnectTip uses it, with the
//     block's own transactions (whose inputs name the outputs they spent),
//     to return the index to the state before the block. Undo records are
//     kept for the last KeepUndo blocks.
//   - Tip: the last connected block. It is committed with the blocks it
//     covers in one atomic, synced write (a commit ingests one sstable per
//     table, the tip among them, or none; a small commit writes one batch),
//     so a crash at any moment leaves the index at a committed tip, from
//     which ingest resumes; every value
//     is a function of the chain alone, so the result is the same as an
//     uninterrupted run (see Checksum).
//   - Run: what the blocks connected since the last commit wrote, table by
//     table, in flat arrays. A commit sorts each table (radix sorts on the
//     integer keys) and writes it as an sstable that Pebble ingests: no
//     write-ahead log, no memtable, and the tables whose keys only grow
//     (transactions, address keys, blocks) land on the bottom level
//     without compaction. The commit of one run is written on other
//     goroutines while the next run is connected. A run of a few blocks (a
//     follower's) is committed as one Pebble batch instead, so that it
//     leaves no tiny files on the bottom level.
//   - Snapshot: queries that read several records read them from one
//     Pebble snapshot, and a graph extends from one (Pin), so a reader sees
//     each block wholly or not at all while ingest commits and reorgs.
//   - Source: a chain to ingest, block files (blkfile) or a node over
//     JSON-RPC (btcrpcclient). One connect loop serves both: it finds the
//     fork point, disconnects to it, and connects the source's blocks;
//     blocks are prepared (txids hashed, output scripts classified) on
//     other goroutines, from their bytes when the source has them.
//
// Ingest keeps the outputs of recent transactions in memory (most outputs
// are spent soon after they are created) and resolves inputs from there;
// older outputs are read from Pebble. Address ids are cached the same way,
// and the statistics of the newest addresses in a window indexed by id.
// While every address of the index is in memory (an ingest that began on
// an empty index, until a cache first drops one), Pebble is not asked
// about addresses at all. Caches drop only entries that are committed, so
// whatever the uncommitted runs wrote is always found in memory.
package btcindex
