package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/chainhash/v2"

	"github.com/trawlhq/trawl/internal/blkfile"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/errs"
)

// openBTC opens the Bitcoin index in <data dir>/btc once per command.
func (e *env) openBTC() (*btcindex.Index, error) {
	x, err := btcindex.Open(filepath.Join(e.cfg.DataDir, "btc"), btcindex.Options{})
	if err != nil {
		return nil, err
	}
	e.closer = append(e.closer, func() { x.Close() })
	return x, nil
}

func ingestCommand() *command {
	return &command{name: "ingest", summary: "build the chain indexes", subs: []*command{ingestBTCCommand()}}
}

func ingestBTCCommand() *command {
	var blocks string
	var follow bool
	var every time.Duration
	var rf rpcFlags
	return &command{name: "btc", summary: "index Bitcoin block files (Core's blocks/ directory) or a node over JSON-RPC",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&blocks, "blocks", "", "Bitcoin Core blocks directory (blkNNNNN.dat)")
			fs.BoolVar(&follow, "follow", false, "keep running and index new blocks as the node writes them")
			fs.DurationVar(&every, "poll", 10*time.Second, "with --follow, how often to look for new blocks")
			rf.register(fs, "")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if (blocks == "") == (rf.url == "") {
				return errs.E(errs.Invalid, "one of --blocks DIR and --rpc URL is required")
			}
			ingestGC()
			x, err := e.openBTC()
			if err != nil {
				return err
			}
			if rf.url != "" {
				return ingestRPC(ctx, e, x, &rf, follow, every)
			}
			for {
				if err := ingestOnce(ctx, e, x, blocks); err != nil {
					return err
				}
				if !follow {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(every):
				}
			}
		}}
}

func ingestOnce(ctx context.Context, e *env, x *btcindex.Index, blocks string) error {
	rep := newProgressReporter(e)
	if err := syncFiles(ctx, e, x, blocks, rep); err != nil && ctx.Err() == nil {
		return err
	}
	return printIngest(e, x, rep.final)
}

// syncFiles brings x to the best chain in the block files once.
func syncFiles(ctx context.Context, e *env, x *btcindex.Index, blocks string, rep *progressReporter) error {
	r, err := blkfile.Open(blocks)
	if err != nil {
		return err
	}
	defer r.Close()
	ch, err := r.Scan(ctx)
	if err != nil {
		return err
	}
	for _, w := range ch.Warnings() {
		e.log.Warn("block files", "warning", w.String())
	}
	err = x.Ingest(ctx, ch, rep.report)
	rep.finish()
	return err
}

// isTerminal reports whether f is a character device (a terminal).
// golang.org/x/term is not yet a dependency of the module.
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func btcCommand() *command {
	return &command{name: "btc", summary: "query the Bitcoin index", subs: []*command{
		btcBlockCommand(), btcTxCommand(), btcAddressCommand(), btcOutpointCommand(),
	}}
}

func btcBlockCommand() *command {
	return &command{name: "block", summary: "a block by height or hash", usage: "HEIGHT|HASH",
		run: func(ctx context.Context, e *env, args []string) error {
			arg, err := oneArg(args, "a block height or hash")
			if err != nil {
				return err
			}
			x, err := e.openBTC()
			if err != nil {
				return err
			}
			var b *btcindex.Block
			if h, perr := strconv.Atoi(arg); perr == nil {
				b, err = x.Block(h)
			} else {
				hash, herr := parseHash(arg)
				if herr != nil {
					return herr
				}
				b, err = x.BlockByHash(hash)
			}
			if err != nil {
				return err
			}
			return e.print(b, func(w io.Writer) {
				fmt.Fprintf(w, "block %d %s\nprev  %s\ntime  %s\ntxs   %d (first txnum %d)\n", b.Height, b.Hash, b.Prev, b.Time.Format(time.RFC3339), b.TxCount, b.FirstTx)
			})
		}}
}

func parseHash(s string) (chainhash.Hash, error) {
	h, err := chainhash.NewHashFromStrStrict(s)
	if err != nil {
		return chainhash.Hash{}, errs.E(errs.Invalid, "%q is not a 64-digit hex hash", s)
	}
	return *h, nil
}

func btcTxCommand() *command {
	return &command{name: "tx", summary: "a transaction by txid or tx number, inputs resolved", usage: "TXID|TXNUM",
		run: func(ctx context.Context, e *env, args []string) error {
			arg, err := oneArg(args, "a txid or tx number")
			if err != nil {
				return err
			}
			x, err := e.openBTC()
			if err != nil {
				return err
			}
			var tx *btcindex.Tx
			if n, perr := strconv.ParseUint(arg, 10, 32); perr == nil && len(arg) < 64 {
				tx, err = x.Tx(btcindex.TxNum(n))
			} else {
				h, herr := parseHash(arg)
				if herr != nil {
					return herr
				}
				tx, err = x.TxByID(h)
			}
			if err != nil {
				return err
			}
			return e.print(tx, func(w io.Writer) {
				fmt.Fprintf(w, "tx %s (txnum %d) in block %d, fee %d sat\n", tx.ID, tx.Num, tx.Height, tx.Fee)
				if tx.Coinbase {
					fmt.Fprintln(w, "  in   coinbase")
				}
				for _, in := range tx.Inputs {
					fmt.Fprintf(w, "  in%-3d %s:%d  %d sat  %s\n", in.Vin, in.Txid, in.Vout, in.Value, in.Address)
				}
				for _, o := range tx.Outputs {
					spent := "unspent"
					if o.SpentBy != nil {
						spent = fmt.Sprintf("spent by %s:%d", o.SpentBy.Txid, o.SpentBy.Vin)
					}
					fmt.Fprintf(w, "  out%-2d %d sat  %s %s  %s\n", o.Vout, o.Value, o.Type, o.Address, spent)
				}
			})
		}}
}

func btcAddressCommand() *command {
	var from uint64
	var limit int
	return &command{name: "address", summary: "an address: balance, first and last seen, history (paged)", usage: "ADDRESS",
		flags: func(fs *flag.FlagSet) {
			fs.Uint64Var(&from, "from", 0, "history from this tx number on (the previous page's next)")
			fs.IntVar(&limit, "limit", 50, "history entries per page")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			arg, err := oneArg(args, "an address")
			if err != nil {
				return err
			}
			x, err := e.openBTC()
			if err != nil {
				return err
			}
			a, err := x.Address(arg, btcindex.TxNum(from), limit)
			if err != nil {
				return err
			}
			return e.print(a, func(w io.Writer) {
				fmt.Fprintf(w, "address %s (id %d)\nbalance  %d sat\nreceived %d sat\nseen     blocks %d to %d, %d txs\n",
					a.Address, a.ID, a.Balance, a.Received, a.FirstSeen, a.LastSeen, a.TxCount)
				for _, h := range a.History {
					dir := map[[2]bool]string{{true, false}: "received", {false, true}: "spent", {true, true}: "received+spent"}[[2]bool{h.Received, h.Spent}]
					fmt.Fprintf(w, "  %8d  block %-7d %s  %s\n", h.Tx, h.Height, h.Txid, dir)
				}
				if a.Next != 0 {
					fmt.Fprintf(w, "more: --from %d\n", a.Next)
				}
			})
		}}
}

func btcOutpointCommand() *command {
	return &command{name: "outpoint", summary: "an output by TXID:VOUT: value, address and the input that spent it", usage: "TXID:VOUT",
		run: func(ctx context.Context, e *env, args []string) error {
			arg, err := oneArg(args, "an outpoint TXID:VOUT")
			if err != nil {
				return err
			}
			txid, vs, ok := strings.Cut(arg, ":")
			vout, verr := strconv.ParseUint(vs, 10, 32)
			if !ok || verr != nil {
				return errs.E(errs.Invalid, "%q: want TXID:VOUT", arg)
			}
			h, err := parseHash(txid)
			if err != nil {
				return err
			}
			x, err := e.openBTC()
			if err != nil {
				return err
			}
			op, err := x.Outpoint(h, uint32(vout))
			if err != nil {
				return err
			}
			return e.print(op, func(w io.Writer) {
				fmt.Fprintf(w, "%s:%d (txnum %d, block %d)\nvalue   %d sat\nscript  %s\naddress %s\n", op.Txid, op.Vout, op.Tx, op.Height, op.Value, op.Type, op.Address)
				if op.SpentBy != nil {
					fmt.Fprintf(w, "spent by %s input %d (txnum %d)\n", op.SpentBy.Txid, op.SpentBy.Vin, op.SpentBy.Tx)
				} else {
					fmt.Fprintln(w, "unspent")
				}
			})
		}}
}

// btcQuery answers the REST API's chain-index questions from x.
func btcQuery(x *btcindex.Index) func(ctx context.Context, what, arg string, from, limit int) (any, error) {
	return func(ctx context.Context, what, arg string, from, limit int) (any, error) {
		switch what {
		case "block":
			if h, err := strconv.Atoi(arg); err == nil {
				return x.Block(h)
			}
			hash, err := parseHash(arg)
			if err != nil {
				return nil, err
			}
			return x.BlockByHash(hash)
		case "tx":
			hash, err := parseHash(arg)
			if err != nil {
				return nil, err
			}
			return x.TxByID(hash)
		case "address":
			return x.Address(arg, btcindex.TxNum(from), limit)
		case "outpoint":
			txid, vs, ok := strings.Cut(arg, ":")
			vout, verr := strconv.ParseUint(vs, 10, 32)
			if !ok || verr != nil {
				return nil, errs.E(errs.Invalid, "%q: want TXID:VOUT", arg)
			}
			h, err := parseHash(txid)
			if err != nil {
				return nil, err
			}
			return x.Outpoint(h, uint32(vout))
		}
		return nil, errs.E(errs.NotFound, "no such query %q", what)
	}
}
