package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/errs"
)

// simulateCommand writes a synthetic chain with a laundered theft and its
// ground truth, or verifies one (--verify DIR).
func simulateCommand() *command {
	var (
		o      btcsim.Options
		verify string
	)
	return &command{name: "simulate", summary: "write a synthetic Bitcoin chain with a laundered theft and its ground truth",
		flags: func(fs *flag.FlagSet) {
			fs.Uint64Var(&o.Seed, "seed", 1, "random seed; the same seed and flags give byte-identical files")
			fs.Int64Var(&o.Txs, "txs", 100_000, fmt.Sprintf("transactions to write, coinbases included (at least %d)", btcsim.MinTxs))
			fs.StringVar(&o.Dir, "out", "", "output `dir` for blk*.dat, truth.json and xor.dat (required unless --verify)")
			fs.StringVar(&o.Scenario, "scenario", btcsim.ScenarioMixed, "laundering playbook: "+strings.Join(btcsim.Scenarios, ", "))
			fs.BoolVar(&o.Xor, "xor", false, "obfuscate the block files with a key in xor.dat, as Bitcoin Core 28+ does")
			fs.StringVar(&o.Network, "network", "mainnet", "mainnet or regtest (magic, addresses, halving interval)")
			fs.Int64Var(&o.MaxFileSize, "max-file-size", btcsim.DefaultMaxFileSize, "largest block file in bytes")
			fs.StringVar(&verify, "verify", "", "check the chain and truth.json in `dir` instead of writing one")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return errs.E(errs.Invalid, "simulate takes no arguments, got %q", args[0])
			}
			if verify != "" {
				rep, err := btcsim.Verify(ctx, verify)
				if rep != nil {
					if perr := e.print(rep, func(w io.Writer) { writeVerifyReport(w, rep) }); perr != nil {
						return perr
					}
				}
				return err
			}
			if o.Dir == "" {
				return errs.E(errs.Invalid, "--out is required (or --verify DIR)")
			}
			sum, err := btcsim.Simulate(ctx, o)
			if err != nil {
				return err
			}
			return e.print(sum, func(w io.Writer) {
				fmt.Fprintf(w, "wrote %d blocks, %d transactions to %s in %d files (%.1f MiB) in %.1fs (%.0f tx/s)\n",
					sum.Blocks, sum.Txs, sum.Dir, len(sum.Files), float64(sum.Bytes)/(1<<20), sum.Seconds, float64(sum.Txs)/sum.Seconds)
				fmt.Fprintf(w, "network %s, scenario %s, seed %d, tip %s\n", sum.Network, sum.Scenario, sum.Seed, sum.TipHash)
				fmt.Fprintf(w, "stolen %.8f BTC; %d cash-outs, %d peel chains, %d coinjoins; ground truth in truth.json\n",
					float64(sum.StolenSats)/1e8, sum.CashOuts, sum.PeelChains, sum.CoinJoins)
			})
		}}
}

func writeVerifyReport(w io.Writer, r *btcsim.Report) {
	fmt.Fprintf(w, "%s: %s, %d blocks, %d transactions in %d files (xor %v, %d blocks stored out of order), tip %s\n",
		r.Dir, r.Network, r.Blocks, r.Txs, r.Files, r.Xor, r.OutOfOrder, r.TipHash)
	if len(r.Problems) == 0 {
		fmt.Fprintf(w, "ok: chain valid, truth.json consistent (%d cash-outs recomputed)\n", r.CashOuts)
		return
	}
	fmt.Fprintf(w, "%d problems:\n", len(r.Problems))
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  "+p)
	}
}
