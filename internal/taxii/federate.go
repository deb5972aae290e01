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
	// shared with the peer's organization), "sharing group", or "points at
	// withheld objects" (a relationship, sighting or object_refs list left
	// pointing at nothing the peer may read).
	Withheld map[string]int
	Next     *Position // where the next page starts; nil when nothing was read
	More     bool
}

// ExportPage reads up to limit objects of a collection after pos (latest
// versions, in date_added order) and keeps those that may leave the hub for
// dst, by the rule of Export: CLEAR to anyone, GREEN within the community,
// AMBER only to organizations it was shared with (the collection's grants
// or its sharing group), never AMBER+STRICT or RED. object_refs keep only
// what the destination could read on this hub, and relationships,
// sightings and lists left pointing at nothing it may read stay behind.
func (s *Service) ExportPage(ctx context.Context, collectionID string, dst sharing.Destination, after *Position, limit int) (*Outbound, error) {
	c, err := s.store.Collection(ctx, collectionID)
	if err != nil {
		return nil, err
	}
	grants, err := s.store.Grants(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var dstGroups map[string]bool
	if dst.OrgID != "" && s.o.Directory != nil {
		gs, err := s.o.Directory.GroupsOf(ctx, dst.OrgID)
		if err != nil {
			return nil, err
		}
		dstGroups = map[string]bool{}
		for _, g := range gs {
			dstGroups[g] = true
		}
	}
	readsCollection := dst.OrgID != "" && dst.OrgID == c.OwnerOrgID
	for _, g := range grants {
		readsCollection = readsCollection || (g.OrgID == dst.OrgID && g.CanRead)
	}
	if c.ShareGroup != "" && dst.OrgID != c.OwnerOrgID && !dstGroups[c.ShareGroup] {
		readsCollection = false
	}
	reader := sharing.Reader{OrgID: dst.OrgID, Anonymous: dst.OrgID == "", Groups: dstGroups}
	dstView := &Visibility{Anonymous: reader.Anonymous, AnyCollection: reader.Anonymous, OrgID: dst.OrgID, Default: c.Default()}
	for g := range dstGroups {
		dstView.Groups = append(dstView.Groups, g)
	}
	if limit <= 0 || limit > s.o.MaxPage {
		limit = s.o.MaxPage
	}
	page, more, err := s.store.Objects(ctx, c.ID, &Query{Limit: limit}, after, &Visibility{All: true})
	if err != nil {
		return nil, err
	}
	out := &Outbound{Withheld: map[string]int{}, More: more}
	if len(page) > 0 {
		last := page[len(page)-1]
		out.Next = &Position{DateAdded: last.DateAdded, Seq: last.Seq}
	}
	objs, err := s.stripRefs(ctx, dstView, page, true)
	if err != nil {
		return nil, err
	}
	if n := len(page) - len(objs); n > 0 {
		out.Withheld["points at withheld objects"] += n
	}
	for _, o := range objs {
		it := sharing.Item{Level: sharing.Effective(o.Level, c.Default()), Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients}
		if it.Group != "" && !dstGroups[it.Group] && dst.OrgID != it.Owner {
			out.Withheld["sharing group"]++ // a group restriction narrows every level
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
		raw := o.Raw
		if !o.NoGranular {
			raw = redactGranular(raw, reader, it)
		}
		out.Objects = append(out.Objects, raw)
		out.IDs = append(out.IDs, o.ID)
	}
	return out, nil
}
