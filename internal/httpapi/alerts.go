package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
)

// registerAlerts mounts the alert routes (DESIGN's "who must act now?").
func (s *Server) registerAlerts() {
	if s.opts.Alerts == nil {
		return
	}
	s.Handle("POST /api/v1/alerts", authed, s.raiseAlert)
	s.Handle("GET /api/v1/alerts", authed, s.listAlerts)
	s.Handle("GET /api/v1/alerts/{id}", authed, s.getAlert)
	s.Handle("POST /api/v1/alerts/{id}/ack", authed, s.moveAlert(s.opts.Alerts.Ack))
	s.Handle("POST /api/v1/alerts/{id}/close", authed, s.moveAlert(s.opts.Alerts.Close))
	s.Handle("GET /api/v1/service-claims", authed, s.listClaims)
	s.Handle("PUT /api/v1/service-claims/{label}", authed, s.putClaim)
	s.Handle("DELETE /api/v1/service-claims/{label}", authed, s.deleteClaim)
	if s.opts.Analysis != nil {
		s.Handle("POST /api/v1/alerts/from-trace", authed, s.alertsFromTrace)
	}
}

func (s *Server) raiseAlert(w http.ResponseWriter, r *http.Request) error {
	var req alert.Request
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := s.opts.Alerts.Raise(r.Context(), principal(r), req)
	if err != nil {
		return err
	}
	noteAudit(r, fmt.Sprintf("raised %s alert %s to %s from %d sources", a.Kind, a.ID, a.ToName, len(a.Sources)))
	writeJSON(w, http.StatusCreated, a)
	return nil
}

// alertCursor is the keyset position of a list page.
func alertCursor(a alert.Alert) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(a.CreatedAt.UnixMicro(), 10) + " " + a.ID))
}

func parseAlertCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	at, id, ok := strings.Cut(string(b), " ")
	us, err2 := strconv.ParseInt(at, 10, 64)
	if err != nil || !ok || err2 != nil || !alert.ValidID(id) {
		return time.Time{}, "", errs.E(errs.Invalid, "next: not a cursor this server gave; start again without it")
	}
	return time.UnixMicro(us).UTC(), id, nil
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := alert.Filter{Box: alert.Box(q.Get("box"))}
	switch f.Box {
	case alert.BoxAll, alert.BoxInbox, alert.BoxSent:
	default:
		return errs.E(errs.Invalid, "box %q: use inbox, sent or leave it out for both", f.Box)
	}
	if v := q.Get("status"); v != "" {
		st, err := alert.ParseStatus(v)
		if err != nil {
			return err
		}
		f.Status = st
	}
	if v := q.Get("kind"); v != "" {
		k, err := alert.ParseKind(v)
		if err != nil {
			return err
		}
		f.Kind = k
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > alert.MaxPage {
			return errs.E(errs.Invalid, "limit %q: want 1 to %d", v, alert.MaxPage)
		}
		f.Limit = n
	}
	if v := q.Get("next"); v != "" {
		at, id, err := parseAlertCursor(v)
		if err != nil {
			return err
		}
		f.Before, f.BeforeID = at, id
	}
	as, more, err := s.opts.Alerts.List(r.Context(), principal(r), f)
	if err != nil {
		return err
	}
	auditAlertReads(r, as)
	out := map[string]any{"alerts": as, "more": more}
	if more && len(as) > 0 {
		out["next"] = alertCursor(as[len(as)-1])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request) error {
	a, err := s.opts.Alerts.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	auditAlertReads(r, []alert.Alert{*a})
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) moveAlert(move func(context.Context, *identity.Principal, string) (*alert.Alert, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := move(r.Context(), principal(r), r.PathValue("id"))
		if err != nil {
			return err
		}
		noteAudit(r, fmt.Sprintf("alert %s is %s", a.ID, a.Status))
		writeJSON(w, http.StatusOK, a)
		return nil
	}
}

func (s *Server) listClaims(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).Can(identity.PermRead) {
		return errs.E(errs.Forbidden, "listing service claims needs a reader, analyst or admin key")
	}
	cs, err := s.opts.Alerts.Claims(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"claims": cs})
	return nil
}

func (s *Server) putClaim(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Org string `json:"org"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Org == "" {
		return errs.E(errs.Invalid, "org: name the organization that holds the service's deposits")
	}
	c, err := s.opts.Alerts.ClaimService(r.Context(), principal(r), req.Org, r.PathValue("label"))
	if err != nil {
		return err
	}
	noteAudit(r, fmt.Sprintf("service label %q claimed by %s", c.Label, c.OrgID))
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteClaim(w http.ResponseWriter, r *http.Request) error {
	label := r.PathValue("label")
	if err := s.opts.Alerts.Unclaim(r.Context(), principal(r), label); err != nil {
		return err
	}
	noteAudit(r, fmt.Sprintf("service label %q unclaimed", label))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// alertsFromTrace traces a theft forward and raises one deposit alert to
// each organization that claims a service its cash-out deposits reach.
func (s *Server) alertsFromTrace(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		From      []string `json:"from"`
		Model     string   `json:"model"`
		MaxHops   int      `json:"max_hops"`
		MinSats   uint64   `json:"min_sats"`
		MaxResult int      `json:"max_results"`
		Sources   []string `json:"sources"`
		Marking   string   `json:"marking"`
		Note      string   `json:"note"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	for i, f := range req.From {
		if len(f) > 300 {
			return errs.E(errs.Invalid, "from[%d]: longer than 300 characters", i)
		}
	}
	p := principal(r)
	if !p.Can(identity.PermWrite) || !p.Can(identity.PermTrace) {
		return errs.E(errs.Forbidden, "raising alerts from a trace needs an analyst or admin key")
	}
	if len(req.Sources) == 0 {
		return errs.E(errs.Invalid, "sources: name the STIX ids the alerts derive from (e.g. the indicator of the theft)")
	}
	en, rd, err := s.analysis(r)
	if err != nil {
		return err
	}
	v, err := en.Trace(r.Context(), analysis.TraceRequest{From: req.From, Model: req.Model, MaxHops: req.MaxHops, MinSats: req.MinSats, MaxEdges: 1, MaxResults: req.MaxResult}, rd)
	if err != nil {
		return err
	}
	var deposits []alert.Subject
	for _, res := range v.Results {
		if res.Kind == "cashout" {
			deposits = append(deposits, alert.Subject{Chain: "btc", Address: res.Address, Sats: res.Sats, Txid: res.Txid, Vout: res.Vout, Service: res.Service, Hops: res.Hops})
		}
	}
	out, err := s.opts.Alerts.RaiseDeposits(r.Context(), p, req.Sources, req.Marking, req.Note, deposits)
	if err != nil {
		return err
	}
	for _, a := range out.Alerts {
		noteAudit(r, fmt.Sprintf("raised deposit alert %s to %s: %d deposits", a.ID, a.ToName, len(a.Subjects)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": v.Model, "totals": v.Totals, "deposits": len(deposits), "truncated": v.Truncated,
		"alerts": out.Alerts, "skipped": out.Skipped, "unclaimed": out.Unclaimed})
	return nil
}

// auditAlertReads notes the alerts above CLEAR that an answer returned.
func auditAlertReads(r *http.Request, as []alert.Alert) {
	var ids []string
	for i := range as {
		if as[i].Level() != sharing.Clear {
			ids = append(ids, as[i].ID)
		}
	}
	if len(ids) > 0 {
		noteAudit(r, "read alerts "+strings.Join(ids, " "))
	}
}
