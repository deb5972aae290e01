package watchlist

import (
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"
)

func readNames(t testing.TB, rel string) []string {
	t.Helper()
	recs, err := csv.NewReader(open(t, rel)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[0])
	}
	return out
}

// recallPrecision screens every treated name and counts how often the true
// entry (truth[i], a UID) is the top hit at or above the threshold, and how
// many hits at or above it are some other entry.
func recallPrecision(ix *Index, treated []string, truth func(i int) map[string]bool, th float64) (recall, precision float64, wrong, n int) {
	right, hits := 0, 0
	for i, name := range treated {
		want := truth(i)
		if len(want) == 0 {
			continue
		}
		n++
		hs := ix.ScreenName(name, NameOptions{Threshold: th, Limit: 5})
		if len(hs) > 0 && want[hs[0].UID] {
			right++
		}
		for _, h := range hs {
			hits++
			if !want[h.UID] {
				wrong++
			}
		}
	}
	return float64(right) / float64(n), float64(hits-wrong) / float64(max(1, hits)), wrong, n
}

func TestNameRecallPositives(t *testing.T) {
	treated := readNames(t, "sanctions/positives_un_treated.csv")
	untreated := readNames(t, "sanctions/positives_un_untreated.csv")
	if len(treated) != 683 || len(untreated) != 683 {
		t.Fatalf("%d treated, %d untreated names; want 683", len(treated), len(untreated))
	}
	var es []Entry
	for i, n := range untreated {
		es = append(es, Entry{Source: "positives", UID: fmt.Sprint(i), Name: n, Type: TypeIndividual})
	}
	ix := NewIndex(es)
	truth := func(i int) map[string]bool { return map[string]bool{fmt.Sprint(i): true} }
	floors := map[float64]float64{0.80: 0.93, 0.85: 0.9, DefaultThreshold: 0.85}
	for _, th := range []float64{0.80, 0.85, DefaultThreshold, 0.92} {
		start := time.Now()
		r, p, wrong, n := recallPrecision(ix, treated, truth, th)
		t.Logf("untreated index, threshold %.2f: recall %.3f, precision %.3f (%d wrong hits) over %d names, %v/query", th, r, p, wrong, n, time.Since(start)/time.Duration(n))
		if f, ok := floors[th]; ok && r < f {
			t.Errorf("threshold %.2f: recall %.3f below floor %.2f", th, r, f)
		}
	}

	// Against the real UN list the truth is the UN entries whose name or
	// alias is the untreated name.
	un, _, err := ParseUN(open(t, "sanctions/UN_consolidated_2026-02-27.xml"))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]map[string]bool{}
	for _, e := range un {
		for _, n := range append(append([]string{e.Name}, e.Aliases...), e.WeakAliases...) {
			k := strings.Join(normalizeName(n), " ")
			if byName[k] == nil {
				byName[k] = map[string]bool{}
			}
			byName[k][e.UID] = true
		}
	}
	unix := NewIndex(un)
	unTruth := func(i int) map[string]bool { return byName[strings.Join(normalizeName(untreated[i]), " ")] }
	for _, th := range []float64{0.80, 0.85, DefaultThreshold} {
		r, p, wrong, n := recallPrecision(unix, treated, unTruth, th)
		t.Logf("UN index, threshold %.2f: recall %.3f, precision %.3f (%d wrong hits) over %d names found in the list", th, r, p, wrong, n)
		if th == 0.85 && (n < 500 || r < 0.85) {
			t.Errorf("UN index: recall %.3f over %d names", r, n)
		}
	}
}
