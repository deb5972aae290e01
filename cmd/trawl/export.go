package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

func exportCommand() *command {
	var coll, toOrg, out string
	var community bool
	stixCmd := &command{name: "stix", summary: "write a STIX bundle of what may leave the hub for a destination (TLP enforced)",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&coll, "collection", "", "collection id or alias (required)")
			fs.StringVar(&toOrg, "to-org", "", "the receiving member organization (AMBER goes only to organizations it was shared with)")
			fs.BoolVar(&community, "community", false, "the receiver is in this hub's community (GREEN may go)")
			fs.StringVar(&out, "out", "-", "bundle file (- for standard output)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if coll == "" {
				return errs.E(errs.Invalid, "--collection is required")
			}
			dst := sharing.Destination{Community: community}
			if toOrg != "" {
				store, err := e.openStore(ctx)
				if err != nil {
					return err
				}
				o, err := store.OrgByName(ctx, toOrg)
				if err != nil {
					return err
				}
				dst.OrgID = o.ID
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			objs, err := hub.Export(ctx, coll, dst)
			if err != nil {
				return err
			}
			if objs == nil {
				objs = []json.RawMessage{}
			}
			bundle, err := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + taxii.NewUUID(), "objects": objs})
			if err != nil {
				return err
			}
			w := e.out
			if out != "-" {
				f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if _, err := w.Write(append(bundle, '\n')); err != nil {
				return err
			}
			if out != "-" {
				fmt.Fprintf(e.m.Stderr, "exported %d objects to %s\n", len(objs), out)
			}
			return nil
		}}
	return &command{name: "export", summary: "export intelligence off the hub, as far as its markings allow", subs: []*command{stixCmd}}
}
