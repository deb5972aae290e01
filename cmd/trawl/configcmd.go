package main

import (
	"context"
	"fmt"
	"text/tabwriter"
)

func configShowCommand() *command {
	return &command{name: "show", summary: "print the effective configuration and where each value came from (secrets redacted)",
		run: func(ctx context.Context, e *env, args []string) error {
			entries := e.cfg.Entries()
			if e.json {
				for _, en := range entries {
					if err := writeJSONLine(e.out, en); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tVALUE\tSOURCE\tENV")
			for _, en := range entries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", en.Name, en.Value, en.Source, en.Env)
			}
			if e.cfg.File != "" {
				fmt.Fprintf(tw, "\nconfig file: %s\n", e.cfg.File)
			}
			return tw.Flush()
		}}
}
