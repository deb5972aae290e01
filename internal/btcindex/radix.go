package btcindex

// radixSort sorts xs by key, stably, in passes over 16 bits of the key,
// skipping the passes in which all keys agree (the high bits of address
// ids and tx numbers usually do). tmp is scratch space, grown as needed and
// returned for reuse. A commit sorts millions of fixed-size entries this
// way in a few passes instead of n log n comparisons.
func radixSort[T any](xs, tmp []T, key func(*T) uint64) []T {
	if len(xs) < 64 {
		insertionSort(xs, key)
		return tmp
	}
	if cap(tmp) < len(xs) {
		tmp = make([]T, len(xs))
	}
	tmp = tmp[:len(xs)]
	src, dst := xs, tmp
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		first := uint16(key(&src[0]) >> shift)
		same := true
		for i := range src {
			d := uint16(key(&src[i]) >> shift)
			count[d]++
			same = same && d == first
		}
		if same {
			continue
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i := range src {
			d := uint16(key(&src[i]) >> shift)
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &xs[0] {
		copy(xs, src)
	}
	return tmp
}

func insertionSort[T any](xs []T, key func(*T) uint64) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && key(&xs[j]) < key(&xs[j-1]); j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}
