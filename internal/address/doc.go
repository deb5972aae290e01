// Package address detects, validates and normalizes the cryptocurrency
// addresses that appear on sanctions lists, so that a watchlist can key them
// and screening can answer "is this address listed" without false negatives
// from letter case or notation, and without folding the case of formats in
// which case is part of the value.
//
// Words:
//   - Chain: the ledger an address lives on (BTC, ETH, TRX, ...). One string
//     may be valid on several chains: an EVM hex address is the same account
//     on ETH, BSC, ARB and ETC, a "1..." base58 address is valid on BTC, BCH
//     and BSV. A token such as USDT is not a chain; ChainOfSDN maps the
//     currency codes OFAC uses to the chains they can live on.
//   - Kind: the script or account type the format encodes (p2pkh, p2wsh,
//     evm, monero-subaddress, ...).
//   - Text: the canonical display form. Base58 strings are case-sensitive and
//     stay untouched; bech32 and cashaddr are shown lower-case; EVM addresses
//     carry their EIP-55 checksum.
//   - Key: the lookup key of a watchlist. It depends only on the string, never
//     on the chain it was parsed for, so Key(s) == Parse(s, c).Key for every
//     chain c that accepts s. Key itself does not validate: it is the hot
//     path of screening and only folds what the formats define as
//     case-insensitive (EVM hex, bech32, cashaddr).
//   - Alias: another notation of the same address on the same chain, such as
//     the legacy base58 and the cashaddr form of one Bitcoin Cash address. A
//     watchlist that wants both to match stores the Key of each alias.
//
// What is checked, per format: base58check version byte and double-SHA-256
// checksum (Bitcoin and its forks, Tron, Zcash t-addresses, XRP with the
// Ripple alphabet); bech32/bech32m checksum, witness version and program
// length (BIP-173, BIP-350); cashaddr polymod checksum, type and hash size;
// EIP-55 for mixed-case EVM addresses; Monero block base58 and Keccak-256
// checksum. Not checked, because the format carries nothing to check: an
// all-lower or all-upper EVM address (any 20 bytes are an account), a Solana
// address (any 32 bytes decode; whether they are an ed25519 point or a
// program-derived address is not a property of the text), and whether the
// keys inside a Monero address are valid curve points.
package address
