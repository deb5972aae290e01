package txclass

import "github.com/trawlhq/trawl/internal/btcscript"

// Tx is a transaction as the heuristics see it. The caller owns it and may
// reuse its slices between calls; nothing here keeps a reference.
type Tx struct {
	Version  int32
	LockTime uint32
	Height   uint32
	Coinbase bool
	Ins      []In
	Outs     []Out
}

// In is an input: the output it spends.
type In struct {
	Value uint64
	Class btcscript.Class // the class of the spent output (P2PK shows as P2PKH)
	Addr  uint32          // the spent output's address id; 0 if unknown
	// Sequence is the input's nSequence, 0 if unknown. When every input's
	// is known, the fingerprint includes the RBF signal.
	Sequence uint32
	// FromPeelStep: the transaction that made the spent output is a peel
	// step (PeelStep of it holds).
	FromPeelStep bool
}

// Out is an output, with what the caller knows of its address and spender.
type Out struct {
	Value uint64
	Class btcscript.Class
	Addr  uint32 // address id; 0 for no address (OP_RETURN)
	// FirstSeen: this transaction is the first ever to pay Addr.
	FirstSeen bool
	// Reused: Addr is also the address of one of this transaction's inputs.
	Reused bool
	// SpentByPeelStep: the transaction that spent this output is itself a
	// peel step (PeelStep of it holds).
	SpentByPeelStep bool
	// Spender is the fingerprint of the transaction that spent this output
	// (FingerprintOf of it); zero while unspent or when the caller did not
	// look.
	Spender Fingerprint
}

// payee reports whether o pays someone: a script that can be spent, even
// for nothing. OP_RETURN data and pay-to-anchor outputs (fee bumping aids)
// are neither payment nor change.
func (o *Out) payee() bool {
	return o.Class != btcscript.NullData && o.Class != btcscript.P2A
}

// Fingerprint is a transaction's wallet fingerprint; the zero value is
// "unknown".
type Fingerprint uint8

const (
	fpKnown    Fingerprint = 1 << iota
	fpV2                   // nVersion >= 2 (BIP 68 relative locktimes possible)
	fpLockTime             // nLockTime != 0 (anti-fee-sniping wallets set it to the height)
	fpSeqKnown             // every input's nSequence is known
	fpRBF                  // some input signals replaceability (nSequence < 0xfffffffe)
)

// FingerprintOf returns the fingerprint of t.
func FingerprintOf(t *Tx) Fingerprint {
	f := fpKnown
	if t.Version >= 2 {
		f |= fpV2
	}
	if t.LockTime != 0 {
		f |= fpLockTime
	}
	if len(t.Ins) == 0 || t.Coinbase {
		return f
	}
	rbf := false
	for i := range t.Ins {
		s := t.Ins[i].Sequence
		if s == 0 {
			return f
		}
		rbf = rbf || s < 0xfffffffe
	}
	f |= fpSeqKnown
	if rbf {
		f |= fpRBF
	}
	return f
}

// Known reports whether f was computed (not the zero value).
func (f Fingerprint) Known() bool { return f&fpKnown != 0 }

// Matches reports whether two known fingerprints could come from the same
// wallet: same nVersion class and nLockTime habit, and the same RBF signal
// where both know it.
func (f Fingerprint) Matches(g Fingerprint) bool {
	if !f.Known() || !g.Known() {
		return false
	}
	const base = fpV2 | fpLockTime
	if f&base != g&base {
		return false
	}
	if f&g&fpSeqKnown != 0 && f&fpRBF != g&fpRBF {
		return false
	}
	return true
}

// PeelStep reports whether t has the shape of a peel-chain step: not a
// coinbase, one input, two outputs.
func PeelStep(t *Tx) bool {
	return !t.Coinbase && len(t.Ins) == 1 && len(t.Outs) == 2
}
