package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/taxii"
)

// taxiiService opens the hub's TAXII service over the configured store.
func (e *env) taxiiService(ctx context.Context) (*taxii.Service, error) {
	store, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	return taxii.NewService(ctx, taxii.Options{Store: store, Directory: store, Parse: stix.Parse, Logger: e.log})
}

func collectionCommand() *command {
	return &command{name: "collection", summary: "TAXII collections", subs: []*command{
		collectionCreateCommand(), collectionListCommand(), collectionGrantCommand(), collectionRestrictCommand(),
	}}
}

func collectionCreateCommand() *command {
	var title, org, description, alias, tlp string
	var public bool
	return &command{name: "create", summary: "create a collection owned by an organization",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&title, "title", "", "title (required)")
			fs.StringVar(&org, "org", "", "owning organization (required)")
			fs.StringVar(&description, "description", "", "what the collection holds")
			fs.StringVar(&alias, "alias", "", "a short name usable in URLs instead of the id")
			fs.StringVar(&tlp, "default-tlp", "amber", "TLP of objects that carry no marking: clear, green, amber, amber+strict, red")
			fs.BoolVar(&public, "public", false, "anonymous readers may read it (needs --default-tlp clear; serves TLP:CLEAR only)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if title == "" || org == "" {
				return errs.E(errs.Invalid, "--title and --org are required")
			}
			o, err := e.org(ctx, org)
			if err != nil {
				return err
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			c, err := hub.CreateCollection(ctx, o.ID, title, description, alias, tlp, public)
			if err != nil {
				return err
			}
			return e.print(c, func(w io.Writer) {
				fmt.Fprintf(w, "created collection %s (%s) owned by %s\nTAXII: /taxii2/hub/collections/%s/\n", c.ID, c.Title, org, c.ID)
			})
		}}
}

func collectionListCommand() *command {
	return &command{name: "list", summary: "list collections",
		run: func(ctx context.Context, e *env, args []string) error {
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			cs, err := hub.Store().ListCollections(ctx)
			if err != nil {
				return err
			}
			return printList(e, cs, "ID\tALIAS\tOWNER\tTLP\tPUBLIC\tTITLE", func(c taxii.Collection) []any {
				return []any{c.ID, c.Alias, c.OwnerOrgID, c.DefaultTLP, c.Public, c.Title}
			})
		}}
}

func collectionGrantCommand() *command {
	var org string
	var read, write bool
	return &command{name: "grant", summary: "set what an organization may do with a collection", usage: "COLLECTION",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&org, "org", "", "organization (required)")
			fs.BoolVar(&read, "read", false, "may read")
			fs.BoolVar(&write, "write", false, "may write")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			id, err := oneArg(args, "the collection id or alias")
			if err != nil {
				return err
			}
			if org == "" {
				return errs.E(errs.Invalid, "--org is required")
			}
			o, err := e.org(ctx, org)
			if err != nil {
				return err
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			c, err := hub.Store().Collection(ctx, id)
			if err != nil {
				return err
			}
			g := taxii.Grant{CollectionID: c.ID, OrgID: o.ID, CanRead: read, CanWrite: write}
			if err := hub.Grant(ctx, g); err != nil {
				return err
			}
			return e.print(g, func(w io.Writer) { fmt.Fprintf(w, "%s: %s may read=%v write=%v\n", c.ID, org, read, write) })
		}}
}

func collectionRestrictCommand() *command {
	var group string
	return &command{name: "restrict", summary: "restrict a collection to a sharing group's members, whatever its grants (--group \"\" lifts it)", usage: "COLLECTION",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&group, "group", "", "sharing group name or id") },
		run: func(ctx context.Context, e *env, args []string) error {
			id, err := oneArg(args, "the collection id or alias")
			if err != nil {
				return err
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			if err := hub.Restrict(ctx, id, group); err != nil {
				return err
			}
			return e.print(map[string]string{"collection": id, "group": group}, func(w io.Writer) {
				if group == "" {
					fmt.Fprintf(w, "%s: no longer restricted to a sharing group\n", id)
				} else {
					fmt.Fprintf(w, "%s: restricted to the members of %s\n", id, group)
				}
			})
		}}
}
