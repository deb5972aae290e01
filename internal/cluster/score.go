package cluster

// Score compares a clustering with the truth: ids[a] is address a's cluster
// and owner[a] its true owner (negative: unknown, not scored). Pairwise
// precision is the share of address pairs put in one cluster that one owner
// really holds; recall the share of pairs one owner holds that were put in
// one cluster. Both are 1 when there are no pairs to judge.
func Score(ids []uint32, owner []int32) (precision, recall float64, pairsClustered, pairsTrue uint64) {
	type cell struct {
		c uint32
		o int32
	}
	byCell := map[cell]uint64{}
	byCluster := map[uint32]uint64{}
	byOwner := map[int32]uint64{}
	for a := 1; a < len(ids) && a < len(owner); a++ {
		o := owner[a]
		if o < 0 {
			continue
		}
		byCell[cell{ids[a], o}]++
		byCluster[ids[a]]++
		byOwner[o]++
	}
	pairs := func(n uint64) uint64 { return n * (n - 1) / 2 }
	var same uint64
	for _, n := range byCell {
		same += pairs(n)
	}
	for _, n := range byCluster {
		pairsClustered += pairs(n)
	}
	for _, n := range byOwner {
		pairsTrue += pairs(n)
	}
	precision, recall = 1, 1
	if pairsClustered > 0 {
		precision = float64(same) / float64(pairsClustered)
	}
	if pairsTrue > 0 {
		recall = float64(same) / float64(pairsTrue)
	}
	return precision, recall, pairsClustered, pairsTrue
}
