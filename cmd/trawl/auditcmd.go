package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/errs"
)

func auditCommand() *command {
	return &command{name: "audit", summary: "verify and export the tamper-evident audit log", subs: []*command{auditVerifyCommand(), auditExportCommand()}}
}

func auditVerifyCommand() *command {
	return &command{name: "verify", summary: "check the hash chain; name every edited, deleted or reordered entry",
		run: func(ctx context.Context, e *env, args []string) error {
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			v, err := audit.Verify(ctx, store)
			if err != nil {
				return err
			}
			res := map[string]any{"checked": v.Checked, "ok": len(v.Problems) == 0, "problems": v.Problems}
			if err := e.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "checked %d entries\n", v.Checked)
				for _, p := range v.Problems {
					fmt.Fprintln(w, "  "+p.String())
				}
				if len(v.Problems) == 0 {
					fmt.Fprintln(w, "the chain is intact")
				}
			}); err != nil {
				return err
			}
			if len(v.Problems) > 0 {
				return fmt.Errorf("the audit log has been tampered with: %d problems, the first at entry %d", len(v.Problems), v.Problems[0].Seq)
			}
			return nil
		}}
}

func auditExportCommand() *command {
	var from int64
	var limit int
	return &command{name: "export", summary: "write audit entries as JSON lines (with their hashes, so an auditor can verify them independently)",
		flags: func(fs *flag.FlagSet) {
			fs.Int64Var(&from, "from", 1, "first entry")
			fs.IntVar(&limit, "limit", 0, "at most this many entries (0: all)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if from < 1 || limit < 0 {
				return errs.E(errs.Invalid, "--from must be ≥ 1 and --limit ≥ 0")
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			n := 0
			for {
				batch, err := store.AuditRange(ctx, from, 10000)
				if err != nil {
					return err
				}
				for _, en := range batch {
					if limit > 0 && n >= limit {
						return nil
					}
					if err := writeJSONLine(e.out, en); err != nil {
						return err
					}
					n++
				}
				if len(batch) == 0 {
					return nil
				}
				from = batch[len(batch)-1].Seq + 1
			}
		}}
}

// auditCLI records an administrative command run on this machine.
func (e *env) auditCLI(ctx context.Context, path []string, args []string) {
	store, err := e.openStore(ctx)
	if err != nil {
		return
	}
	entry := audit.Entry{Time: time.Now(), Actor: "cli", Action: strings.Join(path, " "), Target: strings.Join(args, " ")}
	if err := store.AppendAudit(ctx, []audit.Entry{entry}); err != nil {
		e.log.Error("audit: recording the command failed", "err", err)
	}
}
