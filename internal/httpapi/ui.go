package httpapi

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/httpapi/webui"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/taxii"
)

// uiPrefix is where the web UI lives; "/" sends browsers there.
const uiPrefix = "/ui/"

// uiCSP allows the app its own scripts, styles and API only. Graph exports
// are drawn into data: and blob: URLs.
const uiCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// fallbackCSP is for the plain page that stands in for an unbuilt app: no
// scripts at all, and its own inline style.
const fallbackCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// registerUI adds the web UI, its session endpoints and the API calls that
// only the UI needed so far.
func (s *Server) registerUI() {
	s.Handle("POST "+sessionPath, public, s.signIn)
	s.Handle("GET "+sessionPath, public, s.currentSession)
	s.Handle("DELETE "+sessionPath, public, s.signOut)
	if s.opts.TAXII != nil {
		s.Handle("GET /api/v1/sightings/mine", authed, s.sightingsOfMine)
	}
	// The pages are not part of the API, so they stay out of s.routes (and
	// out of openapi.json).
	s.mux.Handle("GET /{$}", routeHandler{a: public, s: s, h: func(w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, uiPrefix, http.StatusFound)
		return nil
	}})
	s.mux.Handle("GET "+uiPrefix, routeHandler{a: public, s: s, h: s.uiPage})
}

// uiPage serves the app's files; any other address under /ui/ is a page of
// the app, which routes in the browser. Without a built app every address
// shows the fallback page.
func (s *Server) uiPage(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Security-Policy", uiCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	app, built := webui.App()
	if !built {
		h.Set("Content-Security-Policy", fallbackCSP)
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.Write(webui.Fallback())
		return nil
	}
	name := strings.TrimPrefix(path.Clean("/"+strings.TrimPrefix(r.URL.Path, uiPrefix)), "/")
	if name != "" && name != "index.html" {
		if st, err := fs.Stat(app, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") { // content-hashed names
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "no-cache")
			}
			http.ServeFileFS(w, r, app, name)
			return nil
		}
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			return errs.E(errs.NotFound, "no file %s in the web UI", r.URL.Path)
		}
	}
	index, err := fs.ReadFile(app, "index.html")
	if err != nil {
		return err
	}
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.Write(index)
	return nil
}

// maxMine bounds the sightings that one call of sightingsOfMine gathers.
const maxMine = 1000

// sightingsOfMine lists, over every collection the caller may read, the
// sightings of objects that the caller's organization shared: what partners
// reported back about its indicators.
func (s *Server) sightingsOfMine(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.Can(identity.PermRead) {
		return errs.E(errs.Forbidden, "reading sightings needs a reader, analyst or admin key")
	}
	views, err := s.opts.TAXII.Collections(r.Context(), p)
	if err != nil {
		return err
	}
	type mine struct {
		Collection string          `json:"collection"`
		Of         string          `json:"of"`
		Object     json.RawMessage `json:"object"`
	}
	out := []mine{}
	capped := false
	for _, v := range views {
		if !v.CanRead {
			continue
		}
		q := &taxii.Query{Limit: s.opts.TAXII.MaxPage(), Types: []string{"sighting"}}
		for !capped {
			pg, err := s.opts.TAXII.Objects(r.Context(), p, v.ID, q)
			if err != nil {
				return err
			}
			for _, o := range pg.Objects {
				if o.SightedOwner != p.OrgID {
					continue
				}
				var sg struct {
					Of string `json:"sighting_of_ref"`
				}
				json.Unmarshal(o.Raw, &sg)
				if len(out) == maxMine {
					capped = true
					break
				}
				out = append(out, mine{Collection: v.ID, Of: sg.Of, Object: o.Raw})
			}
			if !pg.More {
				break
			}
			q.Next = pg.Next
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sightings": out, "capped": capped})
	return nil
}
