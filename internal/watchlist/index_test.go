package watchlist

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"
)

// synthetic returns n entries of one address each: lower-case EVM hex
// (whose key is the value) and mixed-case hex (whose key differs), half
// each, with short names.
func synthetic(rng *rand.Rand, first, n int) []Entry {
	es := make([]Entry, n)
	var b [20]byte
	for i := range es {
		for j := 0; j < 20; j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < 20; k++ {
				b[j+k] = byte(v >> (8 * k))
			}
		}
		v := "0x" + hex.EncodeToString(b[:])
		if i%2 == 1 {
			v = "0x" + string(v[2]-32*boolByte(v[2] >= 'a')) + v[3:]
		}
		es[i] = Entry{Source: "synthetic", UID: fmt.Sprint(first + i), Name: fmt.Sprintf("entity %d", first+i), Type: TypeEntity,
			Addresses: []ListedAddress{{Currency: "ETH", Value: v, Key: lowerASCII(v)}}}
	}
	return es
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func benchIndex(b *testing.B, n int) (*Index, []string) {
	rng := rand.New(rand.NewPCG(1, 2))
	es := synthetic(rng, 0, n)
	ix := NewIndex(es)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = es[rng.IntN(n)].Addresses[0].Key
	}
	return ix, keys
}

const benchN = 1_000_000

// BenchmarkLookupHitSmall is a lookup in an index of every source's size
// today (all of OFAC, the UN, law-enforcement and oracle lists together hold
// about a thousand addresses), which stays in the CPU's caches.
func BenchmarkLookupHitSmall(b *testing.B) { benchLookupHit(b, 10_000) }

// BenchmarkLookupHit looks up in a 1,000,000-address index, where most
// lookups miss the CPU's caches.
func BenchmarkLookupHit(b *testing.B) { benchLookupHit(b, benchN) }

func benchLookupHit(b *testing.B, n int) {
	ix, keys := benchIndex(b, n)
	buf := make([]Hit, 0, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if len(ix.LookupAppend(buf[:0], keys[i&1023])) != 1 {
			b.Fatal("miss")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

func BenchmarkLookupMiss(b *testing.B) {
	ix, _ := benchIndex(b, benchN)
	miss := synthetic(rand.New(rand.NewPCG(3, 4)), 0, 1024)
	keys := make([]string, len(miss))
	for i := range miss {
		keys[i] = miss[i].Addresses[0].Key
	}
	buf := make([]Hit, 0, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if len(ix.LookupAppend(buf[:0], keys[i&1023])) != 0 {
			b.Fatal("hit")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// TestIndexTenMillion builds an index of 10,000,000 synthetic addresses and
// reports its heap. It takes a minute and 2 GB, so it runs only with
// TRAWL_BIG=1.
func TestIndexTenMillion(t *testing.T) {
	if testing.Short() || os.Getenv("TRAWL_BIG") != "1" {
		t.Skip("set TRAWL_BIG=1 to build an index of 10 M addresses")
	}
	const n, batch = 10_000_000, 100_000
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rng := rand.New(rand.NewPCG(5, 6))
	ix := NewIndex()
	start := time.Now()
	var probe []string
	var gen time.Duration
	for i := 0; i < n; i += batch {
		g := time.Now()
		es := synthetic(rng, i, batch)
		gen += time.Since(g)
		probe = append(probe, es[0].Addresses[0].Value)
		ix.Add(es...)
	}
	build := time.Since(start) - gen
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := float64(after.HeapInuse-before.HeapInuse) / (1 << 30)
	t.Logf("10 M entries: index built in %v (plus %v generating), HeapInuse %.2f GiB", build, gen, heap)
	for _, p := range probe {
		if !ix.Listed(p) {
			t.Fatalf("%s not found", p)
		}
	}
	if heap >= 2 {
		t.Errorf("heap %.2f GiB, want < 2", heap)
	}
	runtime.KeepAlive(ix)
}

func BenchmarkScreenName(b *testing.B) {
	es, _ := realSDN(b)
	un, _, err := ParseUN(open(b, "sanctions/UN_consolidated_2026-02-27.xml"))
	if err != nil {
		b.Fatal(err)
	}
	ix := NewIndex(es, un)
	ix.ScreenName("warm up", NameOptions{})
	queries := []string{"Kim Jong-un", "Lazarus Grp", "Mohammed Al Rashid", "Ri Pyong Chol", "Banco Nacional de Cuba", "Vladimir Putin", "Korea Kwangson Banking Corp"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.ScreenName(queries[i%len(queries)], NameOptions{})
	}
}

func BenchmarkParseOFACAdvanced(b *testing.B) {
	path := testenvShared(b, "sanctions/sdn_advanced.xml.bz2")
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := ParseOFACAdvanced(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// TestEachValid walks the listed addresses in the order they were added,
// without their aliases or the values that failed validation, each with
// its entry's facts.
func TestEachValid(t *testing.T) {
	ix := NewIndex([]Entry{
		{Source: SourceOFACSDN, UID: "1", Name: "Lazarus", Type: TypeEntity, Programs: []string{"DPRK3"}, Addresses: []ListedAddress{
			{Currency: "ETH", Value: "0x098B716B8Aaf21512996dC57EB0615e2383E2f96", Key: "0x098b716b8aaf21512996dc57eb0615e2383e2f96"},
			{Currency: "XBT", Value: "not-an-address", Key: "not-an-address", Invalid: "not an address of any known chain"},
			{Currency: "XBT", Value: "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6", Key: "bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6", AliasKeys: []string{"alias-key"}},
		}},
		{Source: "fbi", UID: "2", Name: "TraderTraitor", Type: TypeEntity, Addresses: []ListedAddress{
			{Currency: "ETH", Value: "0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b"},
		}},
	})
	var got []string
	ix.EachValid(func(h Hit) {
		got = append(got, fmt.Sprintf("%s %s %s %v %s", h.Source, h.UID, h.Name, h.Programs, h.Value))
		if h.Alias {
			t.Errorf("EachValid gave an alias: %+v", h)
		}
	})
	want := []string{
		"ofac-sdn 1 Lazarus [DPRK3] 0x098B716B8Aaf21512996dC57EB0615e2383E2f96",
		"ofac-sdn 1 Lazarus [DPRK3] bc1qa5wkgaew2dkv56kfvj49j0av5nml45x9ek9hz6",
		"fbi 2 TraderTraitor [] 0xa0e1c89ef1a489c9c7de96311ed5ce5d32c20e4b",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("EachValid:\n got %q\nwant %q", got, want)
	}
	// The invalid value is still found by a lookup: a list is evidence.
	if !ix.Listed("not-an-address") {
		t.Error("the invalid listed value is no longer found")
	}
}
