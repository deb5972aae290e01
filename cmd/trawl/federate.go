package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/taxiiclient"
)

func federateCommand() *command {
	return &command{name: "federate", summary: "send this hub's intelligence to peer hubs (only what TLP lets leave)", subs: []*command{federatePushCommand()}}
}

// pushReport is what a push did.
type pushReport struct {
	Collection string         `json:"collection"`
	To         string         `json:"to"`
	PeerOrg    string         `json:"peer_org"`
	Community  bool           `json:"community"`
	Read       int            `json:"read"`
	Sent       int            `json:"sent"`
	Succeeded  int            `json:"succeeded"`
	Failed     int            `json:"failed"`
	Withheld   map[string]int `json:"withheld"` // counts by TLP level, "sharing group" or "points at withheld objects"; never content
	Total      int64          `json:"total_sent"`
}

func federatePushCommand() *command {
	var collection, to, toCollection, peerOrg, keyFile, basicUser string
	var community, restart bool
	var batch int
	return &command{name: "push", summary: "push a local collection to a peer hub's collection over TAXII 2.1, resumable; only what sharing.MayLeave allows for the peer",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&collection, "collection", "", "the local collection (id or alias; required)")
			fs.StringVar(&to, "to", "", "the peer's TAXII API root URL, e.g. https://peer.example/taxii2/hub/ (required)")
			fs.StringVar(&toCollection, "to-collection", "", "the collection id on the peer (required)")
			fs.StringVar(&peerOrg, "peer-org", "", "the local organization that stands for the peer: AMBER goes only if it was shared with it (required)")
			fs.BoolVar(&community, "community", false, "the peer is a member of this hub's community: GREEN may go too")
			fs.StringVar(&keyFile, "key-file", "", "file holding the API key on the peer (else TRAWL_TAXII_KEY)")
			fs.StringVar(&basicUser, "basic-user", "", "send the key as HTTP Basic password with this user name")
			fs.IntVar(&batch, "batch", 500, "objects per envelope")
			fs.BoolVar(&restart, "restart", false, "start from the beginning instead of where the last push stopped")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return errs.E(errs.Invalid, "federate push takes flags only, got %q", args[0])
			}
			for name, v := range map[string]string{"--collection": collection, "--to": to, "--to-collection": toCollection, "--peer-org": peerOrg} {
				if v == "" {
					return errs.E(errs.Invalid, "%s is required", name)
				}
			}
			rf := remoteFlags{collection: toCollection, keyFile: keyFile, basicUser: basicUser}
			client, err := rf.client(e, []string{to})
			if err != nil {
				return err
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			c, err := store.Collection(ctx, collection)
			if err != nil {
				return err
			}
			org, err := store.OrgByName(ctx, peerOrg)
			if err != nil {
				return err
			}
			return pushCollection(ctx, e, client, store, hub, c.ID, pushReport{Collection: c.ID, To: to, PeerOrg: org.Name, Community: community},
				sharing.Destination{OrgID: org.ID, Community: community}, toCollection, batch, restart)
		}}
}

// pushCollection sends pages of what may leave and records the cursor
// after each page the peer took, so that a push that stops resumes.
func pushCollection(ctx context.Context, e *env, client *taxiiclient.Client, store federationStore, hub exporter, collectionID string, rep pushReport,
	dst sharing.Destination, toCollection string, batch int, restart bool) error {
	peer := strings.TrimSuffix(rep.To, "/") + "/ " + toCollection
	pos, total, err := store.FederationCursor(ctx, peer, collectionID)
	if err != nil {
		return err
	}
	if restart {
		pos, total = nil, 0
	}
	rep.Withheld = map[string]int{}
	for {
		page, err := hub.ExportPage(ctx, collectionID, dst, pos, 500)
		if err != nil {
			return err
		}
		rep.Read += len(page.IDs)
		for k, n := range page.Withheld {
			rep.Withheld[k] += n
			rep.Read += n
		}
		if len(page.Objects) > 0 {
			sts, err := client.Push(ctx, toCollection, page.Objects, batch)
			if err != nil {
				return fmt.Errorf("push to %s (the cursor stays before this page; run again to resume): %w", rep.To, err)
			}
			rep.Sent += len(page.Objects)
			for _, s := range sts {
				rep.Succeeded += s.SuccessCount
				rep.Failed += s.FailureCount
				for _, f := range s.Failures {
					e.log.Warn("refused by the peer", "id", f.ID, "reason", f.Message)
				}
			}
			total += int64(len(page.Objects))
		}
		if page.Next != nil {
			pos = page.Next
			if err := store.SetFederationCursor(ctx, peer, collectionID, *pos, total); err != nil {
				return err
			}
		}
		if !page.More || page.Next == nil {
			break
		}
	}
	rep.Total = total
	return e.print(rep, func(w io.Writer) {
		fmt.Fprintf(w, "pushed %d objects to %s (%d accepted, %d refused); withheld by marking:", rep.Sent, rep.To, rep.Succeeded, rep.Failed)
		keys := make([]string, 0, len(rep.Withheld))
		for k := range rep.Withheld {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if len(keys) == 0 {
			fmt.Fprint(w, " none")
		}
		for _, k := range keys {
			fmt.Fprintf(w, " %s %d", strings.ToUpper(k), rep.Withheld[k])
		}
		fmt.Fprintln(w)
	})
}

type federationStore interface {
	FederationCursor(ctx context.Context, peer, collectionID string) (*taxii.Position, int64, error)
	SetFederationCursor(ctx context.Context, peer, collectionID string, pos taxii.Position, pushed int64) error
}

type exporter interface {
	ExportPage(ctx context.Context, collectionID string, dst sharing.Destination, after *taxii.Position, limit int) (*taxii.Outbound, error)
}
