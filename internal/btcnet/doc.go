// Package btcnet names the Bitcoin networks trawl reads and the few constants
// that tell them apart: the block-file magic and the address prefixes.
//
// Words:
//   - Network: one Bitcoin chain with its own genesis block and address
//     encoding: mainnet, testnet3, testnet4, the default signet, or regtest.
//     Unknown stands for a chain we can read but not name (a custom signet,
//     a private chain with its own magic); it has no address encoding.
//   - Magic: the four bytes that start every record of a block file and every
//     P2P message of the network (mainnet f9beb4d9).
//   - HRP: the human-readable part of a bech32/bech32m (segwit) address
//     ("bc" on mainnet).
//   - Version byte: the first byte of a base58check address payload, which
//     selects the network and whether the 20 bytes hash a key (P2PKH) or a
//     script (P2SH).
//
// The values are facts from Bitcoin Core's chainparams; a test checks them
// against btcd's chaincfg so that the two never drift apart. This package
// keeps no state and imports only the standard library, so both the block
// reader and the script classifier can use it.
package btcnet
