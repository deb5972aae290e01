package httpapi

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/trace"
)

// AnalysisFunc returns the chain analysis, or nil while it is being built.
type AnalysisFunc func() *analysis.Engine

// MaxExposureBatch is how many addresses of one screening call get an
// exposure block (exposure walks the chain; listing lookups do not).
const MaxExposureBatch = 100

func (s *Server) registerAnalysis() {
	if s.opts.Analysis == nil {
		return
	}
	s.Handle("POST /api/v1/btc/trace", authed, s.traceHandler)
	s.Handle("GET /api/v1/btc/cluster/{id}", authed, s.clusterHandler)
	s.Handle("GET /api/v1/btc/path", authed, s.pathHandler)
	s.Handle("GET /api/v1/btc/exposure/{address}", authed, s.exposureHandler)
	s.Handle("GET /api/v1/btc/analysis", authed, func(w http.ResponseWriter, r *http.Request) error {
		en, _, err := s.analysis(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, en.Stats())
		return nil
	})
}

// analysis returns the engine and the caller's reader of listings.
func (s *Server) analysis(r *http.Request) (*analysis.Engine, *screening.Reader, error) {
	p := principal(r)
	if !p.Can(identity.PermRead) {
		return nil, nil, errs.E(errs.Forbidden, "chain analysis needs a reader, analyst or admin key")
	}
	en := s.opts.Analysis()
	if en == nil {
		return nil, nil, errs.E(errs.Unavailable, "the chain analysis is being built; try again in a minute")
	}
	var rd *screening.Reader
	if s.opts.Screener != nil {
		mk, err := s.screenReader(r)
		if err != nil {
			return nil, nil, err
		}
		if rd, err = mk(); err != nil {
			return nil, nil, err
		}
	}
	return en, rd, nil
}

func (s *Server) traceHandler(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		From      []string `json:"from"`
		Model     string   `json:"model"`
		Direction string   `json:"direction"`
		MaxHops   int      `json:"max_hops"`
		MinSats   uint64   `json:"min_sats"`
		MaxEdges  int      `json:"max_edges"`
		MaxResult int      `json:"max_results"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	switch format {
	case "", "json", "csv", "dot":
	default:
		return errs.E(errs.Invalid, "format %q: use json, csv or dot", format)
	}
	for i, f := range req.From {
		if len(f) > 300 {
			return errs.E(errs.Invalid, "from[%d]: longer than 300 characters", i)
		}
	}
	if req.MaxEdges < 0 || req.MaxEdges > 5000 {
		return errs.E(errs.Invalid, "max_edges: want 0 to 5000")
	}
	en, rd, err := s.analysis(r)
	if err != nil {
		return err
	}
	v, err := en.Trace(r.Context(), analysis.TraceRequest{From: req.From, Model: req.Model, Direction: req.Direction, MaxHops: req.MaxHops, MinSats: req.MinSats, MaxEdges: req.MaxEdges, MaxResults: req.MaxResult}, rd)
	if err != nil {
		return err
	}
	switch format {
	case "csv":
		var b bytes.Buffer
		if err := trace.WriteCSV(&b, v); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="trace.csv"`)
		w.Write(b.Bytes())
		return nil
	case "dot":
		var b bytes.Buffer
		if err := trace.WriteDOT(&b, v); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="trace.dot"`)
		w.Write(b.Bytes())
		return nil
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) clusterHandler(w http.ResponseWriter, r *http.Request) error {
	en, rd, err := s.analysis(r)
	if err != nil {
		return err
	}
	arg := strings.TrimPrefix(r.PathValue("id"), "cluster:")
	var id uint32
	if n, perr := strconv.ParseUint(arg, 10, 32); perr == nil {
		id = uint32(n)
	} else {
		if len(arg) > 200 {
			return errs.E(errs.Invalid, "want a cluster number or an address")
		}
		if id, err = en.ClusterOf(arg); err != nil {
			return err
		}
	}
	v, err := en.Cluster(id, rd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) pathHandler(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if from == "" || to == "" || len(from) > 300 || len(to) > 300 {
		return errs.E(errs.Invalid, "from and to are required: a txid, txid:vout, address or cluster:N, and an address or cluster:N")
	}
	depth := 7
	if v := q.Get("max_depth"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 12 {
			return errs.E(errs.Invalid, "max_depth: want 1 to 12")
		}
		depth = n
	}
	en, rd, err := s.analysis(r)
	if err != nil {
		return err
	}
	v, err := en.Paths(r.Context(), from, to, depth, rd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) exposureHandler(w http.ResponseWriter, r *http.Request) error {
	a := r.PathValue("address")
	if len(a) > 200 {
		return errs.E(errs.Invalid, "address longer than 200 characters")
	}
	en, rd, err := s.analysis(r)
	if err != nil {
		return err
	}
	ex, err := en.Exposure(r.Context(), a, rd)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ex)
	return nil
}

// exposures computes the exposure block of the first MaxExposureBatch
// screening results that are addresses on the analysed chain; others get
// none.
func (s *Server) exposures(r *http.Request, res []screening.Result, reader screening.ReaderFunc) ([]*analysis.Exposure, error) {
	if s.opts.Analysis == nil {
		return nil, nil
	}
	en := s.opts.Analysis()
	if en == nil {
		return nil, nil
	}
	var rd *screening.Reader
	out := make([]*analysis.Exposure, len(res))
	n := 0
	for i := range res {
		if !res[i].Valid || n >= MaxExposureBatch {
			continue
		}
		n++
		if rd == nil {
			var err error
			if rd, err = reader(); err != nil {
				return nil, err
			}
		}
		ex, err := en.Exposure(r.Context(), res[i].Address, rd)
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Invalid) {
			continue // not a Bitcoin address of the chain, or never seen on it
		}
		if err != nil {
			return nil, err
		}
		out[i] = ex
	}
	return out, nil
}
