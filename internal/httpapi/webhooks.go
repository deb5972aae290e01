package httpapi

import (
	"fmt"
	"net/http"

	"github.com/trawlhq/trawl/internal/webhook"
)

// registerWebhooks mounts the webhook routes: an organization's admins
// register the endpoints that receive its alerts and new intelligence.
func (s *Server) registerWebhooks() {
	if s.opts.Webhooks == nil {
		return
	}
	s.Handle("POST /api/v1/webhooks", authed, s.createWebhook)
	s.Handle("GET /api/v1/webhooks", authed, s.listWebhooks)
	s.Handle("GET /api/v1/webhooks/{id}", authed, s.getWebhook)
	s.Handle("DELETE /api/v1/webhooks/{id}", authed, s.deleteWebhook)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhook.Registration
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	e, secret, err := s.opts.Webhooks.Register(r.Context(), principal(r), req)
	if err != nil {
		return err
	}
	noteAudit(r, fmt.Sprintf("registered webhook %s for %v", e.ID, e.Events)) // never the secret
	writeJSON(w, http.StatusCreated, map[string]any{
		"webhook": e,
		"secret":  secret,
		"note":    "the signing secret is shown only now: store it where your receiver verifies X-Trawl-Signature (HMAC-SHA256 of X-Trawl-Timestamp, '.', and the body)",
	})
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	eps, err := s.opts.Webhooks.List(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": eps})
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	e, ds, err := s.opts.Webhooks.Get(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": e, "deliveries": ds})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.opts.Webhooks.Delete(r.Context(), principal(r), id); err != nil {
		return err
	}
	noteAudit(r, "deleted webhook "+id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
