package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/tags"
)

// MaxTagLookup is the largest number of addresses one GET /api/v1/tags takes.
const MaxTagLookup = 100

func (s *Server) registerTags() {
	if s.opts.Tags == nil {
		return
	}
	s.Handle("GET /api/v1/tags", authed, s.getTags)
	s.Handle("POST /api/v1/tags", authed, s.postTags)
}

// getTags answers the tags of one or more addresses (address=A&address=B),
// with their resolution as if the addresses were one cluster: tags are
// reference data, readable with any valid key.
func (s *Server) getTags(w http.ResponseWriter, r *http.Request) error {
	addrs := r.URL.Query()["address"]
	if len(addrs) == 0 {
		return errs.E(errs.Invalid, "give the address to look up: /api/v1/tags?address=A (repeatable)")
	}
	if len(addrs) > MaxTagLookup {
		return errs.E(errs.TooLarge, "at most %d addresses per call, got %d", MaxTagLookup, len(addrs))
	}
	for i, a := range addrs {
		if _, err := address.Parse(a, ""); err != nil {
			return errs.E(errs.Invalid, "address[%d]: %s", i, errs.MessageOf(err))
		}
	}
	ts, err := s.opts.Tags.TagsByAddress(r.Context(), addrs)
	if err != nil {
		return err
	}
	res := tags.Resolve(ts)
	if res.Tags == nil {
		res.Tags = []tags.Tag{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// postTags imports a TagPack or CSV body as a pack, replacing the pack's
// tags. It is the hub operator's: tags steer every member's tracing.
func (s *Server) postTags(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).Can(identity.PermManageHub) {
		return errs.E(errs.Forbidden, "importing tags needs an admin key of the hub's operator organization")
	}
	q := r.URL.Query()
	parse, err := tagFormat(q.Get("format"), r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	pack := q.Get("pack")
	if pack == "" {
		pack = q.Get("source")
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "request body is larger than the limit of %d bytes", mbe.Limit)
		}
		return errs.Wrap(errs.Invalid, err, "reading the request body")
	}
	ts, meta, err := parse(bytes.NewReader(data))
	if err != nil {
		return err
	}
	if pack == "" {
		pack = meta.Title
	}
	if pack == "" {
		return errs.E(errs.Invalid, "give the pack the tags are kept under: ?pack=NAME (a TagPack defaults to its title)")
	}
	sum := sha256.Sum256(data)
	rec, err := tags.Import(r.Context(), s.opts.Tags, pack, ts, meta, hex.EncodeToString(sum[:]), identity.NewID("timp"), s.opts.Now())
	if err != nil {
		return err
	}
	noteAudit(r, fmt.Sprintf("pack %q: %d tags, %d added, %d removed, %d changed", rec.Pack, rec.Tags, rec.Added, rec.Removed, rec.Changed))
	if q.Get("diff") != "true" {
		rec.Diff = tags.Diff{}
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

// tagFormat picks the parser by ?format=, else by the media type.
func tagFormat(format, contentType string) (func(io.Reader) ([]tags.Tag, tags.Meta, error), error) {
	switch strings.ToLower(format) {
	case "tagpack":
		return tags.ParseTagPack, nil
	case "csv":
		return tags.ParseCSV, nil
	case "":
	default:
		return nil, errs.E(errs.Invalid, "format %q: want tagpack or csv", format)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil:
	case mt == "text/csv":
		return tags.ParseCSV, nil
	case mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml" || mt == "text/x-yaml":
		return tags.ParseTagPack, nil
	}
	return nil, errs.E(errs.Unsupported, "send a TagPack as application/yaml or a CSV as text/csv (or say ?format=tagpack|csv), not %q", contentType)
}
