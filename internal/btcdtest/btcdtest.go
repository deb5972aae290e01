// Package btcdtest runs a real btcd node on regtest for tests, and signs
// transactions for it with keys the test owns.
//
// btcd is a tool dependency of the module (see go.mod), so `go build`
// makes it from the module cache without the network. The binary is built
// once into $TMPDIR/trawl-btcd-<version> and reused by later test
// processes; the first build takes about a minute. Each node runs in a
// temporary directory with its own RPC user and password, RPC on a free
// loopback port without TLS, no P2P listener and no peers, and mines to a
// P2PKH address of the test's miner key.
//
// When btcd cannot be built or started, Start skips the test, or fails it
// when the run requires "btcd" (TRAWL_TEST_REQUIRE, see testenv).
package btcdtest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"
	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcrpcclient"
	"github.com/trawlhq/trawl/internal/testenv"
)

// Requirement is the testenv requirement name of a runnable btcd.
const Requirement = "btcd"

// Node is a running btcd on regtest.
type Node struct {
	URL, User, Pass string
	RPC             *btcrpcclient.Client
	Miner           *Key // the key coinbases pay
	dir             string
	cmd             *exec.Cmd
	exited          chan struct{}
}

var build struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of a built btcd, building it on first use.
func Binary() (string, error) {
	build.once.Do(func() { build.path, build.err = buildBtcd() })
	return build.path, build.err
}

func buildBtcd() (string, error) {
	root := testenv.RepoRoot()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/btcsuite/btcd").Output()
	version := strings.TrimSpace(string(out))
	if err != nil || version == "" {
		return "", fmt.Errorf("go list btcd: %v", err)
	}
	dir := filepath.Join(os.TempDir(), "trawl-btcd-"+version)
	path := filepath.Join(dir, "btcd")
	if st, err := os.Stat(path); err == nil && st.Mode()&0o111 != 0 {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Build to a name of our own and rename, so that test processes that
	// build at once never run a half-written binary.
	tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, "github.com/btcsuite/btcd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build btcd: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return path, nil
}

// Start builds btcd if needed and starts a node; it stops when t ends.
func Start(t testing.TB) *Node {
	t.Helper()
	bin, err := Binary()
	testenv.Need(t, Requirement, err)
	var n *Node
	for attempt := 0; ; attempt++ {
		n, err = start(t, bin)
		if err == nil || attempt == 2 {
			break
		}
		t.Logf("btcd did not start (attempt %d): %v", attempt+1, err)
	}
	testenv.Need(t, Requirement, err)
	return n
}

func start(t testing.TB, bin string) (*Node, error) {
	dir := t.TempDir()
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	n := &Node{User: "trawl", Pass: "pw-" + strconv.FormatInt(time.Now().UnixNano(), 36), dir: dir, Miner: NewKey(1), exited: make(chan struct{})}
	n.URL = fmt.Sprintf("http://127.0.0.1:%d/", port)
	logf, err := os.Create(filepath.Join(dir, "btcd.out"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	n.cmd = exec.Command(bin,
		"--regtest", "--datadir="+filepath.Join(dir, "data"), "--logdir="+filepath.Join(dir, "logs"),
		"--notls", "--rpclisten=127.0.0.1:"+strconv.Itoa(port), "--rpcuser="+n.User, "--rpcpass="+n.Pass,
		"--nolisten", "--nodnsseed", "--miningaddr="+n.Miner.Address, "--debuglevel=warn")
	// btcd keeps files under $HOME/.btcd; give it a home of its own.
	n.cmd.Env = append(os.Environ(), "HOME="+dir)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(n.stop)
	n.RPC, err = btcrpcclient.New(btcrpcclient.Config{URL: n.URL, User: n.User, Pass: n.Pass, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err = n.RPC.TipHeight(ctx)
		cancel()
		if err == nil {
			return n, nil
		}
		select {
		case <-n.exited:
			out, _ := os.ReadFile(filepath.Join(dir, "btcd.out"))
			return nil, fmt.Errorf("btcd exited: %s", tail(out))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("btcd RPC not ready after 30 s: %v", err)
		}
	}
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// stop asks btcd to stop and kills it if it does not within 15 s.
func (n *Node) stop() {
	select {
	case <-n.exited:
		return
	default:
	}
	if n.RPC != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n.RPC.Call(ctx, "stop")
		cancel()
	}
	select {
	case <-n.exited:
	case <-time.After(15 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
	}
}

// Call calls an RPC method and decodes its result into out (if not nil).
func (n *Node) Call(t testing.TB, out any, method string, params ...any) {
	t.Helper()
	if err := n.TryCall(out, method, params...); err != nil {
		t.Fatal(err)
	}
}

// TryCall is Call that returns the error.
func (n *Node) TryCall(out any, method string, params ...any) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := n.RPC.Call(ctx, method, params...)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			return fmt.Errorf("%s: %v in %.200s", method, err, res)
		}
	}
	return nil
}

// Generate mines count blocks with the mempool's transactions and returns
// their hashes.
func (n *Node) Generate(t testing.TB, count int) []chainhash.Hash {
	t.Helper()
	var hs []string
	n.Call(t, &hs, "generate", count)
	out := make([]chainhash.Hash, len(hs))
	for i, s := range hs {
		h, err := chainhash.NewHashFromStr(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = *h
	}
	return out
}

// Send submits tx to the mempool.
func (n *Node) Send(t testing.TB, tx *wire.MsgTx) chainhash.Hash {
	t.Helper()
	var buf strings.Builder
	if err := tx.Serialize(hex.NewEncoder(&buf)); err != nil {
		t.Fatal(err)
	}
	var id string
	n.Call(t, &id, "sendrawtransaction", buf.String())
	if id != tx.TxHash().String() {
		t.Fatalf("sendrawtransaction answered %s for %s", id, tx.TxHash())
	}
	return tx.TxHash()
}

// Block returns the block with hash h.
func (n *Node) Block(t testing.TB, h chainhash.Hash) *wire.MsgBlock {
	t.Helper()
	b, err := n.RPC.BlockByHash(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Tip returns the node's best block height and hash.
func (n *Node) Tip(t testing.TB) (int, chainhash.Hash) {
	t.Helper()
	ctx := context.Background()
	h, err := n.RPC.TipHeight(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := n.RPC.BlockHash(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return h, hash
}
