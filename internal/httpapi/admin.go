package httpapi

import (
	"net/http"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
)

func (s *Server) whoami(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	org, err := s.id.Store().OrgByID(r.Context(), p.OrgID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"principal": p, "org": org})
	return nil
}

// visibleOrg returns the org named in the path if the caller may see it.
// An org the caller may not see is reported missing, like one that is.
func (s *Server) visibleOrg(r *http.Request) (*identity.Org, error) {
	p := principal(r)
	name := r.PathValue("org")
	o, err := s.id.Store().OrgByName(r.Context(), name)
	if err != nil || (o.ID != p.OrgID && !p.Can(identity.PermManageHub)) {
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, err
		}
		return nil, errs.E(errs.NotFound, "no organization named %q", name)
	}
	return o, nil
}

// managedOrg is visibleOrg for callers who must also manage it.
func (s *Server) managedOrg(r *http.Request) (*identity.Org, error) {
	o, err := s.visibleOrg(r)
	if err != nil {
		return nil, err
	}
	if !principal(r).CanManageOrg(o.ID) {
		return nil, errs.E(errs.Forbidden, "managing users and keys of %s needs an admin key of that organization", o.Name)
	}
	return o, nil
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	orgs, err := s.id.Store().ListOrgs(r.Context())
	if err != nil {
		return err
	}
	out := []identity.Org{}
	for _, o := range orgs {
		if p.Can(identity.PermManageHub) || o.ID == p.OrgID {
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgs": out})
	return nil
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.visibleOrg(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, o)
	return nil
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).Can(identity.PermManageHub) {
		return errs.E(errs.Forbidden, "creating organizations needs an admin key of the hub's operator organization")
	}
	var req struct {
		Name     string `json:"name"`
		Title    string `json:"title"`
		Operator bool   `json:"operator"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	o, err := s.id.CreateOrg(r.Context(), req.Name, req.Title, req.Operator)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	o, err := s.managedOrg(r)
	if err != nil {
		return err
	}
	users, err := s.id.Store().ListUsers(r.Context(), o.ID)
	if err != nil {
		return err
	}
	if users == nil {
		users = []identity.User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	o, err := s.managedOrg(r)
	if err != nil {
		return err
	}
	var req struct {
		Email string        `json:"email"`
		Name  string        `json:"name"`
		Role  identity.Role `json:"role"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := s.id.CreateUser(r.Context(), o.Name, req.Email, req.Name, req.Role)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, u)
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	o, err := s.managedOrg(r)
	if err != nil {
		return err
	}
	keys, err := s.id.Store().ListKeys(r.Context(), o.ID)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []identity.Key{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys})
	return nil
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	o, err := s.managedOrg(r)
	if err != nil {
		return err
	}
	var req struct {
		Role      identity.Role `json:"role"`
		UserEmail string        `json:"user"`
		Name      string        `json:"name"`
		ExpiresIn string        `json:"expires_in"` // Go duration, e.g. "720h"
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var ttl time.Duration
	if req.ExpiresIn != "" {
		if ttl, err = time.ParseDuration(req.ExpiresIn); err != nil || ttl <= 0 {
			return errs.E(errs.Invalid, "expires_in: want a positive duration such as \"720h\", not %q", req.ExpiresIn)
		}
	}
	k, token, err := s.id.CreateKey(r.Context(), identity.KeyRequest{Org: o.Name, Role: req.Role, UserEmail: req.UserEmail, Name: req.Name, TTL: ttl})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{"key": k, "token": token})
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	id := r.PathValue("id")
	k, err := s.id.Store().KeyByID(r.Context(), id)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return err
	}
	if err != nil || (k.ID != p.KeyID && !p.CanManageOrg(k.OrgID)) {
		if err == nil && k.OrgID == p.OrgID {
			return errs.E(errs.Forbidden, "revoking another key of your organization needs an admin key")
		}
		return errs.E(errs.NotFound, "no key with id %q", id)
	}
	if err := s.id.RevokeKey(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
