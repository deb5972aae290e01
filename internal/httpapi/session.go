package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
)

// Sessions let the web UI sign in once with an API key and then carry a
// cookie instead of the key.
//
// The cookie is "v1.<key id>.<expiry, unix seconds>.<mac>". The MAC is an
// HMAC-SHA256 of "v1.<key id>.<expiry>" under a key derived from the
// server's session secret (Options.SessionSecret) and the stored digest of
// the API key, so nothing is kept in memory: every replica that shares the
// store verifies the cookie, and every request reads the key again, so that
// revoking or expiring the key ends its sessions at once. Without a session
// secret the cookie is keyed by the key's digest alone, which only the store
// holds; a reader of the store could then forge sessions, so deployments set
// one.
//
// CSRF: the cookie is SameSite=Strict, and every request that changes state
// with it must also send the X-CSRF-Token header with the token that sign-in
// and GET /api/v1/session return (an HMAC of the cookie, which scripts of
// other sites can neither read nor compute). Requests with an API key are not
// affected.

const (
	sessionCookie = "trawl_session"
	csrfHeader    = "X-CSRF-Token"
	sessionPath   = "/api/v1/session"
	// DefaultSessionTTL is how long a session lasts when Options.SessionTTL
	// is not set (never past the key's own expiry).
	DefaultSessionTTL = 8 * time.Hour
)

// session is a verified session cookie.
type session struct {
	value   string // the cookie's value
	expires time.Time
	mac     []byte // the session's MAC key
}

type sessionCtxKey struct{}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionCtxKey{}).(*session)
	return s
}

func (s *Server) sessionTTL() time.Duration {
	if s.opts.SessionTTL > 0 {
		return s.opts.SessionTTL
	}
	return DefaultSessionTTL
}

// sessionMACKey derives the MAC key of the sessions of one API key.
func (s *Server) sessionMACKey(keyDigest []byte) []byte {
	secret := s.opts.SessionSecret
	if len(secret) == 0 {
		secret = []byte("trawl session v1")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("session-key\x00"))
	m.Write(keyDigest)
	return m.Sum(nil)
}

func sign(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(strings.Join(parts, "\x00")))
	return m.Sum(nil)
}

// csrfToken is the token that state-changing requests of a session send.
func (ss *session) csrfToken() string {
	return base64.RawURLEncoding.EncodeToString(sign(ss.mac, "csrf", ss.value))
}

// newSession issues a cookie value for key k.
func (s *Server) newSession(k *identity.Key) *session {
	exp := s.opts.Now().Add(s.sessionTTL()).Truncate(time.Second)
	if k.ExpiresAt != nil && k.ExpiresAt.Before(exp) {
		exp = k.ExpiresAt.Truncate(time.Second)
	}
	mac := s.sessionMACKey(k.Hash)
	payload := "v1." + k.ID + "." + strconv.FormatInt(exp.Unix(), 10)
	return &session{value: payload + "." + base64.RawURLEncoding.EncodeToString(sign(mac, payload)), expires: exp, mac: mac}
}

// verifySession checks a cookie value against the key store. It returns nil
// (no error) for any cookie that is not a live session: a stale cookie makes
// a request anonymous, it does not break it.
func (s *Server) verifySession(ctx context.Context, value string) (*session, *identity.Principal, error) {
	parts := strings.Split(value, ".")
	if len(value) > 300 || len(parts) != 4 || parts[0] != "v1" {
		return nil, nil, nil
	}
	unix, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return nil, nil, nil
	}
	exp := time.Unix(unix, 0)
	now := s.opts.Now()
	if !now.Before(exp) {
		return nil, nil, nil
	}
	got, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil {
		return nil, nil, nil
	}
	k, err := s.id.Store().KeyByID(ctx, parts[1])
	if errs.Is(err, errs.NotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	mac := s.sessionMACKey(k.Hash)
	if !hmac.Equal(got, sign(mac, strings.Join(parts[:3], "."))) {
		return nil, nil, nil
	}
	if k.RevokedAt != nil || (k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)) {
		return nil, nil, nil
	}
	org, err := s.id.Store().OrgByID(ctx, k.OrgID)
	if err != nil {
		return nil, nil, err
	}
	p := &identity.Principal{KeyID: k.ID, OrgID: org.ID, OrgName: org.Name, Operator: org.Operator, UserID: k.UserID, Role: k.Role}
	return &session{value: value, expires: exp, mac: mac}, p, nil
}

// sessionRequest authenticates a request that carries no API key by its
// session cookie. It returns r unchanged when there is no live session, and
// an error when a state-changing request of a session lacks its CSRF token.
func (s *Server) sessionRequest(r *http.Request) (*http.Request, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return r, nil
	}
	if r.Method == http.MethodPost && r.URL.Path == sessionPath {
		return r, nil // signing in again: the key in the body decides
	}
	ss, p, err := s.verifySession(r.Context(), c.Value)
	if err != nil || ss == nil {
		return r, err
	}
	if !safeMethod(r.Method) {
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
			return r, errs.E(errs.Forbidden, "cross-origin request from %s refused; the web UI calls the API from its own origin", o)
		}
		if subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(ss.csrfToken())) != 1 {
			return r, errs.E(errs.Forbidden, "a %s with a session cookie needs the %s header from GET %s (or send an API key instead)", r.Method, csrfHeader, sessionPath)
		}
	}
	ctx := context.WithValue(context.WithValue(r.Context(), principalKey, p), sessionCtxKey{}, ss)
	return r.WithContext(ctx), nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// sameOrigin reports whether an Origin header names the host the request
// was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	c := &http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode}
	if value == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// sessionInfo is what the UI learns of its session.
type sessionInfo struct {
	Principal *identity.Principal `json:"principal"`
	Org       *identity.Org       `json:"org"`
	CSRFToken string              `json:"csrf_token"`
	ExpiresAt time.Time           `json:"expires_at"`
}

func (s *Server) writeSession(w http.ResponseWriter, r *http.Request, status int, p *identity.Principal, ss *session) error {
	org, err := s.id.Store().OrgByID(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, sessionInfo{Principal: p, Org: org, CSRFToken: ss.csrfToken(), ExpiresAt: ss.expires.UTC()})
	return nil
}

// signIn exchanges an API key for a session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	// A strict media type keeps other sites' forms from signing a browser in
	// (a cross-origin application/json request needs a preflight we never
	// answer).
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return errs.E(errs.Unsupported, "send the sign-in as Content-Type: application/json, {\"key\": \"trawl_...\"}")
	}
	var req struct {
		Key string `json:"key"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	req.Key = strings.TrimSpace(req.Key)
	if req.Key == "" || len(req.Key) > 200 {
		return errs.E(errs.Invalid, "key: paste an API key (trawl_key_...), at most 200 characters")
	}
	p, err := s.id.Authenticate(r.Context(), req.Key)
	if err != nil {
		if errs.Is(err, errs.Unauthorized) {
			s.m.authFail.Inc()
			s.opts.Audit.Record(audit.Entry{Time: s.opts.Now(), Actor: "invalid-key@" + clientIP(r), Action: "POST " + sessionPath,
				Target: sessionPath, Status: http.StatusUnauthorized})
			return errs.E(errs.Unauthorized, "that API key is invalid, expired or revoked; ask an admin of your organization for a key")
		}
		return err
	}
	k, err := s.id.Store().KeyByID(r.Context(), p.KeyID)
	if err != nil {
		return err
	}
	ss := s.newSession(k)
	s.setSessionCookie(w, r, ss.value, ss.expires)
	s.opts.Audit.Record(audit.Entry{Time: s.opts.Now(), Actor: p.KeyID, OrgID: p.OrgID, Action: "POST " + sessionPath,
		Target: sessionPath, Status: http.StatusCreated, Detail: "signed in to the web UI"})
	return s.writeSession(w, r, http.StatusCreated, p, ss)
}

// currentSession tells the UI who it is signed in as, and its CSRF token.
func (s *Server) currentSession(w http.ResponseWriter, r *http.Request) error {
	ss := sessionOf(r)
	if ss == nil {
		return errs.E(errs.Unauthorized, "not signed in: sign in with an API key (POST %s)", sessionPath)
	}
	return s.writeSession(w, r, http.StatusOK, principal(r), ss)
}

// signOut clears the session cookie. The cookie's value stays valid until it
// expires or its key is revoked (sessions are not stored), so a browser that
// signs out forgets it.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	s.setSessionCookie(w, r, "", time.Time{})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
