package screening

import (
	"strconv"

	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// Listing categories, as exposure and risk name them.
const (
	CategorySanctioned = "sanctioned"          // OFAC, UN, the sanctions oracle
	CategoryListed     = "listed"              // other address lists (law enforcement)
	CategoryIntel      = "shared_intelligence" // indicators shared on the hub
)

// Listing is one listed address, for computations over many addresses
// (exposure): which list, under which category, and for hub indicators who
// may see it.
type Listing struct {
	Address  string
	Category string
	Name     string   // the entry or indicator name
	Labels   []string // programs (DPRK3) or indicator labels, for label: sources
	hub      *hubIndicator
}

// Listings returns every listed address, with a version that changes when
// they do (callers that map them keep the version to know when to again).
func (s *Screener) Listings() (version string, ls []Listing) {
	list, hub := s.list.Load(), s.hubIdx.Load()
	version = strconv.FormatInt(list.ver, 10) + "/" + strconv.FormatInt(hub.version(), 10)
	list.idx.EachValid(func(h watchlist.Hit) {
		cat := CategoryListed
		switch h.Source {
		case watchlist.SourceOFACSDN, watchlist.SourceOFACCSV, watchlist.SourceUN, watchlist.SourceOracle:
			cat = CategorySanctioned
		}
		ls = append(ls, Listing{Address: h.Value, Category: cat, Name: h.Name, Labels: h.Programs})
	})
	hub.each(func(_ string, hs []hubIndicator) {
		for i := range hs {
			h := &hs[i]
			ls = append(ls, Listing{Address: h.value, Category: CategoryIntel, Name: h.name, Labels: h.labels, hub: h})
		}
	})
	return version, ls
}

// Sees reports whether the reader may see listing l: list entries are
// public, hub indicators as their markings and the reader's collections
// allow.
func (r *Reader) Sees(l *Listing) bool {
	if l.hub == nil {
		return true
	}
	return r != nil && r.Readable[l.hub.collection] && sharing.CanRead(r.Sharing, l.hub.item)
}
