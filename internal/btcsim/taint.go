package btcsim

import "math/bits"

// splitTaint passes taint satoshis of stolen value through a transaction
// whose inputs are worth vin: each part (the outputs' values, then the fee)
// gets taint*part/vin, rounded down, and the satoshis lost to rounding go
// one each to the parts with the largest remainders (the first part on a
// tie). The result is exact integer accounting: the parts sum to taint, and
// anyone who applies the same rule to the chain gets the same numbers.
func splitTaint(taint, vin int64, parts []int64) []int64 {
	shares := make([]int64, len(parts))
	if taint == 0 || vin == 0 {
		return shares
	}
	rems := make([]uint64, len(parts))
	var given int64
	for i, p := range parts {
		hi, lo := bits.Mul64(uint64(taint), uint64(p))
		q, r := bits.Div64(hi, lo, uint64(vin)) // taint <= vin and p <= vin, so no overflow
		shares[i] = int64(q)
		rems[i] = r
		given += int64(q)
	}
	for left := taint - given; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if best < 0 || r > rems[best] {
				best = i
			}
		}
		shares[best]++
		rems[best] = 0
	}
	return shares
}
