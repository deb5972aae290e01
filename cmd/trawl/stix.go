package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/stix"
)

func importCommand() *command {
	return &command{name: "import", summary: "import intelligence and lists from files", subs: append([]*command{importSTIXCommand(), importTagsCommand()}, listImporters()...)}
}

func importSTIXCommand() *command {
	var coll, org string
	return &command{name: "stix", summary: "import a STIX 2.1 or 2.0 file (2.0 is upgraded) into a collection", usage: "FILE",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&coll, "collection", "", "collection id or alias (required)")
			fs.StringVar(&org, "org", "", "organization the objects are recorded as added by (default: the collection's owner)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			path, err := oneArg(args, "the STIX file (bundle, envelope, array or JSON lines)")
			if err != nil {
				return err
			}
			if coll == "" {
				return errs.E(errs.Invalid, "--collection is required")
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			c, err := hub.Store().Collection(ctx, coll)
			if err != nil {
				return err
			}
			orgID := c.OwnerOrgID
			if org != "" {
				o, err := e.org(ctx, org)
				if err != nil {
					return err
				}
				orgID = o.ID
			}
			objs, specVersion, err := readSTIXFile(path)
			if err != nil {
				return err
			}
			upgraded := false
			if specVersion == "2.0" || looksLike20(objs) {
				raw, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				up, err := stix.UpgradeBundle20(raw)
				if err != nil {
					return errs.E(errs.Invalid, "%s: upgrading STIX 2.0: %v", path, errs.MessageOf(err))
				}
				tmp, err := os.CreateTemp("", "trawl-upgrade-*.json")
				if err != nil {
					return err
				}
				defer os.Remove(tmp.Name())
				tmp.Write(up)
				tmp.Close()
				if objs, _, err = readSTIXFile(tmp.Name()); err != nil {
					return err
				}
				upgraded = true
			}
			st, err := hub.Import(ctx, orgID, c.ID, objs)
			if err != nil {
				return err
			}
			for _, f := range st.Failures {
				e.log.Warn("refused", "id", f.ID, "reason", f.Message)
			}
			res := map[string]any{"objects": len(objs), "imported": st.SuccessCount, "failed": st.FailureCount, "upgraded_from_2_0": upgraded, "collection": c.ID}
			return e.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "%d objects: %d imported into %s, %d refused", len(objs), st.SuccessCount, c.ID, st.FailureCount)
				if upgraded {
					fmt.Fprint(w, " (upgraded from STIX 2.0)")
				}
				fmt.Fprintln(w)
			})
		}}
}

// looksLike20 reports whether objects lack spec_version, as STIX 2.0
// objects (other than 2.1 cyber-observables) do.
func looksLike20(objs []json.RawMessage) bool {
	for _, o := range objs {
		var m struct {
			Type        string `json:"type"`
			SpecVersion string `json:"spec_version"`
		}
		if err := json.Unmarshal(o, &m); err == nil && m.SpecVersion == "" && stix.ClassOf(m.Type) == stix.ClassSDO {
			return true
		}
	}
	return false
}
