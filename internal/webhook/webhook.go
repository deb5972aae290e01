package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// Events an endpoint may want.
const (
	EventAlert     = "alert"     // alerts addressed to the organization
	EventObjects   = "objects"   // new objects in the endpoint's collections
	EventSightings = "sightings" // sightings of the organization's own objects, in any collection
)

// Endpoint is a registered receiver.
type Endpoint struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Collections []string  `json:"collections,omitempty"`
	Secret      string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	Health
}

// Health is what the outbox learned of an endpoint.
type Health struct {
	Failures       int        `json:"consecutive_failures"`
	Disabled       bool       `json:"disabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	LastStatus     int        `json:"last_status,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastAttempt    *time.Time `json:"last_attempt_at,omitempty"`
}

// State of a delivery.
type State string

const (
	Pending   State = "pending"
	Delivered State = "delivered"
	Withheld  State = "withheld" // the organization may no longer read it: nothing was sent
	Dropped   State = "dropped"  // the endpoint was disabled or deleted
)

// Delivery is one row of the outbox.
type Delivery struct {
	ID           string    `json:"id"`
	EndpointID   string    `json:"endpoint_id"`
	OrgID        string    `json:"org_id"`
	Event        string    `json:"event"`
	SubjectID    string    `json:"subject_id"` // alert id or STIX id
	CollectionID string    `json:"collection_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	NextAt       time.Time `json:"next_at"`
	Attempts     int       `json:"attempts"`
	State        State     `json:"state"`
	LastStatus   int       `json:"last_status,omitempty"`
	LastError    string    `json:"last_error,omitempty"` // a short excerpt of the answer or the error
}

// Store keeps endpoints, the outbox and scan cursors.
//
// Implementations are safe for concurrent use by several processes.
// Enqueue ignores deliveries whose id exists. Claim marks up to limit
// pending rows that are due and not leased (or whose lease expired) as
// leased by owner until leaseUntil, atomically, and returns them; Finish
// writes a delivery's outcome only while owner holds its lease.
type Store interface {
	CreateEndpoint(ctx context.Context, e *Endpoint) error
	Endpoint(ctx context.Context, id string) (*Endpoint, error)
	Endpoints(ctx context.Context, orgID string) ([]Endpoint, error) // "" for all
	DeleteEndpoint(ctx context.Context, id string) error
	// RecordAttempt adds a failure (or resets the count on success) and
	// disables the endpoint when the count reaches disableAfter.
	RecordAttempt(ctx context.Context, id string, ok bool, status int, excerpt string, at time.Time, disableAfter int) error

	Enqueue(ctx context.Context, ds []Delivery) error
	Claim(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]Delivery, error)
	Finish(ctx context.Context, owner string, d *Delivery) error
	Deliveries(ctx context.Context, endpointID string, limit int) ([]Delivery, error)
	// Prune deletes finished deliveries (not pending) created before t.
	Prune(ctx context.Context, before time.Time) (int64, error)

	// Cursor is where the scan of a collection for an endpoint stands.
	Cursor(ctx context.Context, endpointID, collectionID string) (at time.Time, seq int64, ok bool, err error)
	SetCursor(ctx context.Context, endpointID, collectionID string, at time.Time, seq int64) error
}

// Headers sent with every delivery.
const (
	HeaderSignature = "X-Trawl-Signature"
	HeaderTimestamp = "X-Trawl-Timestamp"
	HeaderDelivery  = "X-Trawl-Delivery"
	HeaderEvent     = "X-Trawl-Event"
)

// Sign returns the X-Trawl-Signature value of body sent at ts.
func Sign(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts.Unix(), 10)))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// MaxSkew is how far a receiver accepts timestamps from its clock.
const MaxSkew = 5 * time.Minute

// Verify checks a received delivery as a receiver must: the signature (in
// constant time) over the timestamp header and the body, and a timestamp
// within MaxSkew of now. Receivers also drop delivery ids they have seen.
func Verify(secret, timestamp, signature string, body []byte, now time.Time) error {
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errs.E(errs.Invalid, "webhook: %s is not Unix seconds", HeaderTimestamp)
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > MaxSkew || d < -MaxSkew {
		return errs.E(errs.Invalid, "webhook: timestamp %s is more than %s from now", ts.UTC().Format(time.RFC3339), MaxSkew)
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return errs.E(errs.Unauthorized, "webhook: the signature does not match")
	}
	return nil
}

// ValidateURL checks an endpoint URL: https, or http to a loopback address
// when allowHTTPLoopback (tests, development). No credentials in the URL.
func ValidateURL(raw string, allowHTTPLoopback bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || len(raw) > 2000 {
		return errs.E(errs.Invalid, "url %q: want an absolute https:// URL", raw)
	}
	if u.User != nil {
		return errs.E(errs.Invalid, "url: no user or password in the URL; deliveries are authenticated by their signature")
	}
	if u.Fragment != "" {
		return errs.E(errs.Invalid, "url: no #fragment")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if allowHTTPLoopback && (strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())) {
			return nil
		}
		if allowHTTPLoopback {
			return errs.E(errs.Invalid, "url: http:// only to a loopback address (127.0.0.1, ::1, localhost); use https://")
		}
		return errs.E(errs.Invalid, "url: use https:// (this server accepts plain http only to loopback when started with --webhook-allow-http-loopback)")
	}
	return errs.E(errs.Invalid, "url %q: want an https:// URL", raw)
}
