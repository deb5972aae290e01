package identity

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
)

// Service applies the rules of identity over a Store: validation, id and key
// generation, and authentication with a short-lived cache.
type Service struct {
	store Store
	now   func() time.Time
	ttl   time.Duration

	mu    sync.Mutex
	cache map[string]cachedKey // by key id
	// The revocation counter as last read, and when: the cache is dropped
	// when it moves, so that a key revoked on another replica is refused
	// here within RevocationCheck, whatever the cache's TTL.
	keysVer     int64
	keysChecked time.Time
}

// RevocationCheck is how often a Service with a key cache reads the store's
// revocation counter (on the first request after it passes).
const RevocationCheck = time.Second

type cachedKey struct {
	hash    []byte
	p       Principal
	expires time.Time // of the cache entry
	keyExp  *time.Time
}

// NewService returns a Service. cacheTTL bounds how long a revocation made on
// another replica may take to be seen here; revocations made through this
// Service take effect at once.
func NewService(store Store, cacheTTL time.Duration, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now, ttl: cacheTTL, cache: map[string]cachedKey{}}
}

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

// CreateOrg creates an organization.
func (s *Service) CreateOrg(ctx context.Context, name, title string, operator bool) (*Org, error) {
	if err := ValidateOrgName(name); err != nil {
		return nil, err
	}
	if title == "" {
		title = name
	}
	if err := validateText("title", title, 200); err != nil {
		return nil, err
	}
	o := &Org{ID: NewID("org"), Name: name, Title: title, Operator: operator, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.store.CreateOrg(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// CreateUser creates a user in the organization named orgName.
func (s *Service) CreateUser(ctx context.Context, orgName, email, name string, role Role) (*User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = email
	}
	if err := validateText("name", name, 200); err != nil {
		return nil, err
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	org, err := s.store.OrgByName(ctx, orgName)
	if err != nil {
		return nil, err
	}
	u := &User{ID: NewID("usr"), OrgID: org.ID, Email: email, Name: name, Role: role, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// KeyRequest describes a key to create.
type KeyRequest struct {
	Org       string        // organization name
	Role      Role          //
	UserEmail string        // optional: the key acts for this user, whose role must cover Role
	Name      string        // a label, e.g. "misp sync"
	TTL       time.Duration // 0: no expiry
}

// CreateKey creates an API key and returns it with the secret token, which
// is not stored and cannot be shown again.
func (s *Service) CreateKey(ctx context.Context, req KeyRequest) (*Key, string, error) {
	org, err := s.store.OrgByName(ctx, req.Org)
	if err != nil {
		return nil, "", err
	}
	if _, err := ParseRole(string(req.Role)); err != nil {
		return nil, "", err
	}
	if req.Name == "" {
		req.Name = string(req.Role) + " key"
	}
	if err := validateText("key name", req.Name, 200); err != nil {
		return nil, "", err
	}
	if req.TTL < 0 {
		return nil, "", errs.E(errs.Invalid, "identity: key lifetime must not be negative")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	k := &Key{OrgID: org.ID, Name: req.Name, Role: req.Role, CreatedAt: now}
	if req.UserEmail != "" {
		email, err := NormalizeEmail(req.UserEmail)
		if err != nil {
			return nil, "", err
		}
		u, err := s.store.UserByEmail(ctx, email)
		if err != nil {
			return nil, "", err
		}
		if u.OrgID != org.ID {
			return nil, "", errs.E(errs.Invalid, "identity: user %s is not a member of %s", email, org.Name)
		}
		if !u.Role.Covers(req.Role) {
			return nil, "", errs.E(errs.Invalid, "identity: user %s has role %s, which does not allow a %s key", email, u.Role, req.Role)
		}
		k.UserID = u.ID
	}
	if req.TTL > 0 {
		exp := now.Add(req.TTL)
		k.ExpiresAt = &exp
	}
	id, token := newToken()
	k.ID = id
	k.Hash = HashToken(token)
	if err := s.store.CreateKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// RevokeKey revokes a key at once on this replica.
func (s *Service) RevokeKey(ctx context.Context, id string) error {
	if err := s.store.RevokeKey(ctx, id, s.now().UTC()); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	return nil
}

// dummyHash is compared against when a key id is unknown, so that an unknown
// id and a wrong secret take the same time.
var dummyHash = HashToken("trawl_key_dummy_dummy")

var errBadKey = errs.E(errs.Unauthorized, "invalid, expired or revoked API key")

// Authenticate verifies a token and returns the Principal it acts as. Any
// failure is errs.Unauthorized with the same message, so that a caller learns
// nothing about which part was wrong.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	id, ok := keyIDOf(token)
	if !ok {
		subtle.ConstantTimeCompare(HashToken(token), dummyHash)
		return nil, errBadKey
	}
	sum := sha256.Sum256([]byte(token)) // on the stack: HashToken's slice would escape
	digest := sum[:]
	now := s.now()

	s.mu.Lock()
	c, hit := s.cache[id]
	check := hit && now.Sub(s.keysChecked) >= RevocationCheck
	if check {
		s.keysChecked = now // one request checks; the others go on meanwhile
	}
	s.mu.Unlock()
	if check {
		v, err := s.store.KeysVersion(ctx)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if v != s.keysVer {
			s.keysVer = v
			s.cache = map[string]cachedKey{}
			hit = false
		}
		s.mu.Unlock()
	}
	if hit && now.Before(c.expires) {
		if subtle.ConstantTimeCompare(digest, c.hash) != 1 || (c.keyExp != nil && !now.Before(*c.keyExp)) {
			return nil, errBadKey
		}
		p := c.p
		return &p, nil
	}

	s.mu.Lock()
	gen := s.keysVer // a check that moves it meanwhile voids what is read now
	s.mu.Unlock()
	k, err := s.store.KeyByID(ctx, id)
	if errs.Is(err, errs.NotFound) {
		subtle.ConstantTimeCompare(digest, dummyHash)
		return nil, errBadKey
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(digest, k.Hash) != 1 || k.RevokedAt != nil || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return nil, errBadKey
	}
	org, err := s.store.OrgByID(ctx, k.OrgID)
	if err != nil {
		return nil, err
	}
	p := Principal{KeyID: k.ID, OrgID: org.ID, OrgName: org.Name, Operator: org.Operator, UserID: k.UserID, Role: k.Role}
	if s.ttl > 0 {
		s.mu.Lock()
		if len(s.cache) > 100_000 { // bound memory; a full reset is cheap and rare
			s.cache = map[string]cachedKey{}
		}
		if s.keysVer == gen {
			s.cache[id] = cachedKey{hash: k.Hash, p: p, expires: now.Add(s.ttl), keyExp: k.ExpiresAt}
		}
		s.mu.Unlock()
	}
	// Recorded on every cache miss: at most once per cache period per key.
	_ = s.store.TouchKey(ctx, k.ID, now.UTC())
	return &p, nil
}
