package address

import (
	"bufio"
	"compress/bzip2"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/testenv"
)

type sdnValue struct{ code, value string }

var (
	sdnOnce   sync.Once
	sdnValues []sdnValue
	sdnErr    error
)

var (
	reFeatureType = regexp.MustCompile(`<FeatureType ID="(\d+)"[^>]*>Digital Currency Address - ([A-Z0-9]+)<`)
	reFeature     = regexp.MustCompile(`<Feature ID="\d+" FeatureTypeID="(\d+)"`)
	reDetail      = regexp.MustCompile(`<VersionDetail[^>]*>([^<]*)</VersionDetail>`)
)

// readSDN streams the official SDN Advanced XML and returns every Digital
// Currency Address value with its currency code. The file is one element
// per line, so a line scan is enough and costs far less than an XML decoder
// over 121 MB.
func readSDN(t *testing.T) []sdnValue {
	t.Helper()
	path := testenv.SharedData(t, "sanctions/sdn_advanced.xml.bz2")
	sdnOnce.Do(func() {
		f, err := os.Open(path)
		if err != nil {
			sdnErr = err
			return
		}
		defer f.Close()
		codes := map[string]string{} // FeatureType ID -> currency code
		cur := ""
		sc := bufio.NewScanner(bzip2.NewReader(bufio.NewReaderSize(f, 1<<20)))
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			line := sc.Bytes()
			switch {
			case cur != "" && strings.Contains(string(line), "<VersionDetail"):
				if m := reDetail.FindSubmatch(line); m != nil {
					sdnValues = append(sdnValues, sdnValue{cur, string(m[1])})
				}
			case strings.Contains(string(line), "</Feature>"):
				cur = ""
			case strings.Contains(string(line), "<Feature ID="):
				if m := reFeature.FindSubmatch(line); m != nil {
					cur = codes[string(m[1])]
				}
			case strings.Contains(string(line), "<FeatureType ID="):
				if m := reFeatureType.FindSubmatch(line); m != nil {
					codes[string(m[1])] = string(m[2])
				}
			}
		}
		sdnErr = sc.Err()
	})
	if sdnErr != nil {
		t.Fatalf("reading %s: %v", path, sdnErr)
	}
	return sdnValues
}

// sdnMalformed are values OFAC lists that are no address of their
// currency; each is checked to fail, so a fix of the list shows up here.
var sdnMalformed = map[string]string{
	"TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq":                               "listed as XBT but is a Tron (T..., version 0x41) address",
	"5be5543ff73456ab9f2d207887e2af87322c651ea1a873c5b25b7ffae456c320": "listed as XMR but is 64 hex digits (a hash or key), not a Monero address",
}

// sdnWant is the number of values per currency code that parse, from the
// list issued 2025-11-19.
var sdnWant = map[string]int{
	"XBT": 518, "ETH": 77, "USDT": 93, "TRX": 29, "SOL": 1, "XMR": 7, "LTC": 11,
	"ZEC": 3, "DASH": 3, "BCH": 7, "BSV": 1, "BTG": 1, "ETC": 1, "XRP": 1,
	"XVG": 1, "ARB": 1, "BSC": 1, "USDC": 2, "BNB": 1,
}

func TestSDNAddressesParse(t *testing.T) {
	values := readSDN(t)
	got := map[string]int{}
	byChain := map[string]int{}
	for _, v := range values {
		chains := ChainOfSDN(v.code)
		if len(chains) == 0 {
			t.Errorf("no chain for SDN currency %s", v.code)
			continue
		}
		var a Address
		var err error
		for _, c := range chains {
			if a, err = Parse(v.value, c); err == nil {
				break
			}
		}
		if reason, bad := sdnMalformed[v.value]; bad {
			if err == nil {
				t.Errorf("%s %s parses as %s %s, but is listed as malformed (%s)", v.code, v.value, a.Chain, a.Kind, reason)
			} else if errs.CodeOf(err) != errs.Invalid {
				t.Errorf("%s %s: error code %s, want invalid", v.code, v.value, errs.CodeOf(err))
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", v.code, v.value, err)
			continue
		}
		if k := Key(v.value); k != a.Key {
			t.Errorf("%s %s: Key() = %q, Parse().Key = %q", v.code, v.value, k, a.Key)
		}
		if a.Key != v.value && !strings.HasPrefix(v.value, "0x") {
			t.Errorf("%s %s: key %q differs from the listed text", v.code, v.value, a.Key)
		}
		got[v.code]++
		byChain[v.code+"→"+string(a.Chain)+"/"+string(a.Kind)]++
	}
	for code, n := range sdnWant {
		if got[code] != n {
			t.Errorf("%s: %d values parse, want %d", code, got[code], n)
		}
	}
	for code := range got {
		if _, ok := sdnWant[code]; !ok {
			t.Errorf("unexpected SDN currency %s with %d values", code, got[code])
		}
	}
	keys := make([]string, 0, len(byChain))
	for k := range byChain {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-28s %d", k, byChain[k])
	}
}

func TestSDNKeysAreUniquePerValue(t *testing.T) {
	// Two different listed strings must never share a key unless they are
	// notations of one address: folding too much would merge entries.
	values := readSDN(t)
	owner := map[string]string{}
	for _, v := range values {
		k := Key(v.value)
		if prev, ok := owner[k]; ok && !strings.EqualFold(prev, v.value) {
			t.Errorf("%s and %s share key %s", prev, v.value, k)
		}
		owner[k] = v.value
	}
}

func TestFBITraderTraitorAddresses(t *testing.T) {
	path := testenv.SharedData(t, "sanctions/fbi_psa250226_bybit_tradertraitor_eth.txt")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		a, err := Parse(line, ETH)
		if err != nil {
			t.Errorf("%q: %v", line, err)
			continue
		}
		if a.Text != strings.TrimSpace(line) && hasMixedCase(line) {
			t.Errorf("%s: canonical text %s differs from the checksummed input", line, a.Text)
		}
		n++
	}
	if n != 51 {
		t.Errorf("%d FBI addresses parse, want 51", n)
	}
}

func hasMixedCase(s string) bool {
	return strings.ToLower(s) != s && strings.ToUpper(s) != s
}

func TestOracleAddresses(t *testing.T) {
	path := testenv.SharedData(t, "sanctions/oracle_sanctioned_addresses.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Addrs []string `json:"addrs"`
	}
	if err := json.Unmarshal(data, &events); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, e := range events {
		for _, s := range e.Addrs {
			a, err := Parse(s, ETH)
			if err != nil {
				t.Errorf("%q: %v", s, err)
				continue
			}
			keys[a.Key] = true
		}
	}
	if len(keys) != 165 {
		t.Errorf("%d distinct oracle addresses, want 165", len(keys))
	}
}
