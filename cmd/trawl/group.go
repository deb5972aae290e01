package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
)

func groupCommand() *command {
	return &command{name: "group", summary: "sharing groups (named sets of organizations)", subs: []*command{
		groupCreateCommand(), groupListCommand(), groupMemberCommand("add"), groupMemberCommand("remove"), groupDeleteCommand(),
	}}
}

func groupCreateCommand() *command {
	var owner, members string
	return &command{name: "create", summary: "create a sharing group", usage: "NAME",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&owner, "org", "", "owning organization (required); it is a member")
			fs.StringVar(&members, "members", "", "comma-separated organizations to add")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			name, err := oneArg(args, "the group's name, e.g. asia-pacific-fius")
			if err != nil {
				return err
			}
			if err := sharing.ValidateGroupName(name); err != nil {
				return err
			}
			if owner == "" {
				return errs.E(errs.Invalid, "--org is required")
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			o, err := store.OrgByName(ctx, owner)
			if err != nil {
				return err
			}
			g := &sharing.Group{ID: identity.NewID("grp"), Name: name, OwnerOrgID: o.ID, CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Members: []string{o.ID}}
			for _, m := range strings.Split(members, ",") {
				if m = strings.TrimSpace(m); m == "" {
					continue
				}
				mo, err := store.OrgByName(ctx, m)
				if err != nil {
					return err
				}
				g.Members = append(g.Members, mo.ID)
			}
			if err := store.CreateGroup(ctx, g); err != nil {
				return err
			}
			return e.print(g, func(w io.Writer) {
				fmt.Fprintf(w, "created sharing group %s (%s) with %d members\n", g.Name, g.ID, len(g.Members))
			})
		}}
}

func groupListCommand() *command {
	return &command{name: "list", summary: "list sharing groups and their members",
		run: func(ctx context.Context, e *env, args []string) error {
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			gs, err := store.ListGroups(ctx)
			if err != nil {
				return err
			}
			return printList(e, gs, "NAME\tID\tOWNER\tMEMBERS", func(g sharing.Group) []any {
				return []any{g.Name, g.ID, g.OwnerOrgID, strings.Join(g.Members, ",")}
			})
		}}
}

func groupMemberCommand(verb string) *command {
	var org string
	return &command{name: verb, summary: verb + " a member organization (takes effect at once, on every replica)", usage: "GROUP",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&org, "org", "", "organization (required)") },
		run: func(ctx context.Context, e *env, args []string) error {
			name, err := oneArg(args, "the group's name or id")
			if err != nil {
				return err
			}
			if org == "" {
				return errs.E(errs.Invalid, "--org is required")
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			g, err := store.Group(ctx, name)
			if err != nil {
				return err
			}
			o, err := store.OrgByName(ctx, org)
			if err != nil {
				return err
			}
			if verb == "add" {
				err = store.AddMember(ctx, g.ID, o.ID)
			} else {
				err = store.RemoveMember(ctx, g.ID, o.ID)
			}
			if err != nil {
				return err
			}
			return e.print(map[string]string{"group": g.Name, verb: org}, func(w io.Writer) { fmt.Fprintf(w, "%s: %s %s\n", g.Name, verb, org) })
		}}
}

func groupDeleteCommand() *command {
	return &command{name: "delete", summary: "delete a sharing group (refused while a collection is restricted to it)", usage: "GROUP",
		run: func(ctx context.Context, e *env, args []string) error {
			name, err := oneArg(args, "the group's name or id")
			if err != nil {
				return err
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			g, err := store.Group(ctx, name)
			if err != nil {
				return err
			}
			if err := store.DeleteGroup(ctx, g.ID); err != nil {
				return err
			}
			return e.print(map[string]string{"deleted": g.Name, "id": g.ID}, func(w io.Writer) { fmt.Fprintf(w, "deleted sharing group %s (%s)\n", g.Name, g.ID) })
		}}
}
