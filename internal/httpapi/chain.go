package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
)

// ChainQuery answers the chain-index questions of the REST API; cmd/ wires
// it to the Bitcoin index. what is "block", "tx", "address" or "outpoint";
// arg is a height or hash, a txid, an address, or "txid:vout". It returns a
// JSON-encodable answer, or an error with errs.NotFound or errs.Invalid.
type ChainQuery func(ctx context.Context, what, arg string, from, limit int) (any, error)

func (s *Server) registerChain() {
	if s.opts.Chain == nil {
		return
	}
	for _, what := range []string{"block", "tx", "address", "outpoint"} {
		s.Handle("GET /api/v1/btc/"+what+"/{arg}", authed, func(w http.ResponseWriter, r *http.Request) error {
			if !principal(r).Can(identity.PermRead) {
				return errs.E(errs.Forbidden, "reading the chain index needs a reader, analyst or admin key")
			}
			q := r.URL.Query()
			from, limit := 0, 100
			if v := q.Get("from"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					return errs.E(errs.Invalid, "from: want a transaction number ≥ 0")
				}
				from = n
			}
			if v := q.Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 1000 {
					return errs.E(errs.Invalid, "limit: want 1 to 1000")
				}
				limit = n
			}
			arg := r.PathValue("arg")
			if len(arg) > 200 {
				return errs.E(errs.Invalid, "argument longer than 200 characters")
			}
			v, err := s.opts.Chain(r.Context(), what, arg, from, limit)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, v)
			return nil
		})
	}
}
