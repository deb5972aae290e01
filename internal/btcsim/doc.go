// Package btcsim writes a synthetic Bitcoin chain in which a theft happens
// and the stolen coins are laundered, together with the ground truth of where
// they went. No public chain comes with that truth, so the demo, the tests and
// the benchmarks of the tracer run on chains made here.
//
// The chain is written as a Bitcoin Core node writes it: blkNNNNN.dat files
// of magic + size + block records, blocks stored slightly out of height
// order, the last file zero-padded, optionally obfuscated with xor.dat.
// Verify reads such a directory back and checks the chain and its truth.
//
// Words:
//   - Economy: the background population whose payments the laundering hides
//     among — miners and their pool payouts, users paying each other with
//     change, exchanges with per-customer deposit addresses, sweeps into hot
//     wallets and batched withdrawals, OTC desks and CoinJoin services.
//   - Entity: one real-world owner of addresses (a user, an exchange, a
//     mining pool, a CoinJoin coordinator, an OTC desk, the attacker). Every
//     address on the chain has exactly one; clustering is scored against it.
//   - Scenario: the attacker's playbook after the theft of an exchange hot
//     wallet: "peel", "coinjoin", "dormant", or "mixed" (the default), which
//     splits the loot among all three.
//   - Peel chain: a run of transactions with one input and two outputs, where
//     the small output (the peel) goes to a cash-out and the large one
//     continues as the next transaction's only input.
//   - Cash-out: an output paid by tainted value to an address of a service
//     (an exchange deposit address or an OTC desk), where coins turn into
//     fiat or other assets off-chain. Tracing stops there: the service's
//     books, not the chain, say what happened next.
//   - Haircut share: the part of an output that derives from the theft when
//     every transaction passes its inputs' stolen satoshis to its outputs
//     and its fee in proportion to value. Shares are whole satoshis: each
//     part gets the rounded-down proportion and the satoshis left over go
//     one each to the parts with the largest remainders (see splitTaint).
//     So the shares that reach services, those paid as fees and those still
//     held at the tip sum to the stolen amount exactly, and a dilution below
//     one satoshi ends the trail.
//   - Poison taint: the boolean variant — an output is poisoned if any input
//     is; it never dilutes. Both stop at service addresses.
package btcsim
