package sharing

import (
	"context"
	"regexp"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// Group is a sharing group: a named set of organizations.
type Group struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	OwnerOrgID string    `json:"owner_org_id"`
	CreatedAt  time.Time `json:"created_at"`
	Members    []string  `json:"members"` // organization ids
}

// GroupStore keeps sharing groups.
//
// Membership changes are visible to the next read: implementations do not
// cache, so that removing a member takes effect at once. Absent groups give
// errs.NotFound; a duplicate name gives errs.Conflict.
type GroupStore interface {
	CreateGroup(ctx context.Context, g *Group) error
	// Group finds a group by id or name, with its members.
	Group(ctx context.Context, idOrName string) (*Group, error)
	ListGroups(ctx context.Context) ([]Group, error)
	AddMember(ctx context.Context, groupID, orgID string) error
	RemoveMember(ctx context.Context, groupID, orgID string) error
	// DeleteGroup deletes a group and its memberships; errs.Conflict while a
	// collection is restricted to it. Objects restricted to it (or naming it
	// as a recipient) then match nobody but their owner: narrower, never wider.
	DeleteGroup(ctx context.Context, groupID string) error
	// GroupsOf lists the ids of the groups orgID is a member of.
	GroupsOf(ctx context.Context, orgID string) ([]string, error)
}

var groupNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidateGroupName checks a sharing group's handle.
func ValidateGroupName(name string) error {
	if !groupNameRE.MatchString(name) {
		return errs.E(errs.Invalid, "sharing: group name %q must be 2-63 characters of a-z, 0-9 and '-'", name)
	}
	return nil
}
