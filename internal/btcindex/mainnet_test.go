package btcindex

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire/v2"

	"github.com/trawlhq/trawl/internal/btcnet"
)

const (
	block9Coinbase = "0437cd7f8525ceed2324359c2d0ba26006d92d856a9c20fa0241106ee5a597c9"
	firstSpend     = "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"
	satoshi        = 100_000_000
)

func TestMainnet(t *testing.T) {
	x := mainnetIndex(t)
	tip, ok, err := x.Tip()
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if tip.Height != 14131 || tip.NextTx != 14247 || x.Network() != btcnet.Mainnet {
		t.Fatalf("tip %+v network %v; want height 14131, 14247 txs, mainnet", tip, x.Network())
	}

	b9, err := x.Block(9)
	if err != nil {
		t.Fatal(err)
	}
	if b9.TxCount != 1 || b9.FirstTx != 9 {
		t.Fatalf("block 9: %+v", b9)
	}
	byHash, err := x.BlockByHash(b9.Hash)
	if err != nil || byHash.Height != 9 {
		t.Fatalf("block by hash: %+v %v", byHash, err)
	}
	cb, err := x.Tx(b9.FirstTx)
	if err != nil {
		t.Fatal(err)
	}
	if cb.ID.String() != block9Coinbase || !cb.Coinbase || cb.Outputs[0].Address != "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" || cb.Outputs[0].Value != 50*satoshi {
		t.Fatalf("block 9 coinbase: %+v", cb)
	}

	// The first bitcoin transaction, block 170.
	tx, err := x.TxByID(hash(t, firstSpend))
	if err != nil {
		t.Fatal(err)
	}
	if tx.Height != 170 || len(tx.Inputs) != 1 || len(tx.Outputs) != 2 || tx.Fee != 0 {
		t.Fatalf("tx %s: %+v", firstSpend, tx)
	}
	in := tx.Inputs[0]
	if in.Txid.String() != block9Coinbase || in.Tx != b9.FirstTx || in.Vout != 0 || in.Value != 50*satoshi || in.Address != "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" {
		t.Fatalf("input: %+v", in)
	}
	o0, o1 := tx.Outputs[0], tx.Outputs[1]
	if o0.Address != "1Q2TWHE3GMdB6BZKafqwxXtWAWgFt5Jvm3" || o0.Value != 10*satoshi || o1.Address != "12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S" || o1.Value != 40*satoshi {
		t.Fatalf("outputs: %+v %+v", o0, o1)
	}
	op, err := x.Outpoint(hash(t, block9Coinbase), 0)
	if err != nil {
		t.Fatal(err)
	}
	if op.SpentBy == nil || op.SpentBy.Txid != tx.ID || op.SpentBy.Vin != 0 || op.SpentBy.Tx != tx.Num || op.Height != 9 {
		t.Fatalf("outpoint: %+v spent by %+v", op, op.SpentBy)
	}
	if _, err := x.Outpoint(hash(t, block9Coinbase), 1); err == nil {
		t.Fatal("outpoint 1 of a one-output tx was found")
	}

	// 12cbQ… received in block 9 and spent in 170; its history says so.
	a, err := x.Address("12cbQLTFMXRnSzktFkuoG3eHoMeFtpTu3S", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if a.FirstSeen != 9 || len(a.History) != 2 || a.History[0].Tx != cb.Num || !a.History[0].Received || a.History[0].Spent ||
		a.History[1].Tx != tx.Num || !a.History[1].Received || !a.History[1].Spent {
		t.Fatalf("address: %+v", a)
	}
	page2, err := x.AddressByID(a.ID, a.Next, 100)
	if err != nil {
		t.Fatal(err)
	}
	if a.Next != 0 && (len(page2.History)+2 != a.TxCount || page2.History[0].Tx != a.Next) {
		t.Fatalf("page 2: %+v after %+v", page2, a)
	}
	if a.Next == 0 && a.TxCount != 2 {
		t.Fatalf("address has %d txs but one page of 2", a.TxCount)
	}
}

// TestMainnetConservation checks every spend link and resolved input
// against the raw blocks, and that value is conserved: the unspent outputs
// hold what coinbases created minus what fees gave back to them, and the
// address balances hold the same.
// mainnetChecksum is the checksum of the index of mainnet blocks 0 to
// 14,131. The keys and records are a stored format: a change of how the
// index is written that changes them must be a new format, not this test's
// constant.
const mainnetChecksum = "0253f419e0f54335747185dc6bb665340dbf3dd096c918a00680a78b363ba0d3"

func TestMainnetChecksumIsTheFormat(t *testing.T) {
	mainnetIndex(t)
	if got := hex.EncodeToString(mainnetSum[:]); got != mainnetChecksum {
		t.Fatalf("checksum %s, the format's is %s", got, mainnetChecksum)
	}
}

func TestMainnetConservation(t *testing.T) {
	x := mainnetIndex(t)
	ch := scan(t, blockDir(t, mainnetFile(t)))
	var coinbase, fees, outs, ins int64
	ntx := 0
	err := ch.Blocks(context.Background(), 0, func(h int, b *wire.MsgBlock) error {
		for i, raw := range b.Transactions {
			tx, err := x.Tx(TxNum(ntx))
			if err != nil {
				return err
			}
			ntx++
			if tx.ID != raw.TxHash() || tx.Height != h || len(tx.Outputs) != len(raw.TxOut) {
				return fmt.Errorf("tx %d: index has %s at %d, block %d has %s", tx.Num, tx.ID, tx.Height, h, raw.TxHash())
			}
			if i == 0 {
				for _, o := range raw.TxOut {
					coinbase += o.Value
				}
				continue
			}
			fees += tx.Fee
			for vin, rin := range raw.TxIn {
				got := tx.Inputs[vin]
				p := rin.PreviousOutPoint
				if got.Txid != p.Hash || got.Vout != p.Index {
					return fmt.Errorf("tx %s input %d: index says %s:%d, block says %v", tx.ID, vin, got.Txid, got.Vout, p)
				}
				op, err := x.Outpoint(p.Hash, p.Index)
				if err != nil {
					return err
				}
				if op.SpentBy == nil || op.SpentBy.Txid != tx.ID || op.SpentBy.Vin != uint32(vin) || op.Value != got.Value || op.Address != got.Address {
					return fmt.Errorf("outpoint %v: %+v, spent by %+v; want spent by %s:%d", p, op, op.SpentBy, tx.ID, vin)
				}
				ins += got.Value
			}
			for _, o := range raw.TxOut {
				outs += o.Value
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ntx != 14247 {
		t.Fatalf("%d txs", ntx)
	}
	if fees != ins-outs {
		t.Fatalf("fees %d, inputs-outputs %d", fees, ins-outs)
	}
	// Unspent outputs and address balances, from the index's own tables.
	var unspent, balances int64
	for n := TxNum(0); n < 14247; n++ {
		tx, err := x.Tx(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range tx.Outputs {
			if o.SpentBy == nil {
				unspent += o.Value
			}
		}
	}
	for id := AddrID(1); ; id++ {
		a, err := x.AddressByID(id, 0, 0)
		if err != nil {
			break
		}
		balances += a.Balance
	}
	if unspent != coinbase-fees || balances != unspent {
		t.Fatalf("unspent %d, balances %d, coinbase outputs %d - fees %d = %d", unspent, balances, coinbase, fees, coinbase-fees)
	}
	// Coinbases claim subsidy plus fees; a miner may claim less, never more.
	if unspent != 14132*50*satoshi {
		t.Fatalf("coinbases kept %d beyond fees, more than the subsidy", unspent)
	}
	t.Logf("coinbase outputs %d sat, fees %d sat, unspent %d sat", coinbase, fees, unspent)
}

const (
	childEnv       = "TRAWL_BTCINDEX_CRASH_CHILD"
	childBlocksEnv = "TRAWL_BTCINDEX_CRASH_BLOCKS"
)

// crashChild ingests as the child of TestCrashSafety until it is killed,
// with small batches so that the kill lands between and inside commits.
func crashChild(dir string) {
	r, err := os.Open(os.Getenv(childBlocksEnv))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	r.Close()
	x, err := Open(dir, Options{BatchTxs: 97})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	ch, err := openChain(os.Getenv(childBlocksEnv))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("started")
	if err := x.Ingest(context.Background(), ch, nil); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("done")
	os.Exit(0)
}

// TestCrashSafety kills a child process that is ingesting mainnet with
// SIGKILL at random moments, then resumes ingest and compares the result
// with an uninterrupted run.
func TestCrashSafety(t *testing.T) {
	want := mainnetIndex(t)
	_ = want
	blocks := blockDir(t, mainnetFile(t))
	dir := filepath.Join(t.TempDir(), "btc")
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	killed := 0
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir, childBlocksEnv+"="+blocks)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "started" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child: %q", sc.Text())
		}
		delay := time.Duration(rng.IntN(300)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		rest := ""
		for sc.Scan() {
			rest += sc.Text()
		}
		cmd.Wait()
		if strings.Contains(rest, "error") {
			t.Fatalf("child failed: %s", rest)
		}
		if !strings.Contains(rest, "done") {
			killed++
		}
		// The killed index opens at a committed tip and answers queries.
		x, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		tip, ok, err := x.Tip()
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			b, err := x.Block(tip.Height)
			if err != nil || b.Hash != tip.Hash || TxNum(b.TxCount)+b.FirstTx != tip.NextTx {
				t.Fatalf("round %d: tip %+v, block %+v, %v", round, tip, b, err)
			}
			if _, err := x.Tx(tip.NextTx - 1); err != nil {
				t.Fatal(err)
			}
			if _, err := x.Tx(tip.NextTx); err == nil {
				t.Fatalf("tx %d beyond the tip exists", tip.NextTx)
			}
		}
		t.Logf("round %d: killed after %v at height %d (finished: %v)", round, delay, tip.Height, strings.Contains(rest, "done"))
		x.Close()
	}
	if killed == 0 {
		t.Fatal("the child always finished before the kill; the test proved nothing")
	}
	x := openIndex(t, dir, Options{})
	if err := x.Ingest(context.Background(), scan(t, blocks), nil); err != nil {
		t.Fatal(err)
	}
	if got := checksum(t, x); got != mainnetSum {
		t.Fatalf("checksum after crashes %x, uninterrupted %x", got, mainnetSum)
	}
}
