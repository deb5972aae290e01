// Package httpapi is trawl's HTTP transport: the REST API under /api/v1,
// health and metrics endpoints, and the middleware every request passes
// (recovery, request ids, access logs, metrics, authentication, per-key rate
// limits and body limits). Handlers return errors; statusOf maps them to
// statuses in one place. Later transports (TAXII, the web UI) mount on the
// same Server so that they share authentication and limits.
package httpapi

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/audit"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/tags"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/webhook"
)

// Options configure a Server.
type Options struct {
	Identity *identity.Service
	TAXII    *taxii.Service      // nil: no intelligence hub routes
	Audit    *audit.Recorder     // nil: no audit log
	Screener *screening.Screener // nil: no screening routes
	Tags     tags.Store          // nil: no attribution tag routes
	Chain    ChainQuery          // nil: no chain-index routes
	Analysis AnalysisFunc        // nil: no tracing routes
	Alerts   *alert.Service      // nil: no alert routes
	Webhooks *webhook.Service    // nil: no webhook routes
	// Groups lists the sharing groups of an organization (for hub hits).
	Groups    func(ctx context.Context, orgID string) ([]string, error)
	Ready     func(ctx context.Context) error // checks dependencies for /readyz
	Logger    *slog.Logger
	MaxBody   int64   // bytes
	RateLimit float64 // requests/s per key; 0 disables
	RateBurst int
	Version   string
	Now       func() time.Time
	// SessionSecret keys the web UI's session cookies, together with each
	// API key's stored digest; every replica must have the same. Empty:
	// the digest alone (see session.go).
	SessionSecret []byte
	SessionTTL    time.Duration // 0: DefaultSessionTTL
	// Status, if set, adds fields to /readyz's answer (the chain index's
	// tip and lag): a new map on every call, which must not block.
	Status func() map[string]any
}

// Server serves trawl's HTTP API.
type Server struct {
	opts    Options
	log     *slog.Logger
	id      *identity.Service
	limiter *limiter
	mux     *http.ServeMux
	routes  []string // registered patterns, for the OpenAPI check
	reg     *prometheus.Registry
	m       metrics
	handler http.Handler
	ids     *requestIDs
	// auditWait: how long a response waits for its audit entry (tests shorten it).
	auditWait time.Duration

	obsMu sync.RWMutex
	obs   map[obsKey]routeObs // the metrics of each method, route and status
}

type metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	authFail    prometheus.Counter
	rateLimited prometheus.Counter
}

// New builds a Server.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 16 << 20
	}
	s := &Server{opts: o, log: o.Logger, id: o.Identity, mux: http.NewServeMux(), reg: prometheus.NewRegistry(),
		ids: newRequestIDs(), obs: map[obsKey]routeObs{}, auditWait: defaultAuditWait}
	s.limiter = newLimiter(o.RateLimit, o.RateBurst, o.Now)
	s.m = metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "trawl_http_requests_total", Help: "HTTP requests by method, route and status."},
			[]string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "trawl_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"}),
		inFlight:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "trawl_http_in_flight_requests", Help: "Requests being served."}),
		authFail:    prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_auth_failures_total", Help: "Requests with an invalid, expired or revoked API key."}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{Name: "trawl_rate_limited_total", Help: "Requests refused by the per-key rate limit."}),
	}
	s.reg.MustRegister(s.m.requests, s.m.duration, s.m.inFlight, s.m.authFail, s.m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.registerRoutes()
	s.handler = s.middleware(http.HandlerFunc(s.dispatch))
	return s
}

type obsKey struct {
	method, route string
	code          int
}

// routeObs are the metrics one request updates.
type routeObs struct {
	count prometheus.Counter
	dur   prometheus.Observer
}

func (o routeObs) observe(d time.Duration) {
	o.count.Inc()
	o.dur.Observe(d.Seconds())
}

// routeMetrics finds the metrics of a request, looked up by label values
// once and then kept (a label lookup hashes every value each time).
func (s *Server) routeMetrics(method, route string, code int) routeObs {
	k := obsKey{method, route, code}
	s.obsMu.RLock()
	o, ok := s.obs[k]
	s.obsMu.RUnlock()
	if ok {
		return o
	}
	o = routeObs{s.m.requests.WithLabelValues(method, route, strconv.Itoa(code)), s.m.duration.WithLabelValues(route)}
	s.obsMu.Lock()
	if len(s.obs) < 10_000 { // methods of unmatched requests are the caller's
		s.obs[k] = o
	}
	s.obsMu.Unlock()
	return o
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Registry returns the Prometheus registry, for other components' metrics.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// access says who may call a route.
type access int

const (
	public  access = iota // anyone; a key, if sent, must still be valid
	authed                // any valid key
	noLimit               // anyone, and exempt from rate limits (probes, metrics)
)

// Handle registers a route for other transports, with the same middleware.
func (s *Server) Handle(pattern string, a access, h handlerFunc) {
	s.routes = append(s.routes, pattern)
	s.mux.Handle(pattern, routeHandler{a: a, h: h, s: s})
}

type routeHandler struct {
	a access
	h handlerFunc
	s *Server
}

func (rh routeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rh.a == authed && principal(r) == nil {
		rh.s.writeError(w, r, errs.E(errs.Unauthorized, "send an API key: Authorization: Bearer <key>"))
		return
	}
	if err := rh.h(w, r); err != nil {
		rh.s.writeError(w, r, err)
	}
}

func (s *Server) registerRoutes() {
	s.Handle("GET /healthz", noLimit, s.healthz)
	s.Handle("GET /readyz", noLimit, s.readyz)
	s.Handle("GET /metrics", noLimit, func(w http.ResponseWriter, r *http.Request) error {
		promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
		return nil
	})
	s.Handle("GET /api/v1/openapi.json", public, s.openapi)
	s.Handle("GET /api/v1/whoami", authed, s.whoami)
	s.Handle("GET /api/v1/orgs", authed, s.listOrgs)
	s.Handle("POST /api/v1/orgs", authed, s.createOrg)
	s.Handle("GET /api/v1/orgs/{org}", authed, s.getOrg)
	s.Handle("GET /api/v1/orgs/{org}/users", authed, s.listUsers)
	s.Handle("POST /api/v1/orgs/{org}/users", authed, s.createUser)
	s.Handle("GET /api/v1/orgs/{org}/keys", authed, s.listKeys)
	s.Handle("POST /api/v1/orgs/{org}/keys", authed, s.createKey)
	s.Handle("DELETE /api/v1/keys/{id}", authed, s.revokeKey)
	if s.opts.TAXII != nil {
		s.Handle("GET /api/v1/collections", authed, s.listCollections)
		s.Handle("POST /api/v1/collections", authed, s.createCollection)
		s.Handle("PUT /api/v1/collections/{coll}/grants/{org}", authed, s.grantCollection)
		s.Handle("GET /api/v1/sightings", authed, s.sightings)
	}
	if s.opts.Screener != nil {
		s.Handle("POST /api/v1/screen", authed, s.screen)
		s.Handle("GET /api/v1/address/{address}", authed, s.chainalysisAddress)
	}
	s.registerTags()
	s.registerChain()
	s.registerAnalysis()
	s.registerAlerts()
	s.registerWebhooks()
	s.registerTAXII()
	s.registerObjects()
	s.registerGroups()
	s.registerUI()
}

// dispatch routes a request; the mux's own answers when no route matches
// (404, 405, and the redirect of an unclean path that matches nothing) are
// replaced by the JSON error model. The mux routes once: it sets r.Pattern
// before it calls a route's handler (or redirects to one), so an answer
// written while r.Pattern is empty is its own.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	own := &muxAnswer{w: w, r: r}
	s.mux.ServeHTTP(own, r)
	if !own.caught {
		return
	}
	if allow := own.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if own.status == http.StatusMethodNotAllowed && isTAXII(r) {
		writeTAXIIError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method "+r.Method+" is not allowed here; allowed: "+own.header.Get("Allow"))
		return
	}
	if own.status == http.StatusMethodNotAllowed {
		var body errorBody
		body.Error.Code = "method_not_allowed"
		body.Error.Message = "method " + r.Method + " is not allowed here; allowed: " + own.header.Get("Allow")
		writeJSON(w, http.StatusMethodNotAllowed, body)
		return
	}
	s.writeError(w, r, errs.E(errs.NotFound, "no such resource: %s", r.URL.Path))
}

// muxAnswer passes a route's response through, and catches the mux's own
// (written while r.Pattern is empty) without sending any of it.
type muxAnswer struct {
	w      http.ResponseWriter
	r      *http.Request
	header http.Header // the mux's own headers
	status int
	caught bool
}

func (m *muxAnswer) Header() http.Header {
	if m.r.Pattern != "" {
		return m.w.Header()
	}
	if m.header == nil {
		m.header = http.Header{}
	}
	return m.header
}

func (m *muxAnswer) WriteHeader(code int) {
	if m.r.Pattern != "" {
		m.w.WriteHeader(code)
		return
	}
	m.caught, m.status = true, code
}

func (m *muxAnswer) Write(b []byte) (int, error) {
	if m.r.Pattern != "" {
		return m.w.Write(b)
	}
	if !m.caught {
		m.caught, m.status = true, http.StatusOK
	}
	return len(b), nil
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (m *muxAnswer) Unwrap() http.ResponseWriter { return m.w }

// defaultAuditWait bounds how long a response waits for its audit entry to
// be stored.
const defaultAuditWait = 10 * time.Second

type ctxKey int

const (
	principalKey ctxKey = iota
	stateKey
)

// reqState is what the middleware knows of a request, behind one context
// value: one allocation with the response recorder instead of a context,
// a request copy and a string per fact.
type reqState struct {
	rec       recorder
	id        [16]byte // hex
	principal *identity.Principal
	note      auditNote
	pattern   string // the route of a request answered before routing (see route)
	routed    bool
	// For the audit entry (recordAudit).
	srv   *Server
	req   *http.Request // the request as it is now (a session adds the principal)
	start time.Time
}

// auditEntry is the request's audit entry, if it has one: every use of a
// key, and every refused key.
func (st *reqState) auditEntry(status int) (audit.Entry, bool) {
	r := st.req
	if p := principal(r); p != nil {
		return audit.Entry{Time: st.start, Actor: p.KeyID, OrgID: p.OrgID, Action: strings.TrimSuffix(st.route(), "{$}"),
			Target: r.URL.Path, Status: status, Detail: strings.Join(st.note.detail, "\n")}, true
	}
	if status == http.StatusUnauthorized && r.Header.Get("Authorization") != "" {
		return audit.Entry{Time: st.start, Actor: "invalid-key@" + clientIP(r), Action: strings.TrimSuffix(st.route(), "{$}"),
			Target: r.URL.Path, Status: status}, true
	}
	return audit.Entry{}, false
}

// recordAudit records the request's audit entry as its status goes out,
// and waits for it to be stored when the answer must (mustWaitForAudit).
func (st *reqState) recordAudit(status int) error {
	e, ok := st.auditEntry(status)
	if !ok {
		return nil
	}
	s, r := st.srv, st.req
	if !mustWaitForAudit(r.Method, status, &st.note) {
		s.opts.Audit.Record(e)
		return nil
	}
	ctx := r.Context()
	actx, cancel := context.WithTimeout(ctx, s.auditWait)
	defer cancel()
	if err := s.opts.Audit.RecordSync(actx, e); err != nil {
		s.log.ErrorContext(ctx, "audit entry not stored in time; answering 503", "err", err, "request_id", string(st.id[:]))
		return errs.E(errs.Unavailable, "the audit log could not be written in time, so the answer is withheld; a write may have been applied, check before repeating it")
	}
	return nil
}

// route is the request's pattern ("unmatched" for none): the one ServeMux
// chose, which it sets on r as it routes (dispatch), or for a request
// answered before routing (a refused key, a limit), the one it would have
// chosen. The mux is asked only then: routing is a sizable part of a
// screening request's cost.
func (st *reqState) route() string {
	if st.req.Pattern != "" {
		return st.req.Pattern
	}
	if !st.routed {
		_, st.pattern = st.srv.mux.Handler(st.req)
		st.routed = true
	}
	if st.pattern == "" {
		return "unmatched"
	}
	return st.pattern
}

func stateOf(r *http.Request) *reqState {
	st, _ := r.Context().Value(stateKey).(*reqState)
	return st
}

// auditNote collects what a handler wants in the request's audit entry.
type auditNote struct {
	detail []string
	// query: the request changes nothing although its method is not GET
	// (POST /api/v1/screen, POST /api/v1/btc/trace).
	query bool
}

// noteAudit adds a line to the request's audit entry. A request with a
// line is answered only once its entry is stored (see mustWaitForAudit):
// handlers note every write and every non-CLEAR object they return.
func noteAudit(r *http.Request, line string) {
	if st := stateOf(r); st != nil {
		st.note.detail = append(st.note.detail, line)
	}
}

// noteQuery marks a POST that only reads, so that its entry need not be
// stored before the answer when it returned nothing non-CLEAR.
func noteQuery(r *http.Request) {
	if st := stateOf(r); st != nil {
		st.note.query = true
	}
}

// mustWaitForAudit says whether a request's answer waits until its audit
// entry is stored. It does for anything that may have changed state (a
// write method answered below 400) and for anything that returned what the
// audit log must account for (a handler noted it: non-CLEAR objects, hub
// intelligence, administrative detail). The rest (key uses that read only
// CLEAR or list data, refused requests) are stored by the same group
// commit, within milliseconds, without holding the answer: a crash in
// that window can lose such an entry, never one of a write or of a
// non-CLEAR read.
func mustWaitForAudit(method string, status int, note *auditNote) bool {
	if len(note.detail) > 0 {
		return true
	}
	read := method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions || note.query
	return !read && status < 400
}

func principal(r *http.Request) *identity.Principal {
	ctx := r.Context()
	if st, _ := ctx.Value(stateKey).(*reqState); st != nil && st.principal != nil {
		return st.principal
	}
	p, _ := ctx.Value(principalKey).(*identity.Principal) // a web UI session
	return p
}

func requestID(r *http.Request) string {
	if st := stateOf(r); st != nil {
		return string(st.id[:])
	}
	return ""
}

// recorder captures the status and size of a response. With audit set, the
// request's audit entry is recorded once, before the status goes out
// (reqState.recordAudit); when that fails, the response becomes its error
// and what the handler writes is dropped.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	audit  *reqState // set when the request's audit entry is still to be made
	failed bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status != 0 {
		return
	}
	r.status = code
	if st := r.audit; st != nil {
		r.audit = nil
		if err := st.recordAudit(code); err != nil {
			r.failed, r.status = true, http.StatusServiceUnavailable
			h := r.ResponseWriter.Header()
			for k := range h {
				delete(h, k)
			}
			var body errorBody
			body.Error.Code, body.Error.Message = errs.Unavailable, errs.MessageOf(err)
			writeJSON(r.ResponseWriter, http.StatusServiceUnavailable, body)
			return
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.WriteHeader(http.StatusOK)
	}
	if r.failed {
		return len(b), nil
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// probes are the routes exempt from rate limits and logged at debug level.
var probes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

// isProbe says whether the request goes to one of the probes (or to the
// mux's redirect to one, for an unclean path), before it is routed: a clean
// path is one of theirs or not; only an unclean one asks the mux.
func (st *reqState) isProbe() bool {
	r := st.req
	switch r.URL.Path {
	case "/healthz", "/readyz", "/metrics":
		return r.Method == http.MethodGet || r.Method == http.MethodHead
	}
	return !isClean(r.URL.Path) && probes[st.route()]
}

// isClean says whether p is a path the mux routes as it is: what path.Clean
// leaves alone, but for a trailing slash (without allocating for it).
func isClean(p string) bool {
	if len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
		if p[len(p)-1] == '/' {
			return false // "//", "/a//"
		}
	}
	return p != "" && path.Clean(p) == p
}

func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.opts.Now()
		st := &reqState{rec: recorder{ResponseWriter: w}}
		rec := &st.rec
		s.ids.next(&st.id)
		reqID := string(st.id[:])
		w.Header()["X-Request-Id"] = []string{reqID}
		ctx := context.WithValue(r.Context(), stateKey, st)
		r = r.WithContext(ctx)
		s.m.inFlight.Inc()
		// The request's audit entry is stored before its response goes out
		// (a crash can lose no entry of an answer someone received).
		st.srv, st.req, st.start = s, r, start
		if s.opts.Audit != nil {
			rec.audit = st
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(ctx, "panic serving request", "panic", v, "path", r.URL.Path, "request_id", reqID, "stack", string(debug.Stack()))
				if rec.status == 0 {
					s.writeError(rec, r, errs.E(errs.Internal, "panic"))
				}
			}
			if rec.status == 0 {
				rec.WriteHeader(http.StatusOK) // what net/http would send, after the audit entry
			}
			s.m.inFlight.Dec()
			d := s.opts.Now().Sub(start)
			route := st.route()
			s.routeMetrics(r.Method, route, rec.status).observe(d)
			level := slog.LevelInfo
			if probes[route] {
				level = slog.LevelDebug
			}
			if !s.log.Enabled(ctx, level) {
				return
			}
			// A fixed array: the attributes do not escape to the heap.
			var attrs [10]slog.Attr
			attrs[0], attrs[1], attrs[2] = slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route)
			attrs[3], attrs[4], attrs[5] = slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes), slog.Float64("ms", float64(d.Microseconds())/1000)
			attrs[6], attrs[7] = slog.String("remote", clientIP(r)), slog.String("request_id", reqID)
			n := 8
			if p := principal(r); p != nil {
				attrs[8], attrs[9] = slog.String("key", p.KeyID), slog.String("org", p.OrgName)
				n = 10
			}
			// Straight to the handler: Logger.LogAttrs would also walk the
			// stack for the caller's position, which nobody logs.
			line := slog.NewRecord(time.Now(), level, "http", 0)
			line.AddAttrs(attrs[:n]...)
			s.log.Handler().Handle(ctx, line)
		}()

		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(rec, r.Body, s.opts.MaxBody)
		}
		exempt := st.isProbe()
		token, hasCred := credentials(r)
		if hasCred {
			p, err := s.id.Authenticate(ctx, token)
			if err != nil {
				if errs.Is(err, errs.Unauthorized) {
					s.m.authFail.Inc()
					// Failed attempts are limited per client address, so that
					// keys cannot be guessed at speed.
					if ok, wait := s.limiter.allow("ip:" + clientIP(r)); !ok {
						s.tooMany(rec, r, wait)
						return
					}
				}
				s.writeError(rec, r, err)
				return
			}
			st.principal = p
		} else if sr, err := s.sessionRequest(r); err != nil {
			s.writeError(rec, r, err)
			return
		} else {
			r = sr
			st.req = r
		}
		if !exempt {
			var limitKey string
			if p := principal(r); p != nil {
				limitKey = p.KeyID // key ids ("key_...") never look like addresses
			} else {
				limitKey = "ip:" + clientIP(r)
			}
			if ok, wait := s.limiter.allow(limitKey); !ok {
				s.tooMany(rec, r, wait)
				return
			}
		}
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	s.m.rateLimited.Inc()
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.writeError(w, r, errs.E(errs.RateLimited, "rate limit exceeded; retry after %d s", secs))
}

// credentials extracts an API key from "Authorization: Bearer KEY" or, for
// TAXII clients, HTTP Basic with any user name and the key as password.
func credentials(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		// Clients of the Chainalysis sanctions API send their key so.
		if k := r.Header.Get("X-API-Key"); k != "" {
			return strings.TrimSpace(k), true
		}
		return "", false
	}
	scheme, rest, _ := strings.Cut(h, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		return strings.TrimSpace(rest), true
	case "basic":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return "", true
		}
		_, pw, _ := strings.Cut(string(b), ":")
		return pw, true
	}
	return "", true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestIDs hands out request ids: 64 bits, hex, from a counter that
// starts at a random value, so that ids are unique within a process and
// unlikely to repeat across replicas, without a random read per request.
type requestIDs struct{ n atomic.Uint64 }

func newRequestIDs() *requestIDs {
	var b [8]byte
	rand.Read(b[:])
	ids := &requestIDs{}
	ids.n.Store(binary.BigEndian.Uint64(b[:]))
	return ids
}

func (g *requestIDs) next(dst *[16]byte) {
	var b [8]byte
	// Consecutive ids differ in many bits (a multiplicative hash of the
	// counter), so that they do not look sequential in logs.
	binary.BigEndian.PutUint64(b[:], g.n.Add(1)*0x9E3779B97F4A7C15)
	hex.Encode(dst[:], b[:])
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.opts.Version})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.opts.Ready(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready", "err", err)
			return errs.Wrap(errs.Unavailable, err, "not ready: a dependency does not answer")
		}
	}
	body := map[string]any{}
	if s.opts.Status != nil {
		body = s.opts.Status()
	}
	body["status"] = "ready"
	writeJSON(w, http.StatusOK, body)
	return nil
}

//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
	return nil
}
