package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/taxii"
)

// apiRoot is the one TAXII API root this hub serves.
const apiRoot = "/taxii2/hub/"

func (s *Server) registerTAXII() {
	if s.opts.TAXII == nil {
		return
	}
	// TAXII URLs end in '/'; {$} keeps a pattern from matching a subtree.
	route := func(method, path string, h handlerFunc) {
		s.Handle(method+" "+path+"{$}", public, h)
	}
	route("GET", "/taxii2/", s.taxiiDiscovery)
	route("GET", apiRoot, s.taxiiAPIRoot)
	route("GET", apiRoot+"status/{status}/", s.taxiiStatus)
	route("GET", apiRoot+"collections/", s.taxiiCollections)
	route("GET", apiRoot+"collections/{coll}/", s.taxiiCollection)
	route("GET", apiRoot+"collections/{coll}/objects/", s.taxiiObjects)
	route("POST", apiRoot+"collections/{coll}/objects/", s.taxiiAdd)
	route("GET", apiRoot+"collections/{coll}/objects/{obj}/", s.taxiiObject)
	route("DELETE", apiRoot+"collections/{coll}/objects/{obj}/", s.taxiiDelete)
	route("GET", apiRoot+"collections/{coll}/objects/{obj}/versions/", s.taxiiVersions)
	route("GET", apiRoot+"collections/{coll}/manifest/", s.taxiiManifest)
}

// isTAXII reports whether a request is answered in TAXII's formats.
func isTAXII(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/taxii2/") }

// writeTAXIIError answers with a TAXII 2.1 error message resource.
func writeTAXIIError(w http.ResponseWriter, status int, code errs.Code, message string) {
	w.Header().Set("Content-Type", taxii.MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{
		"title":       http.StatusText(status),
		"description": message,
		"error_code":  string(code),
		"http_status": strconv.Itoa(status),
	})
}

func writeTAXII(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", taxii.MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// acceptsTAXII checks the Accept header: absent, */*, application/* or the
// TAXII 2.1 media type (a version other than 2.1 is refused).
func acceptsTAXII(r *http.Request) error {
	h := r.Header.Get("Accept")
	if h == "" {
		return nil
	}
	for _, part := range strings.Split(h, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			return nil
		case "application/taxii+json":
			if v, ok := params["version"]; !ok || v == "2.1" {
				return nil
			}
		}
	}
	return errs.E(errs.NotAcceptable, "this server answers %s; the Accept header %q does not allow it", taxii.MediaTAXII, h)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) taxiiDiscovery(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	root := baseURL(r) + apiRoot
	writeTAXII(w, http.StatusOK, map[string]any{
		"title":       "trawl hub",
		"description": "Intelligence on state-sponsored crypto theft, shared under TLP 2.0.",
		"default":     root,
		"api_roots":   []string{root},
	})
	return nil
}

func (s *Server) taxiiAPIRoot(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, map[string]any{
		"title":              "trawl hub",
		"description":        "Collections of this hub; what each caller sees depends on its organization and the TLP of each object.",
		"versions":           []string{taxii.MediaTAXII},
		"max_content_length": s.opts.MaxBody,
	})
	return nil
}

func (s *Server) taxiiCollections(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	views, err := s.opts.TAXII.Collections(r.Context(), principal(r))
	if err != nil {
		return err
	}
	if len(views) == 0 {
		writeTAXII(w, http.StatusOK, map[string]any{})
		return nil
	}
	writeTAXII(w, http.StatusOK, map[string]any{"collections": views})
	return nil
}

func (s *Server) taxiiCollection(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	v, err := s.opts.TAXII.Collection(r.Context(), principal(r), r.PathValue("coll"))
	if err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, v)
	return nil
}

func (s *Server) query(r *http.Request, allowed ...string) (*taxii.Query, error) {
	return taxii.ParseQuery(r.URL.Query(), s.opts.TAXII.MaxPage(), allowed...)
}

var objectFilters = []string{"added_after", "limit", "next", "id", "type", "version", "spec_version"}

func setDateAddedHeaders(w http.ResponseWriter, objs []taxii.StoredObject) {
	if len(objs) > 0 {
		w.Header().Set("X-TAXII-Date-Added-First", taxii.FormatTime(objs[0].DateAdded))
		w.Header().Set("X-TAXII-Date-Added-Last", taxii.FormatTime(objs[len(objs)-1].DateAdded))
	}
}

// auditReads notes the ids of the non-CLEAR objects a read returned.
func auditReads(r *http.Request, objs []taxii.StoredObject) {
	var b strings.Builder // its String does not copy: a page's line is some 70 KB
	var t [32]byte
	for _, o := range objs {
		if o.Level != sharing.Clear {
			if b.Len() == 0 {
				b.Grow(5 + len(objs)*(len(o.ID)+26))
				b.WriteString("read")
			}
			b.WriteByte(' ')
			b.WriteString(o.ID)
			b.WriteByte('@')
			b.Write(taxii.AppendTime(t[:0], o.Version))
		}
	}
	if b.Len() > 0 {
		noteAudit(r, b.String())
	}
}

// envelopeOf writes a page as a TAXII envelope. The objects are written as
// stored: they were validated on the way in, and re-encoding a thousand
// objects per page would cost more than reading them.
func envelopeOf(w http.ResponseWriter, pg *taxii.Page) {
	setDateAddedHeaders(w, pg.Objects)
	if len(pg.Objects) == 0 {
		writeTAXII(w, http.StatusOK, map[string]any{})
		return
	}
	size := 64 + len(pg.Next)
	for _, o := range pg.Objects {
		size += len(o.Raw) + 1
	}
	bp := envelopeBufs.Get().(*[]byte)
	b := (*bp)[:0]
	if cap(b) < size {
		b = make([]byte, 0, size)
	}
	b = append(b, `{"more":`...)
	b = strconv.AppendBool(b, pg.More)
	if pg.Next != "" {
		b = append(b, `,"next":`...)
		b = strconv.AppendQuote(b, pg.Next)
	}
	b = append(b, `,"objects":[`...)
	for i, o := range pg.Objects {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o.Raw...)
	}
	b = append(b, "]}\n"...)
	w.Header().Set("Content-Type", taxii.MediaTAXII)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b) // copies b out: a Writer must not keep it
	if cap(b) <= maxPooledEnvelope {
		*bp = b
		envelopeBufs.Put(bp)
	}
}

// envelopeBufs are the buffers envelopeOf builds pages in: a page of 1,000
// objects is about a megabyte, which, allocated (and zeroed) for every page
// and then collected, cost a few percent of serving it. Buffers larger
// than maxPooledEnvelope are left to the collector.
var envelopeBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledEnvelope = 8 << 20

// collectionPage answers the page of a collection's objects that the
// request's filters select: the common part of objects and manifest.
func (s *Server) collectionPage(r *http.Request) (*taxii.Page, error) {
	if err := acceptsTAXII(r); err != nil {
		return nil, err
	}
	q, err := s.query(r, objectFilters...)
	if err != nil {
		return nil, err
	}
	return s.opts.TAXII.Objects(r.Context(), principal(r), r.PathValue("coll"), q)
}

func (s *Server) taxiiObjects(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.collectionPage(r)
	if err != nil {
		return err
	}
	auditReads(r, pg.Objects)
	envelopeOf(w, pg)
	return nil
}

func (s *Server) taxiiManifest(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.collectionPage(r)
	if err != nil {
		return err
	}
	auditReads(r, pg.Objects) // a manifest names non-CLEAR objects too
	setDateAddedHeaders(w, pg.Objects)
	if len(pg.Objects) == 0 {
		writeTAXII(w, http.StatusOK, map[string]any{})
		return nil
	}
	type record struct {
		ID        string `json:"id"`
		DateAdded string `json:"date_added"`
		Version   string `json:"version"`
		MediaType string `json:"media_type"`
	}
	recs := make([]record, len(pg.Objects))
	for i, o := range pg.Objects {
		recs[i] = record{ID: o.ID, DateAdded: taxii.FormatTime(o.DateAdded), Version: taxii.FormatTime(o.Version), MediaType: taxii.MediaSTIX}
	}
	out := map[string]any{"more": pg.More, "objects": recs}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	writeTAXII(w, http.StatusOK, out)
	return nil
}

func (s *Server) taxiiObject(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	q, err := s.query(r, "added_after", "limit", "next", "version", "spec_version")
	if err != nil {
		return err
	}
	pg, err := s.opts.TAXII.Object(r.Context(), principal(r), r.PathValue("coll"), r.PathValue("obj"), q)
	if err != nil {
		return err
	}
	auditReads(r, pg.Objects)
	envelopeOf(w, pg)
	return nil
}

func (s *Server) taxiiVersions(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	q, err := s.query(r, "added_after", "limit", "next", "spec_version")
	if err != nil {
		return err
	}
	q.Versions = taxii.VersionAll
	pg, err := s.opts.TAXII.Object(r.Context(), principal(r), r.PathValue("coll"), r.PathValue("obj"), q)
	if err != nil {
		return err
	}
	auditReads(r, pg.Objects)
	setDateAddedHeaders(w, pg.Objects)
	vs := make([]string, len(pg.Objects))
	for i, o := range pg.Objects {
		vs[i] = taxii.FormatTime(o.Version)
	}
	out := map[string]any{"more": pg.More, "versions": vs}
	if pg.Next != "" {
		out["next"] = pg.Next
	}
	writeTAXII(w, http.StatusOK, out)
	return nil
}

func (s *Server) taxiiDelete(w http.ResponseWriter, r *http.Request) error {
	if principal(r) == nil {
		return errs.E(errs.Unauthorized, "deleting needs an API key")
	}
	q, err := s.query(r, "version", "spec_version")
	if err != nil {
		return err
	}
	_, explicit := r.URL.Query()["match[version]"]
	if err := s.opts.TAXII.DeleteObject(r.Context(), principal(r), r.PathValue("coll"), r.PathValue("obj"), q, explicit); err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, map[string]any{})
	return nil
}

func (s *Server) taxiiAdd(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	p := principal(r)
	if p == nil {
		return errs.E(errs.Unauthorized, "adding objects needs an API key")
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/taxii+json" || (params["version"] != "" && params["version"] != "2.1") {
		return errs.E(errs.Unsupported, "send the envelope as %s", taxii.MediaTAXII)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "the envelope is larger than max_content_length (%d bytes); split it", mbe.Limit)
		}
		return errs.E(errs.Invalid, "reading the body: %v", err)
	}
	st, err := s.opts.TAXII.Add(r.Context(), p, r.PathValue("coll"), body)
	if err != nil {
		return err
	}
	writeTAXII(w, http.StatusAccepted, taxiiStatusJSON(st))
	return nil
}

func taxiiStatusJSON(st *taxii.Status) map[string]any {
	m := map[string]any{
		"id": st.ID, "status": st.Status, "request_timestamp": taxii.FormatTime(st.RequestTimestamp),
		"total_count": st.TotalCount, "success_count": st.SuccessCount, "failure_count": st.FailureCount, "pending_count": st.PendingCount,
	}
	if len(st.Successes) > 0 {
		m["successes"] = st.Successes
	}
	if len(st.Failures) > 0 {
		m["failures"] = st.Failures
	}
	if len(st.Pendings) > 0 {
		m["pendings"] = st.Pendings
	}
	return m
}

func (s *Server) taxiiStatus(w http.ResponseWriter, r *http.Request) error {
	if err := acceptsTAXII(r); err != nil {
		return err
	}
	st, err := s.opts.TAXII.Status(r.Context(), principal(r), r.PathValue("status"))
	if err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, taxiiStatusJSON(st))
	return nil
}

func (s *Server) sightings(w http.ResponseWriter, r *http.Request) error {
	of := r.URL.Query().Get("of")
	if of == "" {
		return errs.E(errs.Invalid, "give the sighted object's id: ?of=indicator--...")
	}
	sum, err := s.opts.TAXII.Sightings(r.Context(), principal(r), of)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// Collections administration over REST.

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) error {
	views, err := s.opts.TAXII.Collections(r.Context(), principal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": views})
	return nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	var req struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Alias       string `json:"alias"`
		Org         string `json:"org"`
		DefaultTLP  string `json:"default_tlp"`
		Public      bool   `json:"public"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	orgID := p.OrgID
	if req.Org != "" {
		o, err := s.id.Store().OrgByName(r.Context(), req.Org)
		if err != nil || (o.ID != p.OrgID && !p.Can(identity.PermManageHub)) {
			return errs.E(errs.NotFound, "no organization named %q", req.Org)
		}
		orgID = o.ID
	}
	if !p.CanManageOrg(orgID) {
		return errs.E(errs.Forbidden, "creating collections needs an admin key of the owning organization")
	}
	c, err := s.opts.TAXII.CreateCollection(r.Context(), orgID, req.Title, req.Description, req.Alias, req.DefaultTLP, req.Public)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// ownedCollection finds the request's collection for an administrative
// action (what names it): the owner's admins and hub admins may; others
// who can see it are refused, and those who cannot get 404 as if it were
// missing.
func (s *Server) ownedCollection(r *http.Request, action string) (*taxii.Collection, error) {
	p := principal(r)
	c, err := s.opts.TAXII.Store().Collection(r.Context(), r.PathValue("coll"))
	if err != nil {
		return nil, err
	}
	if !p.CanManageOrg(c.OwnerOrgID) {
		if v, _ := s.opts.TAXII.Collection(r.Context(), p, c.ID); v == nil {
			return nil, errs.E(errs.NotFound, "no collection %q", r.PathValue("coll"))
		}
		return nil, errs.E(errs.Forbidden, "%s needs an admin key of the collection's owner", action)
	}
	return c, nil
}

func (s *Server) grantCollection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ownedCollection(r, "granting access")
	if err != nil {
		return err
	}
	o, err := s.id.Store().OrgByName(r.Context(), r.PathValue("org"))
	if err != nil {
		return err
	}
	var req struct {
		Read  bool `json:"read"`
		Write bool `json:"write"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	g := taxii.Grant{CollectionID: c.ID, OrgID: o.ID, CanRead: req.Read, CanWrite: req.Write}
	if err := s.opts.TAXII.Grant(r.Context(), g); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}
