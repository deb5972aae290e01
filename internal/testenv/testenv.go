// Package testenv decides what a test does when something it needs is
// missing: skip with a message on a developer's machine, fail where the test
// run declared that the thing must be there.
//
// TRAWL_TEST_REQUIRE is a comma-separated list of requirement names
// ("postgres", "shared", "btcdata", "chromium", "webui": the built web UI,
// "btcd": a btcd built from the module's tool dependency) or "all". `make
// test` sets the ones it installs, and sets "shared" when CI=true, so that
// nothing the CI machine has is skipped silently.
// .ci/must-run.txt lists, in addition, the tests that must have passed (see
// tools/testreport).
package testenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Required reports whether the run declared name as required.
func Required(name string) bool {
	for _, r := range strings.Split(os.Getenv("TRAWL_TEST_REQUIRE"), ",") {
		r = strings.TrimSpace(r)
		if r == name || r == "all" {
			return true
		}
	}
	return false
}

// Need skips t (or fails it, if name is required) when err is not nil.
func Need(t testing.TB, name string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if Required(name) {
		t.Fatalf("required %s is not available: %v", name, err)
	}
	t.Skipf("skipping: %s is not available (%v); set TRAWL_TEST_REQUIRE=%s to make this a failure", name, err, name)
}

// RepoRoot returns the repository root (the directory with go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedData returns the path of ../shared/data beside the repository, or
// skips (fails when "shared" is required) if it is absent.
func SharedData(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv("TRAWL_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join(RepoRoot(), "..", "shared", "data")
	}
	p := filepath.Join(dir, rel)
	_, err := os.Stat(p)
	Need(t, "shared", err)
	return p
}

// BlockSciRegtest returns the directory of BlockSci's labelled regtest
// chain in ../shared/data (btc/blocksci-regtest: blk00000.dat) and its
// labels (output.json), or skips as SharedData does.
func BlockSciRegtest(t testing.TB) (dir string, labels map[string]any) {
	t.Helper()
	dir = filepath.Dir(SharedData(t, "btc/blocksci-regtest/blk00000.dat"))
	raw, err := os.ReadFile(filepath.Join(dir, "output.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatalf("blocksci-regtest/output.json: %v", err)
	}
	return dir, labels
}

// BtcdTestdata returns the path of a file in the btcd module's
// blockchain/testdata (real mainnet blocks it ships), or skips (fails when
// "btcdata" is required) when the module or the file cannot be found.
func BtcdTestdata(t testing.TB, name string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/btcsuite/btcd").Output()
	if err == nil && len(bytes.TrimSpace(out)) == 0 {
		err = errors.New("go list gave no directory")
	}
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "blockchain", "testdata", name)
		if _, err = os.Stat(p); err == nil {
			return p
		}
	}
	Need(t, "btcdata", err)
	return ""
}

// Chromium returns the path of a Chromium (or Chrome) binary for browser
// tests: $TRAWL_CHROMIUM, else the first of chromium, chromium-browser,
// google-chrome on the PATH. It skips (fails when "chromium" is required)
// when there is none; `make deps` installs Debian's chromium package.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("TRAWL_CHROMIUM"); p != "" {
		_, err := os.Stat(p)
		Need(t, "chromium", err)
		return p
	}
	var err error
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		var p string
		if p, err = exec.LookPath(name); err == nil {
			return p
		}
	}
	Need(t, "chromium", err)
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago, for
// a server a test starts in another process.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
