package btcindex

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRadixSort(t *testing.T) {
	type e struct {
		k   uint64
		seq int
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var tmp []e
	for _, n := range []int{0, 1, 5, 63, 64, 1000, 70000} {
		for _, mask := range []uint64{^uint64(0), 0xffff, 0xff00ff0000000000, 7} {
			xs := make([]e, n)
			for i := range xs {
				xs[i] = e{rng.Uint64() & mask, i}
			}
			want := slices.Clone(xs)
			slices.SortStableFunc(want, func(a, b e) int { return cmp.Compare(a.k, b.k) })
			tmp = radixSort(xs, tmp, func(x *e) uint64 { return x.k })
			if !slices.Equal(xs, want) {
				t.Fatalf("n %d mask %x: not sorted stably", n, mask)
			}
		}
	}
}
