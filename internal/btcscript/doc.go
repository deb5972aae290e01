// Package btcscript classifies Bitcoin output scripts (scriptPubKey) and
// derives their addresses. It runs on every output of the chain, so
// Classify allocates nothing: it returns a fixed-size Script that holds the
// 20- or 32-byte hash or witness program, and strings are built only when
// Address is asked for.
//
// Words (the class names follow Bitcoin Core's Solver and its RPC "type"):
//   - P2PK (pubkey): <33- or 65-byte key> OP_CHECKSIG, the early coinbase
//     form. It has no address of its own; it is shown as the P2PKH address of
//     its key, as block explorers do, and stays flagged by its Class.
//   - P2PKH (pubkeyhash), P2SH (scripthash): base58check addresses of a
//     20-byte hash of a key or of a redeem script.
//   - Witness program: OP_n <2..40 bytes> (BIP141). Version 0 with 20 bytes
//     is P2WPKH, with 32 bytes P2WSH (bech32, BIP173); version 1 with 32
//     bytes is P2TR (bech32m, BIP350); OP_1 <4e73> is the pay-to-anchor P2A.
//     Other versions and lengths are WitnessUnknown: spendable by anyone
//     today, reserved for future soft forks, still given a bech32m address.
//     A version-0 program of another length is unspendable and NonStandard.
//   - Multisig (bare): OP_m <key>... OP_n OP_CHECKMULTISIG, 1 ≤ m ≤ n ≤ 16,
//     every key a direct push of a well-sized key. It has no address; each
//     key is shown as its P2PKH address.
//   - NullData: OP_RETURN followed only by pushes; the pushes are the data.
//   - NonStandard: anything else. The script is kept (Raw) and flagged.
//
// Keys are checked for size and prefix byte only, as Core's Solver does, not
// for lying on the curve: classification must stay cheap, and an off-curve
// key still tells an analyst who was paid.
package btcscript
