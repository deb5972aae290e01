package txclass_test

import (
	"testing"

	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/simtest"
	"github.com/trawlhq/trawl/internal/txclass"
)

func TestMain(m *testing.M) { simtest.Main(m) }

// chain is a whole indexed chain as txclass sees it: every transaction
// converted, with what each output's address history and spender tell.
type chain struct {
	txs      []txclass.Tx
	ids      []string   // txid of each transaction, by tx number
	inAddrs  [][]string // address of each input, by tx number
	outAddrs [][]string // address of each output, by tx number
	byID     map[string]int
}

// load reads every transaction of x in chain order. FirstSeen marks the
// outputs of the first transaction that paid an address, which is where
// the address's history begins (history asks the index for that of every
// address, as a check; it is slow on large chains). Reused comes from the
// inputs' addresses, FromPeelStep, Spender and SpentByPeelStep from the
// spend links.
func load(t testing.TB, x *btcindex.Index, history bool) *chain {
	t.Helper()
	tip, ok, err := x.Tip()
	if err != nil || !ok {
		t.Fatalf("empty index: %v", err)
	}
	c := &chain{txs: make([]txclass.Tx, tip.NextTx), ids: make([]string, tip.NextTx),
		inAddrs: make([][]string, tip.NextTx), outAddrs: make([][]string, tip.NextTx), byID: map[string]int{}}
	spent := make([][]int64, tip.NextTx) // per output: spender tx number, -1 unspent
	firstPaid := map[btcindex.AddrID]btcindex.TxNum{}
	for n := range btcindex.TxNum(tip.NextTx) {
		bt, err := x.Tx(n)
		if err != nil {
			t.Fatal(err)
		}
		c.ids[n] = bt.ID.String()
		c.byID[c.ids[n]] = int(n)
		tx := &c.txs[n]
		*tx = txclass.Tx{Version: bt.Version, LockTime: bt.LockTime, Height: uint32(bt.Height), Coinbase: bt.Coinbase}
		for _, in := range bt.Inputs {
			tx.Ins = append(tx.Ins, txclass.In{Value: uint64(in.Value), Class: in.Class, Addr: uint32(in.Addr),
				FromPeelStep: txclass.PeelStep(&c.txs[in.Tx])})
			c.inAddrs[n] = append(c.inAddrs[n], in.Address)
		}
		spent[n] = make([]int64, len(bt.Outputs))
		for i, o := range bt.Outputs {
			out := txclass.Out{Value: uint64(o.Value), Class: o.Class, Addr: uint32(o.Addr)}
			if o.Addr != 0 {
				f, ok := firstPaid[o.Addr]
				if !ok {
					f = n
					firstPaid[o.Addr] = n
					if history {
						a, err := x.AddressByID(o.Addr, 0, 1)
						if err != nil {
							t.Fatal(err)
						}
						if len(a.History) == 0 || !a.History[0].Received || a.History[0].Tx != n {
							t.Fatalf("address %s is first paid in tx %d, its history begins %+v", o.Address, n, a.History)
						}
					}
				}
				out.FirstSeen = f == n
				for _, in := range tx.Ins {
					out.Reused = out.Reused || in.Addr == out.Addr
				}
			}
			spent[n][i] = -1
			if o.SpentBy != nil {
				spent[n][i] = int64(o.SpentBy.Tx)
			}
			tx.Outs = append(tx.Outs, out)
			c.outAddrs[n] = append(c.outAddrs[n], o.Address)
		}
	}
	for n := range c.txs {
		for i, s := range spent[n] {
			if s >= 0 {
				sp := &c.txs[s]
				c.txs[n].Outs[i].Spender = txclass.FingerprintOf(sp)
				c.txs[n].Outs[i].SpentByPeelStep = txclass.PeelStep(sp)
			}
		}
	}
	return c
}

// tx returns the transaction with txid id.
func (c *chain) tx(t testing.TB, id string) *txclass.Tx {
	t.Helper()
	n, ok := c.byID[id]
	if !ok {
		t.Fatalf("no transaction %s on the chain", id)
	}
	return &c.txs[n]
}
