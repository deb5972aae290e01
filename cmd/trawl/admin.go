package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
)

func adminCommand() *command {
	return &command{name: "admin", summary: "manage organizations, users, API keys and collections", subs: []*command{
		{name: "org", summary: "organizations", subs: []*command{orgCreateCommand(), orgListCommand(), claimServiceCommand()}},
		{name: "user", summary: "users", subs: []*command{userCreateCommand(), userListCommand()}},
		{name: "key", summary: "API keys", subs: []*command{keyCreateCommand(), keyListCommand(), keyRevokeCommand()}},
		collectionCommand(),
		groupCommand(),
	}}
}

// identityService opens the store and wraps it in the identity rules.
func (e *env) identityService(ctx context.Context) (*identity.Service, error) {
	s, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	return identity.NewService(s, 0, nil), nil
}

// org finds an organization by name in the configured store.
func (e *env) org(ctx context.Context, name string) (*identity.Org, error) {
	s, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	return s.OrgByName(ctx, name)
}

func oneArg(args []string, what string) (string, error) {
	if len(args) != 1 {
		return "", errs.E(errs.Invalid, "want exactly one argument: %s", what)
	}
	return args[0], nil
}

func orgCreateCommand() *command {
	var title string
	var operator bool
	return &command{name: "create", summary: "create an organization", usage: "NAME",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&title, "title", "", "display name, e.g. \"Korea Financial Intelligence Unit\"")
			fs.BoolVar(&operator, "operator", false, "the organization runs the hub: its admins administer every organization")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			name, err := oneArg(args, "the organization's short name, e.g. kofiu")
			if err != nil {
				return err
			}
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			o, err := ids.CreateOrg(ctx, name, title, operator)
			if err != nil {
				return err
			}
			return e.print(o, func(w io.Writer) { fmt.Fprintf(w, "created organization %s (%s)\n", o.Name, o.ID) })
		}}
}

func orgListCommand() *command {
	return &command{name: "list", summary: "list organizations",
		run: func(ctx context.Context, e *env, args []string) error {
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			orgs, err := ids.Store().ListOrgs(ctx)
			if err != nil {
				return err
			}
			return printList(e, orgs, "NAME\tID\tOPERATOR\tTITLE", func(o identity.Org) []any {
				return []any{o.Name, o.ID, o.Operator, o.Title}
			})
		}}
}

func userCreateCommand() *command {
	var org, email, name, role string
	return &command{name: "create", summary: "create a user",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&org, "org", "", "organization name (required)")
			fs.StringVar(&email, "email", "", "e-mail address (required)")
			fs.StringVar(&name, "name", "", "full name")
			fs.StringVar(&role, "role", "reader", "admin, analyst, reader or feeder")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if org == "" || email == "" {
				return errs.E(errs.Invalid, "--org and --email are required")
			}
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			u, err := ids.CreateUser(ctx, org, email, name, identity.Role(role))
			if err != nil {
				return err
			}
			return e.print(u, func(w io.Writer) { fmt.Fprintf(w, "created user %s (%s) in %s as %s\n", u.Email, u.ID, org, u.Role) })
		}}
}

func userListCommand() *command {
	var org string
	return &command{name: "list", summary: "list the users of an organization",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&org, "org", "", "organization name (required)") },
		run: func(ctx context.Context, e *env, args []string) error {
			if org == "" {
				return errs.E(errs.Invalid, "--org is required")
			}
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			o, err := ids.Store().OrgByName(ctx, org)
			if err != nil {
				return err
			}
			users, err := ids.Store().ListUsers(ctx, o.ID)
			if err != nil {
				return err
			}
			return printList(e, users, "EMAIL\tID\tROLE\tNAME", func(u identity.User) []any {
				return []any{u.Email, u.ID, u.Role, u.Name}
			})
		}}
}

func keyCreateCommand() *command {
	var req identity.KeyRequest
	var role string
	return &command{name: "create", summary: "create an API key (printed once; only its hash is stored)",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&req.Org, "org", "", "organization name (required)")
			fs.StringVar(&role, "role", "", "admin, analyst, reader or feeder (required)")
			fs.StringVar(&req.UserEmail, "user", "", "e-mail of the user the key acts for (optional)")
			fs.StringVar(&req.Name, "name", "", "a label for the key, e.g. \"misp sync\"")
			fs.DurationVar(&req.TTL, "expires-in", 0, "lifetime, e.g. 720h (default: no expiry)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if req.Org == "" || role == "" {
				return errs.E(errs.Invalid, "--org and --role are required")
			}
			req.Role = identity.Role(role)
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			k, token, err := ids.CreateKey(ctx, req)
			if err != nil {
				return err
			}
			return e.print(map[string]any{"key": k, "token": token}, func(w io.Writer) {
				fmt.Fprintf(w, "created %s key %s for %s\n", k.Role, k.ID, req.Org)
				fmt.Fprintf(w, "\n    %s\n\nStore it now: it is shown only this once.\n", token)
			})
		}}
}

func keyListCommand() *command {
	var org string
	return &command{name: "list", summary: "list API keys (never their secrets)",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&org, "org", "", "organization name (default: all)") },
		run: func(ctx context.Context, e *env, args []string) error {
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			orgID := ""
			if org != "" {
				o, err := ids.Store().OrgByName(ctx, org)
				if err != nil {
					return err
				}
				orgID = o.ID
			}
			keys, err := ids.Store().ListKeys(ctx, orgID)
			if err != nil {
				return err
			}
			return printList(e, keys, "ID\tORG\tROLE\tSTATE\tNAME", func(k identity.Key) []any {
				state := "active"
				if k.RevokedAt != nil {
					state = "revoked " + k.RevokedAt.Format(time.RFC3339)
				} else if k.ExpiresAt != nil {
					state = "expires " + k.ExpiresAt.Format(time.RFC3339)
				}
				return []any{k.ID, k.OrgID, k.Role, state, k.Name}
			})
		}}
}

func keyRevokeCommand() *command {
	return &command{name: "revoke", summary: "revoke an API key", usage: "KEY_ID",
		run: func(ctx context.Context, e *env, args []string) error {
			id, err := oneArg(args, "the key id (key_...), as `trawl admin key list` shows")
			if err != nil {
				return err
			}
			ids, err := e.identityService(ctx)
			if err != nil {
				return err
			}
			if err := ids.RevokeKey(ctx, id); err != nil {
				return err
			}
			return e.print(map[string]any{"revoked": id}, func(w io.Writer) { fmt.Fprintf(w, "revoked %s\n", id) })
		}}
}

// printList writes items as JSON lines with --json, else as a table.
func printList[T any](e *env, items []T, header string, row func(T) []any) error {
	if e.json {
		for _, it := range items {
			if err := writeJSONLine(e.out, it); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, it := range items {
		for i, v := range row(it) {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, v)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
