package alert

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/sharing"
)

// Kind says what happened.
type Kind string

const (
	// KindDeposit: traced stolen funds reached a deposit address the
	// addressee holds.
	KindDeposit Kind = "deposit"
	// KindIndicator: an indicator or sighting names an address the
	// addressee holds.
	KindIndicator Kind = "indicator"
)

// Status is where the addressee stands with the alert.
type Status string

const (
	StatusNew          Status = "new"
	StatusAcknowledged Status = "acknowledged"
	StatusClosed       Status = "closed"
)

// Subject is one address the alert is about.
type Subject struct {
	Chain   string `json:"chain"`
	Address string `json:"address"`
	Sats    uint64 `json:"sats,omitempty"`    // traced amount reaching it, when traced
	Txid    string `json:"txid,omitempty"`    // the transaction that paid it, when traced
	Vout    uint32 `json:"vout,omitempty"`    //
	Service string `json:"service,omitempty"` // the service label the address is attributed to
	Hops    int    `json:"hops,omitempty"`
}

// Alert is a message to one organization.
type Alert struct {
	ID        string     `json:"id"`
	Kind      Kind       `json:"kind"`
	ToOrg     string     `json:"to_org"` // the addressee's id
	ToName    string     `json:"to_org_name"`
	FromOrg   string     `json:"from_org"` // the raiser's id
	FromName  string     `json:"from_org_name"`
	RaisedBy  string     `json:"raised_by"` // user id, else "key:" and the API key's id
	Subjects  []Subject  `json:"subjects"`
	Sources   []string   `json:"sources"`
	Marking   string     `json:"marking"` // a TLP level name (sharing.Level.String)
	Note      string     `json:"note,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	Status    Status     `json:"status"`
	AckedBy   string     `json:"acknowledged_by,omitempty"`
	AckedAt   *time.Time `json:"acknowledged_at,omitempty"`
	ClosedBy  string     `json:"closed_by,omitempty"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
}

// Level is the alert's TLP level (RED when the marking cannot be read:
// unknown markings narrow, never widen).
func (a *Alert) Level() sharing.Level {
	l, err := sharing.ParseLevel(a.Marking)
	if err != nil {
		return sharing.Red
	}
	return l
}

// Box selects alerts by the caller's part in them.
type Box string

const (
	BoxAll   Box = ""      // received and sent
	BoxInbox Box = "inbox" // addressed to the org
	BoxSent  Box = "sent"  // raised by the org
)

// Filter selects alerts of one organization, in (created_at, id) order
// from the newest.
type Filter struct {
	OrgID  string
	Box    Box
	Status Status // "" for any
	Kind   Kind   // "" for any
	// Before is the keyset position to continue after (exclusive); zero
	// time for the newest.
	Before   time.Time
	BeforeID string
	Limit    int
}

// Claim is an organization's claim of a service label.
type Claim struct {
	Label     string    `json:"label"`
	OrgID     string    `json:"org_id"`
	ClaimedAt time.Time `json:"claimed_at"`
}

// Store keeps alerts and service claims.
//
// Implementations are safe for concurrent use. Absent records give
// errs.NotFound; SetStatus changes a row only when its status is one of
// from (else errs.Conflict), so that two replicas cannot both move it.
type Store interface {
	CreateAlert(ctx context.Context, a *Alert) error
	Alert(ctx context.Context, id string) (*Alert, error)
	ListAlerts(ctx context.Context, f Filter) ([]Alert, error)
	SetAlertStatus(ctx context.Context, id string, from []Status, a *Alert) error

	// ClaimService records orgID as the holder of label (one org per label,
	// case-insensitive; a new claim replaces the old).
	ClaimService(ctx context.Context, c Claim) error
	UnclaimService(ctx context.Context, label string) error
	ServiceClaims(ctx context.Context) ([]Claim, error)
}

// LabelKey is the case-insensitive key of a service label.
func LabelKey(label string) string { return strings.ToLower(strings.TrimSpace(label)) }

// Limits on what one alert carries.
const (
	MaxSubjects = 1000
	MaxSources  = 50
	MaxNote     = 4000
)

var idRE = regexp.MustCompile(`^alert--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidID reports whether s has the form of an alert id.
func ValidID(s string) bool { return idRE.MatchString(s) }

// ParseStatus reads a status name.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case StatusNew, StatusAcknowledged, StatusClosed:
		return Status(s), nil
	}
	return "", errs.E(errs.Invalid, "status %q: use new, acknowledged or closed", s)
}

// ParseKind reads a kind name.
func ParseKind(s string) (Kind, error) {
	switch Kind(s) {
	case KindDeposit, KindIndicator:
		return Kind(s), nil
	}
	return "", errs.E(errs.Invalid, "kind %q: use deposit or indicator", s)
}
