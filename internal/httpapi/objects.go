package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/taxii"
)

// registerObjects adds the REST list, search and by-id reads of STIX
// objects, across the collections the caller may read.
func (s *Server) registerObjects() {
	if s.opts.TAXII == nil {
		return
	}
	s.Handle("GET /api/v1/objects", authed, s.searchObjects)
	s.Handle("GET /api/v1/objects/{id}", authed, s.getObject)
}

// objectJSON is one object as the REST API returns it.
type objectJSON struct {
	CollectionID string          `json:"collection_id"`
	DateAdded    string          `json:"date_added"`
	Object       json.RawMessage `json:"object"`
}

func objectOut(o *taxii.StoredObject) objectJSON {
	return objectJSON{CollectionID: o.CollectionID, DateAdded: taxii.FormatTime(o.DateAdded), Object: o.Raw}
}

var searchParams = map[string]bool{"type": true, "collection": true, "q": true, "org": true, "limit": true, "next": true}

func (s *Server) searchObjects(w http.ResponseWriter, r *http.Request) error {
	qv := r.URL.Query()
	for name, vals := range qv {
		if !searchParams[name] {
			return errs.E(errs.Invalid, "unknown query parameter %q; use type, collection, q, org, limit, next", name)
		}
		if len(vals) > 1 {
			return errs.E(errs.Invalid, "query parameter %s given %d times; give it once (types are comma-separated)", name, len(vals))
		}
	}
	req := taxii.SearchRequest{Collection: qv.Get("collection"), Text: qv.Get("q"), Next: qv.Get("next")}
	if t := qv.Get("type"); t != "" {
		req.Types = strings.Split(t, ",")
	}
	if l := qv.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > s.opts.TAXII.MaxPage() {
			return errs.E(errs.Invalid, "limit: want a number from 1 to %d, got %q", s.opts.TAXII.MaxPage(), l)
		}
		req.Limit = n
	}
	if org := qv.Get("org"); org != "" {
		o, err := s.id.Store().OrgByName(r.Context(), org)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Invalid, "org: no organization named %q", org)
		}
		if err != nil {
			return err
		}
		req.AddedBy = o.ID
	}
	pg, err := s.opts.TAXII.Search(r.Context(), principal(r), req)
	if err != nil {
		return err
	}
	auditReads(r, pg.Objects)
	out := struct {
		Total   int          `json:"total"`
		More    bool         `json:"more"`
		Next    string       `json:"next,omitempty"`
		Objects []objectJSON `json:"objects"`
	}{Total: pg.Total, More: pg.More, Next: pg.Next, Objects: make([]objectJSON, len(pg.Objects))}
	for i := range pg.Objects {
		out.Objects[i] = objectOut(&pg.Objects[i])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request) error {
	o, err := s.opts.TAXII.ObjectAnywhere(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	auditReads(r, []taxii.StoredObject{*o})
	writeJSON(w, http.StatusOK, objectOut(o))
	return nil
}
