// Package blkfile reads the block files of a Bitcoin Core data directory
// (blocks/blkNNNNN.dat) and yields the blocks of the best chain in height
// order, without a node and without Core's LevelDB block index.
//
// Words:
//   - Block file: blkNNNNN.dat, a sequence of records, each the network
//     magic (4 bytes), the block size (4 bytes, little-endian) and the
//     serialized block. Core stores blocks in the order it received them,
//     not in height order, preallocates files in 16 MiB steps (so a file's
//     data ends at the first run of zero bytes where a magic is expected),
//     and caps a file at 128 MiB.
//   - Obfuscation key: Core 28+ writes an 8-byte key to xor.dat beside the
//     block files and xors every byte of a file with key[offset % 8]. A
//     missing xor.dat or an all-zero key means plain files.
//   - Root: the block whose parent is not in the files. For a full node that
//     is the genesis block (its parent is the all-zero hash), which is why no
//     genesis hash is hard-coded and private chains work too. Heights count
//     from the root, so they are true heights only when the root is genesis;
//     a pruned node's files start elsewhere.
//   - Work: the expected number of hashes a block took, 2^256/(target+1),
//     with the target decoded from the header's compact "bits". The best
//     chain is the one with the most cumulative work; on a tie the tip seen
//     first in file order wins, as Core keeps the tip it received first.
//   - Orphan: a block in the files that is not on the best chain. A stale
//     orphan branches off the chain (a lost race between miners); a detached
//     orphan has no path to the root because an ancestor is missing from
//     the files.
//
// Reading is two passes. Scan reads only the 80-byte header of every record
// (a few tens of MB for mainnet's ~900,000 blocks) and picks the chain;
// Chain.Blocks then reads each block of the chain by its offset, decoding
// several blocks ahead on other cores while the caller handles the current
// one.
//
// Bad input is an error that names the file and offset: a magic of another
// network or garbage where a record should start, a size below a header or
// above MaxBlockSize, a record that runs past the end of its file. The one
// exception is the last file: Core appends there, so a record cut short at
// its end is what a crash during a write leaves behind, and Core itself
// overwrites it on restart. That record is skipped with a Warning.
package blkfile
