package btcindex

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chainhash/v2"

	"github.com/trawlhq/trawl/internal/blkfile"
	"github.com/trawlhq/trawl/internal/testenv"
)

// mainnetFile returns btcd's file of mainnet blocks 0-14131, or skips.
func mainnetFile(t testing.TB) string {
	t.Helper()
	return testenv.BtcdTestdata(t, "blk_0_to_14131.dat")
}

// blockDir returns a directory holding file as blk00000.dat.
func blockDir(t testing.TB, file string) string {
	t.Helper()
	dir := t.TempDir()
	if err := linkOrCopy(file, filepath.Join(dir, "blk00000.dat")); err != nil {
		t.Fatal(err)
	}
	return dir
}

func scan(t testing.TB, dir string) *blkfile.Chain {
	t.Helper()
	r, err := blkfile.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ch, err := r.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func openIndex(t testing.TB, dir string, o Options) *Index {
	t.Helper()
	x, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func ingestDir(t testing.TB, blocks, dir string, o Options) *Index {
	t.Helper()
	x := openIndex(t, dir, o)
	if err := x.Ingest(context.Background(), scan(t, blocks), nil); err != nil {
		t.Fatal(err)
	}
	return x
}

func checksum(t testing.TB, x *Index) [32]byte {
	t.Helper()
	s, err := x.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func hash(t testing.TB, s string) chainhash.Hash {
	t.Helper()
	h, err := chainhash.NewHashFromStr(s)
	if err != nil {
		t.Fatal(err)
	}
	return *h
}

// The mainnet index is built once per test binary and shared read-only.
var (
	mainnetOnce sync.Once
	mainnetIdx  *Index
	mainnetSum  [32]byte
	mainnetTmp  string
	mainnetErr  error
)

func mainnetIndex(t *testing.T) *Index {
	t.Helper()
	file := mainnetFile(t)
	mainnetOnce.Do(func() {
		mainnetTmp, mainnetErr = os.MkdirTemp("", "btcindex-mainnet")
		if mainnetErr != nil {
			return
		}
		blocks := filepath.Join(mainnetTmp, "blocks")
		os.Mkdir(blocks, 0o755)
		if mainnetErr = linkOrCopy(file, filepath.Join(blocks, "blk00000.dat")); mainnetErr != nil {
			return
		}
		var r *blkfile.Reader
		if r, mainnetErr = blkfile.Open(blocks); mainnetErr != nil {
			return
		}
		defer r.Close()
		var ch *blkfile.Chain
		if ch, mainnetErr = r.Scan(context.Background()); mainnetErr != nil {
			return
		}
		if mainnetIdx, mainnetErr = Open(filepath.Join(mainnetTmp, "btc"), Options{}); mainnetErr != nil {
			return
		}
		if mainnetErr = mainnetIdx.Ingest(context.Background(), ch, nil); mainnetErr != nil {
			return
		}
		mainnetSum, mainnetErr = mainnetIdx.Checksum()
	})
	if mainnetErr != nil {
		t.Fatal(mainnetErr)
	}
	return mainnetIdx
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		crashChild(dir)
		return
	}
	code := m.Run()
	if mainnetIdx != nil {
		mainnetIdx.Close()
	}
	if mainnetTmp != "" {
		os.RemoveAll(mainnetTmp)
	}
	os.Exit(code)
}

func openChain(dir string) (*blkfile.Chain, error) {
	r, err := blkfile.Open(dir)
	if err != nil {
		return nil, err
	}
	return r.Scan(context.Background())
}

// linkOrCopy links file to dst, or copies it. (blkfile sizes files with
// lstat, so a symbolic link will not do.)
func linkOrCopy(file, dst string) error {
	if os.Link(file, dst) == nil {
		return nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
