package taxii

import (
	"context"

	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
)

// Readable is one object as an organization may read it.
type Readable struct {
	ID           string
	Type         string
	CollectionID string        // a collection it is read in (the one with the narrowest level)
	Level        sharing.Level // effective level: the collection's default applied
	Item         sharing.Item  // what sharing.CanRead and MayLeave decide on
}

// ReadableBy returns those of ids (latest versions) that orgID may read now
// in any collection it may read, each with the narrowest level it reads it
// at. It reads as the organization itself, not as one of its users, so a
// RED object counts only when the organization (or a group of it) is a
// recipient. Group membership and grants are read afresh on every call.
// Ids it may not read, and ids of no object, are absent.
func (s *Service) ReadableBy(ctx context.Context, orgID string, ids []string) (map[string]Readable, error) {
	out := map[string]Readable{}
	if orgID == "" || len(ids) == 0 {
		return out, nil
	}
	p := orgReaderOf(orgID)
	views, err := s.Collections(ctx, p)
	if err != nil {
		return nil, err
	}
	// Read once for every collection (visibility would read it per collection).
	var groups []string
	if s.o.Directory != nil {
		if groups, err = s.o.Directory.GroupsOf(ctx, orgID); err != nil {
			return nil, err
		}
	}
	for _, v := range views {
		if !v.CanRead {
			continue
		}
		c, err := s.store.Collection(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		vis := &Visibility{Default: c.Default(), OrgID: orgID, Groups: groups}
		for start := 0; start < len(ids); start += s.o.MaxPage {
			q := &Query{IDs: ids[start:min(start+s.o.MaxPage, len(ids))], Limit: s.o.MaxPage}
			var after *Position
			for {
				objs, more, err := s.store.Objects(ctx, c.ID, q, after, vis)
				if err != nil {
					return nil, err
				}
				for _, o := range objs {
					lvl := sharing.Effective(o.Level, c.Default())
					if prev, ok := out[o.ID]; ok && prev.Level >= lvl {
						continue
					}
					out[o.ID] = Readable{ID: o.ID, Type: o.Type, CollectionID: c.ID, Level: lvl,
						Item: sharing.Item{Level: lvl, Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients, SightedOwner: o.SightedOwner}}
				}
				if !more || len(objs) == 0 {
					break
				}
				last := objs[len(objs)-1]
				after = &Position{DateAdded: last.DateAdded, Seq: last.Seq}
			}
		}
	}
	return out, nil
}

// orgReaderOf is an organization reading as itself (no user).
func orgReaderOf(orgID string) *identity.Principal {
	return &identity.Principal{OrgID: orgID, Role: identity.RoleReader}
}
