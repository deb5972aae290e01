// Package txclass reads the shape of a Bitcoin transaction: whether it is a
// CoinJoin (and of which protocol), a Stonewall, a peel-chain step, and which
// of its outputs is the sender's change. Clustering and tracing call it on
// every transaction of the chain, so it is pure and allocates nothing: the
// caller fills a Tx from its index (reusing the slices) and asks.
//
// Words:
//   - CoinJoin: a transaction whose inputs belong to several owners who
//     agreed to pay outputs of one value, so that no output can be tied to
//     its input. The multi-input heuristic does not hold for it, and no
//     output of it is "the" change. Kinds:
//     Whirlpool (Samourai): 5 inputs and 5 outputs (more since the 2023
//     surge cycles; up to 8 here), every output exactly one pool
//     denomination (0.001, 0.01, 0.05 or 0.5 BTC), every input that
//     denomination or a premix of it (the denomination plus the miner fee
//     it brings).
//     Wasabi1 (Wasabi 1.0/1.1, ZeroLink): many outputs of a base
//     denomination near 0.1 BTC (1.1 adds mixing levels at 2, 4, 8...
//     times it), at most one change per participant and the coordinator's
//     fee output.
//     Wasabi2 (WabiSabi): many inputs, native SegWit or Taproot only, the
//     outputs mostly standard denominations (powers of 2 and 3, twice powers
//     of 3, 1-2-5 times powers of 10, from 5,000 sat).
//     JoinMarket: a taker and makers: n equal outputs, at most one change
//     each, no coordinator; Generic: the same equal-output shape with one
//     output more (a coordinator's fee), of no known protocol.
//   - Tx0 (WhirlpoolTx0): the transaction that enters Whirlpool: one
//     wallet's coins split into premix outputs of one pool (denomination
//     plus miner fee), the coordinator's pool fee, usually an OP_RETURN and
//     change. It is a one-owner transaction, not a CoinJoin, but none of its
//     outputs is change in the sense of Change.
//   - Stonewall: Samourai's single-wallet spend that mimics a two-party
//     CoinJoin: four outputs, two of them equal (the payment and a decoy),
//     two changes, inputs that split into two sets each paying one equal
//     output and one change. STONEWALLx2, made by two wallets, looks the
//     same on chain.
//   - Peel step: a non-coinbase transaction with one input and two outputs;
//     a peel chain is a run of them, each spending the previous one's larger
//     output while the smaller one is paid away.
//   - Change: the output of a transaction that returns value to its sender.
//     Each Heuristic names at most one output; Change reports the output
//     every heuristic that spoke agrees on.
//   - Fingerprint: what a transaction tells of the wallet software that made
//     it (nVersion, whether nLockTime is set, the RBF signal of its inputs'
//     nSequence when known). Change is spent by the same wallet, so the
//     spender of the change usually carries the fingerprint of the
//     transaction that made it.
//
// Decisions, and why:
//   - An equal-output CoinJoin needs three equal outputs. Two equal outputs
//     are what ordinary payments, and Stonewall, look like: a Stonewall is
//     therefore never a CoinJoin here (the veto is that threshold), and
//     STONEWALLx2 is taken for the one-wallet spend it imitates, which
//     clusters its two wallets' inputs together. Change does not answer for
//     a Stonewall: it has two changes and a decoy by design.
//   - Amounts decide. The protocols' rules on script types (Whirlpool and
//     Wasabi 1 pay bech32 only, a JoinMarket CoinJoin uses one type) are
//     not asked for: the amounts already single these shapes out, and the
//     simulated chain the tests measure on does not keep those rules. Only
//     Wasabi 2 is checked for SegWit and Taproot, because its amounts (1-2-5
//     series among them) are common elsewhere.
//   - Every bound is a constant in coinjoin.go with its source, or marked
//     as a choice of ours.
//   - Amounts are in satoshis throughout.
package txclass
