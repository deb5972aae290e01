// Package screening answers "is this address listed, by whom, and why": one
// index over every watchlist source (OFAC, UN, law-enforcement and oracle
// lists) and the hub's own indicators that name wallet addresses. A hub hit
// inherits its indicator's marking and sharing, so a reader only gets the
// hits they may see.
//
// Words:
//   - Result: the answer for one address: whether it is a valid address of
//     some chain, whether it is listed, and every hit.
//   - Hit: one listing: the source, the list entry (uid, name, type,
//     programs), the listed value and currency, and the TLP of the listing
//     (public lists are CLEAR).
//   - Identification: a hit in the shape of the Chainalysis sanctions API.
package screening

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// Hit is one listing of an address.
type Hit struct {
	Source     string   `json:"source"`
	UID        string   `json:"uid,omitempty"`
	Name       string   `json:"name"`
	Type       string   `json:"type,omitempty"`
	Programs   []string `json:"programs,omitempty"`
	Currency   string   `json:"currency,omitempty"`
	Value      string   `json:"value"`
	TLP        string   `json:"tlp"`
	Collection string   `json:"collection,omitempty"` // hub hits: where the indicator is
	ObjectID   string   `json:"object_id,omitempty"`  // hub hits: the indicator
	Listed     string   `json:"listed,omitempty"`
	URL        string   `json:"url,omitempty"`
}

// Result is the answer for one address.
type Result struct {
	Address string          `json:"address"`
	Valid   bool            `json:"valid"`
	Chains  []address.Chain `json:"chains,omitempty"`
	Error   string          `json:"error,omitempty"` // why it is not a valid address (it is still looked up)
	Listed  bool            `json:"listed"`
	Hits    []Hit           `json:"hits"`
}

// hubIndicator is a wallet address named by an indicator on the hub.
type hubIndicator struct {
	collection string
	objectID   string
	name       string
	value      string
	labels     []string
	item       sharing.Item
}

// Screener keeps the index and refreshes it when a list or the hub changes.
type Screener struct {
	lists watchlist.Store
	hub   *taxii.Service // nil: watchlists only

	mu       sync.RWMutex
	idx      *watchlist.Index
	entries  []watchlist.Entry
	hubByKey map[string][]hubIndicator
	listVer  int64
	hubVer   int64
	checked  time.Time
	dirty    atomic.Bool
	refresh  sync.Mutex
}

// New returns a Screener over lists and, if hub is not nil, the hub's
// indicators.
func New(lists watchlist.Store, hub *taxii.Service) *Screener {
	s := &Screener{lists: lists, hub: hub, idx: watchlist.NewIndex(), hubByKey: map[string][]hubIndicator{}, listVer: -1, hubVer: -1}
	if hub != nil {
		hub.OnWrite(func() { s.dirty.Store(true) })
	}
	return s
}

// Refresh reloads whatever changed since the last load. It checks the store
// at most once per second (writes on this replica are seen at once), unless
// force is set.
func (s *Screener) Refresh(ctx context.Context, force bool) error {
	if !force && !s.dirty.Load() {
		s.refresh.Lock()
		recent := time.Since(s.checked) < time.Second
		s.refresh.Unlock()
		if recent {
			return nil
		}
	}
	s.refresh.Lock()
	defer s.refresh.Unlock()
	s.dirty.Store(false)
	s.checked = time.Now()
	lv, err := s.lists.WatchlistVersion(ctx)
	if err != nil {
		return err
	}
	if lv != s.listVer {
		entries, err := s.lists.AllEntries(ctx)
		if err != nil {
			return err
		}
		idx := watchlist.NewIndex(entries)
		s.mu.Lock()
		s.idx, s.entries, s.listVer = idx, entries, lv
		s.mu.Unlock()
	}
	if s.hub == nil {
		return nil
	}
	hv, err := s.hub.Store().ObjectsVersion(ctx)
	if err != nil {
		return err
	}
	if hv == s.hubVer {
		return nil
	}
	byKey, err := s.loadHub(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.hubByKey, s.hubVer = byKey, hv
	s.mu.Unlock()
	return nil
}

// walletTypes are the object types of STIX patterns that name wallets:
// STIX 2.1 defines none, so communities use these custom ones.
var walletTypes = map[string]bool{"cryptocurrency-wallet": true, "x-crypto-wallet": true, "crypto-wallet": true, "x-cryptocurrency-wallet": true}

// WalletAddresses returns the wallet addresses a STIX pattern compares with
// = or IN.
func WalletAddresses(pattern string) []string {
	p, err := stix.ParsePattern(pattern)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range p.Comparisons() {
		if c.Negated || !walletTypes[c.Path.ObjectType] {
			continue
		}
		prop := c.Path.String()
		if i := strings.IndexByte(prop, ':'); i >= 0 {
			prop = prop[i+1:]
		}
		if prop != "address" && prop != "value" {
			continue
		}
		switch v := c.Value.(type) {
		case string:
			if c.Operator == "=" {
				out = append(out, v)
			}
		case []any:
			if strings.EqualFold(c.Operator, "IN") {
				for _, x := range v {
					if s, ok := x.(string); ok {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}

func (s *Screener) loadHub(ctx context.Context) (map[string][]hubIndicator, error) {
	cols, err := s.hub.Store().ListCollections(ctx)
	if err != nil {
		return nil, err
	}
	defaults := map[string]sharing.Level{}
	for i := range cols {
		defaults[cols[i].ID] = cols[i].Default()
	}
	byKey := map[string][]hubIndicator{}
	add := func(o taxii.StoredObject, name, value string, labels []string) {
		h := hubIndicator{collection: o.CollectionID, objectID: o.ID, name: name, value: value, labels: labels,
			item: sharing.Item{Level: sharing.Effective(o.Level, defaults[o.CollectionID]), Owner: o.AddedByOrg, Group: o.Group, Recipients: o.Recipients}}
		k := address.Key(value)
		byKey[k] = append(byKey[k], h)
	}
	err = s.hub.Store().ScanLatest(ctx, "indicator", func(o taxii.StoredObject) error {
		var ind struct {
			Name    string   `json:"name"`
			Pattern string   `json:"pattern"`
			Type    string   `json:"pattern_type"`
			Revoked bool     `json:"revoked"`
			Labels  []string `json:"labels"`
		}
		if json.Unmarshal(o.Raw, &ind) != nil || ind.Type != "stix" || ind.Revoked {
			return nil
		}
		for _, v := range WalletAddresses(ind.Pattern) {
			add(o, ind.Name, v, ind.Labels)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Wallet observables (custom SCOs) name an address directly.
	for typ := range walletTypes {
		err = s.hub.Store().ScanLatest(ctx, typ, func(o taxii.StoredObject) error {
			var w struct {
				Address string `json:"address"`
				Value   string `json:"value"`
				Name    string `json:"name"`
			}
			if json.Unmarshal(o.Raw, &w) != nil {
				return nil
			}
			v := w.Address
			if v == "" {
				v = w.Value
			}
			if v != "" {
				name := w.Name
				if name == "" {
					name = "wallet observable " + o.ID
				}
				add(o, name, v, nil)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return byKey, err
}

// Reader is who screens, with the collections they may read.
type Reader struct {
	Principal *identity.Principal
	Sharing   sharing.Reader
	Readable  map[string]bool // collection ids
}

// ReaderFunc builds the Reader when a hub hit needs it: most addresses have
// none, and then screening costs no database query.
type ReaderFunc func() (*Reader, error)

// NewReader resolves what p may see of the hub.
func (s *Screener) NewReader(ctx context.Context, p *identity.Principal, groups []string) (*Reader, error) {
	r := &Reader{Principal: p, Readable: map[string]bool{}}
	if p == nil {
		r.Sharing.Anonymous = true
	} else {
		r.Sharing = sharing.Reader{OrgID: p.OrgID, UserID: p.UserID, Groups: map[string]bool{}}
		for _, g := range groups {
			r.Sharing.Groups[g] = true
		}
	}
	if s.hub != nil {
		views, err := s.hub.Collections(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			if v.CanRead {
				r.Readable[v.ID] = true
			}
		}
	}
	return r, nil
}

// Screen answers for each address.
func (s *Screener) Screen(ctx context.Context, r *Reader, addrs []string) []Result {
	res, _ := s.ScreenLazy(ctx, func() (*Reader, error) { return r, nil }, addrs)
	return res
}

// ScreenLazy is Screen with the reader built only if a hub hit needs it.
func (s *Screener) ScreenLazy(ctx context.Context, reader ReaderFunc, addrs []string) ([]Result, error) {
	var r *Reader
	s.mu.RLock()
	idx, byKey := s.idx, s.hubByKey
	s.mu.RUnlock()
	out := make([]Result, len(addrs))
	var buf []watchlist.Hit
	for i, a := range addrs {
		a = strings.TrimSpace(a)
		res := Result{Address: a, Hits: []Hit{}}
		if found := address.Detect(a); len(found) > 0 {
			res.Valid = true
			for _, f := range found {
				res.Chains = append(res.Chains, f.Chain)
			}
		} else if _, err := address.Parse(a, ""); err != nil {
			res.Error = strings.TrimPrefix(err.Error(), "address: ")
		}
		buf = idx.LookupAppend(buf[:0], a)
		for _, h := range buf {
			e := idx.Entry(h.Entry)
			url := e.URL
			if url == "" && (h.Source == watchlist.SourceOFACSDN || h.Source == watchlist.SourceOFACCSV) {
				url = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=" + h.UID
			}
			res.Hits = append(res.Hits, Hit{Source: string(h.Source), UID: h.UID, Name: h.Name, Type: h.Type, Programs: h.Programs,
				Currency: h.Currency, Value: h.Value, TLP: "clear", Listed: dateOf(e.Listed), URL: url})
		}
		for _, h := range byKey[address.Key(a)] {
			if r == nil {
				var err error
				if r, err = reader(); err != nil {
					return nil, err
				}
			}
			if r.Readable[h.collection] && sharing.CanRead(r.Sharing, h.item) {
				res.Hits = append(res.Hits, Hit{Source: "hub", Name: h.name, Value: h.value, TLP: h.item.Level.String(), Collection: h.collection, ObjectID: h.objectID})
			}
		}
		res.Listed = len(res.Hits) > 0
		out[i] = res
	}
	return out, nil
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// ScreenNames screens names of persons, entities and vessels.
func (s *Screener) ScreenNames(names []string, opts watchlist.NameOptions) [][]watchlist.NameHit {
	s.mu.RLock()
	idx := s.idx
	s.mu.RUnlock()
	out := make([][]watchlist.NameHit, len(names))
	for i, n := range names {
		out[i] = idx.ScreenName(n, opts)
		if out[i] == nil {
			out[i] = []watchlist.NameHit{}
		}
	}
	return out
}

// Identification is a hit as the Chainalysis sanctions API reports it.
type Identification struct {
	Category    string `json:"category"`
	Name        string `json:"name"`
	Description string `json:"description"`
	URL         string `json:"url"`
}

// Identifications renders a result in the Chainalysis sanctions API's shape.
func Identifications(res Result) []Identification {
	out := []Identification{}
	for _, h := range res.Hits {
		cat := "sanctions"
		label := strings.ToUpper(h.Source)
		switch h.Source {
		case string(watchlist.SourceOFACSDN), string(watchlist.SourceOFACCSV):
			label = "OFAC SDN"
		case string(watchlist.SourceUN):
			label = "UN SC"
		case string(watchlist.SourceOracle):
			label = "SANCTIONS ORACLE"
		case "hub":
			cat, label = "shared intelligence", "TLP:"+strings.ToUpper(h.TLP)
		default:
			cat = "law enforcement attribution"
		}
		name := strings.TrimSpace("SANCTIONS: " + label + " " + h.Name + " " + h.Listed)
		if cat != "sanctions" {
			name = strings.TrimSpace(strings.ToUpper(cat) + ": " + label + " " + h.Name)
		}
		desc := h.Name
		if len(h.Programs) > 0 {
			desc += " (" + strings.Join(h.Programs, ", ") + ")"
		}
		if h.Currency != "" {
			desc += "; listed " + h.Currency + " address " + h.Value
		}
		out = append(out, Identification{Category: cat, Name: name, Description: desc, URL: h.URL})
	}
	return out
}
