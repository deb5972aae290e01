package httpapi

import (
	"net/http"
	"strings"
	"sync"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// MaxScreenBatch is the largest number of addresses one screening call takes.
const MaxScreenBatch = 10000

// screenReader checks the caller may screen and returns how to build its
// Reader, which is needed only when an address has hub hits.
func (s *Server) screenReader(r *http.Request) (screening.ReaderFunc, error) {
	p := principal(r)
	if !p.Can(identity.PermRead) {
		return nil, errs.E(errs.Forbidden, "screening needs a key with the reader, analyst or admin role")
	}
	if err := s.opts.Screener.Refresh(r.Context(), false); err != nil {
		return nil, err
	}
	return func() (*screening.Reader, error) {
		var groups []string
		if s.opts.Groups != nil {
			var err error
			if groups, err = s.opts.Groups(r.Context(), p.OrgID); err != nil {
				return nil, err
			}
		}
		return s.opts.Screener.NewReader(r.Context(), p, groups)
	}, nil
}

func (s *Server) screen(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Addresses []string `json:"addresses"`
		Names     []string `json:"names"`
		Threshold float64  `json:"threshold"`
		// Exposure adds each Bitcoin address's on-chain exposure (the first
		// MaxExposureBatch of them); default true.
		Exposure *bool `json:"exposure"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if len(req.Addresses) == 0 && len(req.Names) == 0 {
		return errs.E(errs.Invalid, "give \"addresses\" and/or \"names\" to screen")
	}
	if len(req.Addresses) > MaxScreenBatch {
		return errs.E(errs.TooLarge, "at most %d addresses per call, got %d", MaxScreenBatch, len(req.Addresses))
	}
	if len(req.Names) > 1000 {
		return errs.E(errs.TooLarge, "at most 1000 names per call, got %d", len(req.Names))
	}
	if req.Threshold < 0 || req.Threshold > 1 {
		return errs.E(errs.Invalid, "threshold: want a score between 0 and 1")
	}
	for i, a := range req.Addresses {
		if len(a) > 200 || strings.TrimSpace(a) == "" {
			return errs.E(errs.Invalid, "addresses[%d]: want a non-empty address of at most 200 characters", i)
		}
	}
	noteQuery(r)
	rd, err := s.screenReader(r)
	if err != nil {
		return err
	}
	out := map[string]any{}
	if len(req.Addresses) > 0 {
		res, err := s.opts.Screener.ScreenLazy(r.Context(), rd, req.Addresses)
		if err != nil {
			return err
		}
		out["results"] = res
		auditScreenReads(r, res)
		if req.Exposure == nil || *req.Exposure {
			exs, err := s.exposures(r, res, rd)
			if err != nil {
				return err
			}
			auditExposureReads(r, exs)
			if exs != nil {
				type withExposure struct {
					screening.Result
					Exposure *analysis.Exposure `json:"exposure,omitempty"`
				}
				rs := make([]withExposure, len(res))
				for i := range res {
					rs[i] = withExposure{res[i], exs[i]}
				}
				out["results"] = rs
			}
		}
	}
	if len(req.Names) > 0 {
		hits := s.opts.Screener.ScreenNames(req.Names, watchlist.NameOptions{Threshold: req.Threshold})
		names := make([]map[string]any, len(req.Names))
		for i, n := range req.Names {
			names[i] = map[string]any{"name": n, "hits": hits[i]}
		}
		out["names"] = names
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// chainalysisAddress answers like the Chainalysis free sanctions API, so that
// tools written for it work unchanged.
func (s *Server) chainalysisAddress(w http.ResponseWriter, r *http.Request) error {
	a := r.PathValue("address")
	if len(a) > 200 {
		return errs.E(errs.Invalid, "address longer than 200 characters")
	}
	rd, err := s.screenReader(r)
	if err != nil {
		return err
	}
	res, err := s.opts.Screener.HitsLazy(r.Context(), rd, a)
	if err != nil {
		return err
	}
	auditScreenReads(r, []screening.Result{res})
	bp := answerBufs.Get().(*[]byte)
	b := appendIdentifications((*bp)[:0], screening.Identifications(res))
	writeJSONBytes(w, http.StatusOK, b) // copies b out: a Writer must not keep it
	if cap(b) <= 64<<10 {
		*bp = b
		answerBufs.Put(bp)
	}
	return nil
}

// answerBufs are the buffers of the Chainalysis-compatible answers: a
// buffer on the stack escapes through the ResponseWriter, and this answer
// is the one screening integrations call per payment.
var answerBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// auditScreenReads notes the hub indicators above CLEAR that a screening
// answer names, as reads of them (and so the answer waits for its entry).
func auditScreenReads(r *http.Request, res []screening.Result) {
	var ids []string
	for i := range res {
		for _, h := range res[i].Hits {
			if h.ObjectID != "" && h.TLP != "clear" && h.TLP != "white" {
				ids = append(ids, h.ObjectID)
			}
		}
	}
	if len(ids) > 0 {
		noteAudit(r, "read "+strings.Join(ids, " "))
	}
}

// auditExposureReads notes the addresses whose exposure answer drew on
// intelligence shared on the hub.
func auditExposureReads(r *http.Request, exs []*analysis.Exposure) {
	var as []string
	for _, e := range exs {
		if e == nil {
			continue
		}
		for _, src := range e.Sources {
			if src.Category == screening.CategoryIntel {
				as = append(as, e.Address)
				break
			}
		}
	}
	if len(as) > 0 {
		noteAudit(r, "exposure from shared intelligence for "+strings.Join(as, " "))
	}
}
