package identity

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// Role is what a user or key may do inside its organization.
type Role string

const (
	RoleAdmin   Role = "admin"   // everything in its org; on the operator org, the whole hub
	RoleAnalyst Role = "analyst" // read, write and share intelligence, screen, trace
	RoleReader  Role = "reader"  // read and screen only
	RoleFeeder  Role = "feeder"  // push intelligence only (automated feeds)
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleReader, RoleFeeder}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", errs.E(errs.Invalid, "identity: unknown role %q (want admin, analyst, reader or feeder)", s)
}

// Permission is one kind of action. Permissions are checked on the Principal.
type Permission uint32

const (
	PermRead      Permission = 1 << iota // read intelligence, screen, query the chain index
	PermWrite                            // create intelligence objects and sightings
	PermTrace                            // run traces and cluster queries
	PermManageOrg                        // manage users and keys of the own organization
	PermManageHub                        // manage organizations and collections of the hub (operator admins)
)

func (r Role) perms() Permission {
	switch r {
	case RoleAdmin:
		return PermRead | PermWrite | PermTrace | PermManageOrg
	case RoleAnalyst:
		return PermRead | PermWrite | PermTrace
	case RoleReader:
		return PermRead
	case RoleFeeder:
		return PermWrite
	}
	return 0
}

// Covers reports whether r may do everything other may do.
func (r Role) Covers(other Role) bool { return r.perms()&other.perms() == other.perms() }

// Org is a member organization of the hub.
type Org struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`  // short stable handle, e.g. "kofiu"
	Title     string    `json:"title"` // display name
	Operator  bool      `json:"operator"`
	CreatedAt time.Time `json:"created_at"`
}

// User is a person in an organization.
type User struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Key is a stored API key. Hash is the SHA-256 digest of the whole token.
type Key struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	UserID     string     `json:"user_id,omitempty"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	Hash       []byte     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Principal is the verified identity a request acts as.
type Principal struct {
	KeyID    string `json:"key_id"`
	OrgID    string `json:"org_id"`
	OrgName  string `json:"org"`
	Operator bool   `json:"operator"`
	UserID   string `json:"user_id,omitempty"`
	Role     Role   `json:"role"`
}

// Can reports whether p holds perm. PermManageHub needs an admin key of the
// operator organization.
func (p *Principal) Can(perm Permission) bool {
	if p == nil {
		return false
	}
	have := p.Role.perms()
	if p.Role == RoleAdmin && p.Operator {
		have |= PermManageHub
	}
	return have&perm == perm
}

// CanManageOrg reports whether p may manage users and keys of orgID.
func (p *Principal) CanManageOrg(orgID string) bool {
	return p.Can(PermManageHub) || (p.Can(PermManageOrg) && p.OrgID == orgID)
}

// Store keeps organizations, users and keys.
//
// Implementations are safe for concurrent use. Lookups of absent records
// return an error with code errs.NotFound; creating a record whose unique
// field (org name, user email, id) exists returns errs.Conflict.
type Store interface {
	CreateOrg(ctx context.Context, o *Org) error
	OrgByID(ctx context.Context, id string) (*Org, error)
	OrgByName(ctx context.Context, name string) (*Org, error)
	ListOrgs(ctx context.Context) ([]Org, error)

	CreateUser(ctx context.Context, u *User) error
	UserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context, orgID string) ([]User, error)

	CreateKey(ctx context.Context, k *Key) error
	KeyByID(ctx context.Context, id string) (*Key, error)
	// ListKeys lists the keys of orgID, or of every org when orgID is "".
	ListKeys(ctx context.Context, orgID string) ([]Key, error)
	// RevokeKey marks the key revoked at the given time; revoking a revoked
	// key keeps the first revocation time and is not an error.
	RevokeKey(ctx context.Context, id string, at time.Time) error
	// TouchKey records a use of the key. Best effort.
	TouchKey(ctx context.Context, id string, at time.Time) error
	// KeysVersion changes whenever a key is revoked, on any replica; O(1).
	KeysVersion(ctx context.Context) (int64, error)
}

var orgNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)

// ValidateOrgName checks an organization handle.
func ValidateOrgName(name string) error {
	if !orgNameRE.MatchString(name) {
		return errs.E(errs.Invalid, "identity: organization name %q must be 2-63 characters of a-z, 0-9 and '-', starting with a letter or digit", name)
	}
	return nil
}

// NormalizeEmail validates an e-mail address and returns it lower-cased.
func NormalizeEmail(email string) (string, error) {
	a, err := mail.ParseAddress(email)
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(email) {
		return "", errs.E(errs.Invalid, "identity: %q is not a plain e-mail address", email)
	}
	return strings.ToLower(a.Address), nil
}

func validateText(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return errs.E(errs.Invalid, "identity: %s must not be empty", field)
	}
	if len(s) > max {
		return errs.E(errs.Invalid, "identity: %s is longer than %d bytes", field, max)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return errs.E(errs.Invalid, "identity: %s contains a control character", field)
		}
	}
	return nil
}
