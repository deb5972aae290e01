package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
)

// registerGroups adds the REST administration of sharing groups (hub
// admins) and of collections' group restrictions (the collection owner's
// admins, or hub admins): what `trawl admin group` and `trawl admin
// collection restrict` do locally. The groups are kept by the hub's store.
// Changes take effect on the next request on every replica: readers'
// groups are read afresh for every request.
func (s *Server) registerGroups() {
	if s.opts.TAXII == nil {
		return
	}
	if _, ok := s.opts.TAXII.Store().(sharing.GroupStore); !ok {
		return
	}
	s.Handle("GET /api/v1/groups", authed, s.listGroups)
	s.Handle("POST /api/v1/groups", authed, s.createGroup)
	s.Handle("GET /api/v1/groups/{group}", authed, s.getGroup)
	s.Handle("DELETE /api/v1/groups/{group}", authed, s.deleteGroup)
	s.Handle("PUT /api/v1/groups/{group}/members/{org}", authed, s.addGroupMember)
	s.Handle("DELETE /api/v1/groups/{group}/members/{org}", authed, s.removeGroupMember)
	s.Handle("PUT /api/v1/collections/{coll}/group", authed, s.restrictCollection)
	s.Handle("DELETE /api/v1/collections/{coll}/group", authed, s.restrictCollection)
}

func (s *Server) groupStore() sharing.GroupStore { return s.opts.TAXII.Store().(sharing.GroupStore) }

func hubAdmin(r *http.Request) error {
	if !principal(r).Can(identity.PermManageHub) {
		return errs.E(errs.Forbidden, "sharing groups are managed with an admin key of the hub's operator organization")
	}
	return nil
}

// groupJSON is a group with its members' names beside their ids.
type groupJSON struct {
	sharing.Group
	Owner       string   `json:"owner"`
	MemberNames []string `json:"member_names"`
}

// writeGroup answers with g as groupJSON.
func (s *Server) writeGroup(w http.ResponseWriter, r *http.Request, status int, g *sharing.Group) error {
	out, err := s.groupOut(r, g)
	if err != nil {
		return err
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) groupOut(r *http.Request, g *sharing.Group) (groupJSON, error) {
	out := groupJSON{Group: *g, MemberNames: []string{}}
	if out.Members == nil {
		out.Members = []string{}
	}
	name := func(id string) (string, error) {
		o, err := s.id.Store().OrgByID(r.Context(), id)
		if err != nil {
			return "", err
		}
		return o.Name, nil
	}
	var err error
	if out.Owner, err = name(g.OwnerOrgID); err != nil {
		return out, err
	}
	for _, m := range g.Members {
		n, err := name(m)
		if err != nil {
			return out, err
		}
		out.MemberNames = append(out.MemberNames, n)
	}
	return out, nil
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	if err := hubAdmin(r); err != nil {
		return err
	}
	gs, err := s.groupStore().ListGroups(r.Context())
	if err != nil {
		return err
	}
	out := make([]groupJSON, 0, len(gs))
	for i := range gs {
		g, err := s.groupOut(r, &gs[i])
		if err != nil {
			return err
		}
		out = append(out, g)
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": out})
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	if err := hubAdmin(r); err != nil {
		return err
	}
	g, err := s.groupStore().Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, g)
}

// orgNamed resolves an organization name from a request; field names it
// in the error.
func (s *Server) orgNamed(r *http.Request, field, name string) (*identity.Org, error) {
	o, err := s.id.Store().OrgByName(r.Context(), name)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.NotFound, "%s: no organization named %q", field, name)
	}
	return o, err
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	if err := hubAdmin(r); err != nil {
		return err
	}
	var req struct {
		Name    string   `json:"name"`
		Org     string   `json:"org"`
		Members []string `json:"members"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := sharing.ValidateGroupName(req.Name); err != nil {
		return err
	}
	if req.Org == "" {
		return errs.E(errs.Invalid, "org: the owning organization's name is required; it becomes a member")
	}
	if len(req.Members) > 1000 {
		return errs.E(errs.Invalid, "members: at most 1000 organizations")
	}
	owner, err := s.orgNamed(r, "org", req.Org)
	if err != nil {
		return err
	}
	g := &sharing.Group{ID: identity.NewID("grp"), Name: req.Name, OwnerOrgID: owner.ID, CreatedAt: s.opts.Now().UTC().Truncate(time.Microsecond), Members: []string{owner.ID}}
	for _, m := range req.Members {
		o, err := s.orgNamed(r, "members", m)
		if err != nil {
			return err
		}
		g.Members = append(g.Members, o.ID)
	}
	if err := s.groupStore().CreateGroup(r.Context(), g); err != nil {
		return err
	}
	g, err = s.groupStore().Group(r.Context(), g.ID)
	if err != nil {
		return err
	}
	noteAudit(r, "sharing group create "+g.Name+" ("+g.ID+") members "+strings.Join(g.Members, ","))
	return s.writeGroup(w, r, http.StatusCreated, g)
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) error {
	if err := hubAdmin(r); err != nil {
		return err
	}
	g, err := s.groupStore().Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	if err := s.groupStore().DeleteGroup(r.Context(), g.ID); err != nil {
		return err
	}
	noteAudit(r, "sharing group delete "+g.Name+" ("+g.ID+")")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addGroupMember(w http.ResponseWriter, r *http.Request) error {
	return s.changeMember(w, r, true)
}

func (s *Server) removeGroupMember(w http.ResponseWriter, r *http.Request) error {
	return s.changeMember(w, r, false)
}

func (s *Server) changeMember(w http.ResponseWriter, r *http.Request, add bool) error {
	if err := hubAdmin(r); err != nil {
		return err
	}
	gst := s.groupStore()
	g, err := gst.Group(r.Context(), r.PathValue("group"))
	if err != nil {
		return err
	}
	o, err := s.orgNamed(r, "org", r.PathValue("org"))
	if err != nil {
		return err
	}
	verb := "add"
	if add {
		err = gst.AddMember(r.Context(), g.ID, o.ID)
	} else {
		verb = "remove"
		err = gst.RemoveMember(r.Context(), g.ID, o.ID)
	}
	if err != nil {
		return err
	}
	noteAudit(r, "sharing group "+g.Name+" ("+g.ID+") "+verb+" member "+o.Name+" ("+o.ID+")")
	if g, err = gst.Group(r.Context(), g.ID); err != nil {
		return err
	}
	return s.writeGroup(w, r, http.StatusOK, g)
}

// restrictCollection restricts a collection to a sharing group (PUT with
// {"group": NAME}) or lifts the restriction (DELETE).
func (s *Server) restrictCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownedCollection(r, "restricting a collection")
	if err != nil {
		return err
	}
	group := ""
	if r.Method == http.MethodPut {
		var req struct {
			Group string `json:"group"`
		}
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		if req.Group == "" {
			return errs.E(errs.Invalid, "group: name the sharing group (DELETE lifts the restriction)")
		}
		g, err := s.groupStore().Group(r.Context(), req.Group)
		if err != nil {
			return err
		}
		group = g.ID
	}
	if err := s.opts.TAXII.Restrict(r.Context(), c.ID, group); err != nil {
		return err
	}
	if group == "" {
		noteAudit(r, "collection "+c.ID+" restriction lifted")
	} else {
		noteAudit(r, "collection "+c.ID+" restricted to sharing group "+group)
	}
	writeJSON(w, http.StatusOK, map[string]string{"collection_id": c.ID, "share_group": group})
	return nil
}
