package taxii

import (
	"context"
	"encoding/json"

	"github.com/trawlhq/trawl/internal/sharing"
)

// Outbound is one page of a collection for a peer (federation push).
type Outbound struct {
	Objects []json.RawMessage // those that may leave, granular markings applied
	IDs     []string          // their ids, in the same order
	// Withheld counts what stayed, by the reason: the effective TLP level
	// ("amber+strict", "red", "green" outside the community, "amber" not
	// shared with the peer's organization) or "sharing group".
	Withheld map[string]int
	Next     *Position // where the next page starts; nil when nothing was read
	More     bool
}

// ExportPage reads up to limit objects of a collection after pos (latest
// versions, in date_added order) and keeps those that may leave the hub for
// dst, by the rule of Export: CLEAR to anyone, GREEN within the community,
// AMBER only to organizations it was shared with, never AMBER+STRICT or RED.
func (s *Service) ExportPage(ctx context.Context, collectionID string, dst sharing.Destination, after *Position, limit int) (*Outbound, error) {
	c, err := s.store.Collection(ctx, collectionID)
	if err != nil {
		return nil, err
	}
	var dstGroups map[string]bool
	readsCollection := false
	if dst.OrgID != "" {
		groups, err := s.o.Directory.GroupsOf(ctx, dst.OrgID)
		if err != nil {
			return nil, err
		}
		dstGroups = map[string]bool{}
		for _, g := range groups {
			dstGroups[g] = true
		}
		read, _, err := s.access(ctx, orgReaderOf(dst.OrgID), c)
		if err != nil {
			return nil, err
		}
		readsCollection = read
	}
	reader := sharing.Reader{OrgID: dst.OrgID, Anonymous: dst.OrgID == "", Groups: dstGroups}
	if limit <= 0 || limit > s.o.MaxPage {
		limit = s.o.MaxPage
	}
	objs, more, err := s.store.Objects(ctx, c.ID, &Query{Limit: limit}, after, &Visibility{All: true})
	if err != nil {
		return nil, err
	}
	out := &Outbound{Withheld: map[string]int{}, More: more}
	for _, o := range objs {
		it := sharing.Item{Level: sharing.Effective(o.Level, c.Default()), Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients}
		if it.Group != "" && !dstGroups[it.Group] && dst.OrgID != it.Owner {
			out.Withheld["sharing group"]++
			continue
		}
		shared := func(string) bool {
			if it.Group != "" {
				return dstGroups[it.Group]
			}
			return readsCollection
		}
		if !sharing.MayLeave(it, dst, shared) {
			out.Withheld[it.Level.String()]++
			continue
		}
		out.Objects = append(out.Objects, redactGranular(o.Raw, reader, it))
		out.IDs = append(out.IDs, o.ID)
	}
	if len(objs) > 0 {
		last := objs[len(objs)-1]
		out.Next = &Position{DateAdded: last.DateAdded, Seq: last.Seq}
	}
	return out, nil
}
