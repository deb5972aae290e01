package sharing

import (
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
)

// Level is a TLP level, ordered from least to most restrictive.
type Level int8

const (
	Unmarked    Level = -1 // no TLP marking: the collection's default applies
	Clear       Level = 0
	Green       Level = 1
	Amber       Level = 2
	AmberStrict Level = 3
	Red         Level = 4
)

var levelNames = map[Level]string{Unmarked: "unmarked", Clear: "clear", Green: "green", Amber: "amber", AmberStrict: "amber+strict", Red: "red"}

func (l Level) String() string {
	if n, ok := levelNames[l]; ok {
		return n
	}
	return "invalid"
}

// ParseLevel reads a level name; TLP 1.0's "white" is CLEAR.
func ParseLevel(s string) (Level, error) {
	s = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.ToLower(s), "tlp:")))
	if s == "white" {
		return Clear, nil
	}
	for l, n := range levelNames {
		if n == s && l != Unmarked {
			return l, nil
		}
	}
	return Unmarked, errs.E(errs.Invalid, "sharing: unknown TLP level %q (want clear, green, amber, amber+strict or red)", s)
}

// Effective returns the level that applies to an object: its own, or the
// collection's default when it is unmarked, or AMBER when neither is set.
func Effective(own, collectionDefault Level) Level {
	if own != Unmarked {
		return own
	}
	if collectionDefault != Unmarked {
		return collectionDefault
	}
	return Amber
}

// RecipientKind says what a recipient names.
type RecipientKind string

const (
	RecipientOrg   RecipientKind = "org"
	RecipientUser  RecipientKind = "user"
	RecipientGroup RecipientKind = "group"
)

// Recipient is one named recipient of a RED object.
type Recipient struct {
	Kind RecipientKind
	ID   string
}

// Reader is who asks.
type Reader struct {
	Anonymous bool
	OrgID     string
	UserID    string          // "" for keys not tied to a user
	Groups    map[string]bool // sharing groups the reader's organization belongs to
}

// Item is what is asked for.
type Item struct {
	Level      Level // effective level (see Effective)
	Owner      string
	Group      string // "" when not restricted to a sharing group
	Recipients []Recipient
	// SightedOwner, for a sighting, is the organization that shared the
	// sighted object: it may read every sighting of what it shared.
	SightedOwner string
}

// CanRead reports whether r may read it, given that r may read the
// collection it is in (collection grants, or a public collection for
// anonymous readers, are checked before this).
func CanRead(r Reader, it Item) bool {
	if !r.Anonymous && r.OrgID != "" && (r.OrgID == it.Owner || r.OrgID == it.SightedOwner) {
		return true
	}
	if it.Group != "" && (r.Anonymous || !r.Groups[it.Group]) {
		return false
	}
	switch it.Level {
	case Clear:
		return true
	case Green, Amber:
		// GREEN: every member organization; AMBER: those it was shared with,
		// which is who may read the collection (or its sharing group).
		return !r.Anonymous
	case Red:
		return !r.Anonymous && IsRecipient(r, it.Recipients)
	}
	return false // AMBER+STRICT: the owner only; unknown levels: nobody
}

// IsRecipient reports whether r is named among recipients.
func IsRecipient(r Reader, recipients []Recipient) bool {
	for _, rc := range recipients {
		switch rc.Kind {
		case RecipientOrg:
			if rc.ID == r.OrgID {
				return true
			}
		case RecipientUser:
			if r.UserID != "" && rc.ID == r.UserID {
				return true
			}
		case RecipientGroup:
			if r.Groups[rc.ID] {
				return true
			}
		}
	}
	return false
}

// Destination is where data would go when it leaves the hub.
type Destination struct {
	OrgID     string // the receiving organization, when known ("" for an unknown party)
	Community bool   // the receiver is a member of this hub's community
}

// MayLeave reports whether it may be sent off the hub (export, federation,
// webhook) to dst. CLEAR goes anywhere; GREEN only within the community;
// AMBER only to the organizations it was shared with; AMBER+STRICT and RED
// never leave.
func MayLeave(it Item, dst Destination, sharedWith func(orgID string) bool) bool {
	switch it.Level {
	case Clear:
		return true
	case Green:
		return dst.Community
	case Amber:
		return dst.OrgID != "" && (dst.OrgID == it.Owner || (sharedWith != nil && sharedWith(dst.OrgID)))
	}
	return false
}
