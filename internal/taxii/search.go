package taxii

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
)

// SearchRequest is a REST list or search of objects.
type SearchRequest struct {
	Collection string   // id or alias; "" for every collection the reader may read
	Types      []string // STIX types
	Text       string   // matched, case-insensitively, inside name, description, pattern, value, address
	AddedBy    string   // organization id
	Limit      int      // 1..MaxPage (0: MaxPage)
	Next       string   // token from the previous page
}

// SearchPage is one page of a search.
type SearchPage struct {
	Total   int // every object the search selects that the reader may see
	Objects []StoredObject
	More    bool
	Next    string
}

// MaxSearchText is the longest text a search takes.
const MaxSearchText = 200

// Search lists the latest versions of objects that p may see, across the
// collections p may read (or the one named), with the reader's redactions
// applied; Total counts only what p may see. A collection p may not see is
// reported missing.
func (s *Service) Search(ctx context.Context, p *identity.Principal, req SearchRequest) (*SearchPage, error) {
	st, ok := s.store.(Searcher)
	if !ok {
		return nil, errs.E(errs.Unsupported, "this store cannot search")
	}
	if p == nil {
		return nil, errs.E(errs.Unauthorized, "searching needs an API key")
	}
	if req.Limit < 0 || req.Limit > s.o.MaxPage {
		return nil, errs.E(errs.Invalid, "limit: want 1 to %d, got %d", s.o.MaxPage, req.Limit)
	}
	if req.Limit == 0 {
		req.Limit = s.o.MaxPage
	}
	if utf8.RuneCountInString(req.Text) > MaxSearchText || !utf8.ValidString(req.Text) {
		return nil, errs.E(errs.Invalid, "q: at most %d characters of UTF-8", MaxSearchText)
	}
	if len(req.Types) > maxListItems {
		return nil, errs.E(errs.Invalid, "type: at most %d types", maxListItems)
	}
	for _, t := range req.Types {
		if !typeRE.MatchString(t) {
			return nil, errs.E(errs.Invalid, "type: %q is not a STIX type name (e.g. indicator, report)", t)
		}
	}
	f := &Search{Types: req.Types, Text: strings.ToLower(strings.TrimSpace(req.Text)), AddedBy: req.AddedBy, Limit: req.Limit}
	defaults := map[string]sharing.Level{}
	if req.Collection != "" {
		c, err := s.readable(ctx, p, req.Collection)
		if err != nil {
			return nil, err
		}
		f.Collections, defaults[c.ID] = []string{c.ID}, c.Default()
	} else {
		cs, err := s.readableCollections(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			f.Collections, defaults[c.ID] = append(f.Collections, c.ID), c.Default()
		}
	}
	v, err := s.visibility(ctx, p, &Collection{})
	if err != nil {
		return nil, err
	}
	v.PerCollection = true
	// The token is bound to the reader and the filter.
	scope := "search\x00" + p.OrgID + "\x00" + p.KeyID + "\x00" + req.Collection + "\x00" + f.Text + "\x00" + f.AddedBy
	cq := &Query{Types: f.Types}
	var after int64
	if req.Next != "" {
		pos, err := s.cursors.Decode(req.Next, scope, cq)
		if err != nil {
			return nil, errs.E(errs.Invalid, "next: this token does not belong to this key and filter; start again without next")
		}
		after = pos.Seq
	}
	objs, more, err := st.SearchObjects(ctx, f, after, v)
	if err != nil {
		return nil, err
	}
	total, err := st.CountObjects(ctx, f, v)
	if err != nil {
		return nil, err
	}
	pg := &SearchPage{Total: total, More: more}
	if more && len(objs) > 0 {
		pg.Next = s.cursors.Encode(scope, cq, Position{Seq: objs[len(objs)-1].Seq})
	}
	for i := range objs {
		objs[i].CollectionDefault = defaults[objs[i].CollectionID]
	}
	if pg.Objects, err = s.redact(ctx, v, objs); err != nil {
		return nil, err
	}
	return pg, nil
}

// ObjectAnywhere returns the latest version of an object that p may see in
// any collection it may read: the REST by-id read. Hidden and missing
// objects give the same errs.NotFound.
func (s *Service) ObjectAnywhere(ctx context.Context, p *identity.Principal, id string) (*StoredObject, error) {
	missing := errs.E(errs.NotFound, "no object %q", id)
	if !ValidID(id) {
		return nil, missing
	}
	cs, err := s.readableCollections(ctx, p)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		pg, err := s.page(ctx, p, &cs[i], &Query{Limit: 1, IDs: []string{id}})
		if err != nil {
			return nil, err
		}
		if len(pg.Objects) > 0 {
			return &pg.Objects[0], nil
		}
	}
	return nil, missing
}

// readableCollections lists the collections p may read.
func (s *Service) readableCollections(ctx context.Context, p *identity.Principal) ([]Collection, error) {
	all, err := s.store.ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for i := range all {
		r, _, err := s.access(ctx, p, &all[i])
		if err != nil {
			return nil, err
		}
		if r {
			out = append(out, all[i])
		}
	}
	return out, nil
}
