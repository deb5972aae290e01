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
	"fmt"
	"sort"
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
// Screening reads it without locks: the lists' index is swapped whole, and
// the hub index changes one address at a time (see hubIndex).
type Screener struct {
	lists watchlist.Store
	hub   *taxii.Service // nil: watchlists only

	list    atomic.Pointer[listState]
	hubIdx  atomic.Pointer[hubIndex]
	checked atomic.Int64 // when the store was last asked, Unix ns
	dirty   atomic.Bool
	refresh sync.Mutex
}

// listState is one load of the watchlists.
type listState struct {
	idx *watchlist.Index
	ver int64
}

// New returns a Screener over lists and, if hub is not nil, the hub's
// indicators.
func New(lists watchlist.Store, hub *taxii.Service) *Screener {
	s := &Screener{lists: lists, hub: hub}
	s.list.Store(&listState{idx: watchlist.NewIndex(), ver: -1})
	s.hubIdx.Store(newHubIndex(-1))
	if hub != nil {
		hub.OnWrite(func() { s.dirty.Store(true) })
	}
	return s
}

// Refresh reloads whatever changed since the last load: a changed
// watchlist whole, the hub's objects by what changed since the last change
// counter value it saw. It checks the store at most once per second, unless
// force is set; writes on this replica are waited for and seen at once.
// A due check that another caller is making already is not waited for.
func (s *Screener) Refresh(ctx context.Context, force bool) error {
	if !force && !s.dirty.Load() {
		if time.Since(time.Unix(0, s.checked.Load())) < time.Second {
			return nil // no lock: this is every screening request's path
		}
		// Due for a check: one request makes it, the others do not wait
		// for it (the index they read is at most a check behind).
		if !s.refresh.TryLock() {
			return nil
		}
	} else {
		s.refresh.Lock()
	}
	defer s.refresh.Unlock()
	s.dirty.Store(false)
	s.checked.Store(time.Now().UnixNano())
	lv, err := s.lists.WatchlistVersion(ctx)
	if err != nil {
		return err
	}
	if lv != s.list.Load().ver {
		entries, err := s.lists.AllEntries(ctx)
		if err != nil {
			return err
		}
		// Only the index is kept: the decoded entries hold every date,
		// remark and alias as separate strings, more than twice the
		// index's memory, for the garbage collector to scan on every
		// cycle.
		s.list.Store(&listState{idx: watchlist.NewIndex(entries), ver: lv})
	}
	if s.hub == nil {
		return nil
	}
	h := s.hubIdx.Load()
	if h.ver < 0 || h.stale() {
		return s.rebuildHub(ctx)
	}
	return s.updateHub(ctx, h)
}

// RebuildHub reads the hub's indicators anew into a fresh index, as the
// first Refresh does.
func (s *Screener) RebuildHub(ctx context.Context) error {
	if s.hub == nil {
		return nil
	}
	s.refresh.Lock()
	defer s.refresh.Unlock()
	return s.rebuildHub(ctx)
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

// hubTypes are the object types the hub index reads.
func hubTypes() []string {
	ts := []string{"indicator"}
	for t := range walletTypes {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// walletsOf returns the wallet addresses an object names, with the name and
// labels its hits carry: an indicator's patterns, a wallet observable's
// address. Revoked indicators and non-STIX patterns name none.
func walletsOf(o *taxii.StoredObject) (name string, labels, values []string) {
	if o.Type == "indicator" {
		var ind struct {
			Name    string   `json:"name"`
			Pattern string   `json:"pattern"`
			Type    string   `json:"pattern_type"`
			Revoked bool     `json:"revoked"`
			Labels  []string `json:"labels"`
		}
		if json.Unmarshal(o.Raw, &ind) != nil || ind.Type != "stix" || ind.Revoked {
			return "", nil, nil
		}
		return ind.Name, ind.Labels, WalletAddresses(ind.Pattern)
	}
	if !walletTypes[o.Type] {
		return "", nil, nil
	}
	// Wallet observables (custom SCOs) name an address directly.
	var w struct {
		Address string `json:"address"`
		Value   string `json:"value"`
		Name    string `json:"name"`
	}
	if json.Unmarshal(o.Raw, &w) != nil {
		return "", nil, nil
	}
	v := w.Address
	if v == "" {
		v = w.Value
	}
	if v == "" {
		return "", nil, nil
	}
	name = w.Name
	if name == "" {
		name = "wallet observable " + o.ID
	}
	return name, nil, []string{v}
}

// rebuildHub builds the hub index from every latest object.
func (s *Screener) rebuildHub(ctx context.Context) error {
	st := s.hub.Store()
	// The counter first: what the scan reads is at least that new, and
	// whatever it reads that is newer is applied again, to the same effect,
	// by the next update.
	v, err := st.ObjectsVersion(ctx)
	if err != nil {
		return err
	}
	h := newHubIndex(v)
	h.building = true // not yet seen by readers: base is filled in place
	if err := h.loadDefaults(ctx, st); err != nil {
		return err
	}
	for _, typ := range hubTypes() {
		err := st.ScanLatest(ctx, typ, func(o taxii.StoredObject) error {
			def, err := h.defaultOf(ctx, st, o.CollectionID)
			if err != nil {
				return err
			}
			h.apply(objKey{o.CollectionID, o.ID}, &o, def)
			return nil
		})
		if err != nil {
			return err
		}
	}
	h.building = false
	s.hubIdx.Store(h)
	return nil
}

// updateHub applies the objects changed since h was last brought up to date.
func (s *Screener) updateHub(ctx context.Context, h *hubIndex) error {
	st := s.hub.Store()
	v, err := st.ObjectsVersion(ctx)
	if err != nil || v == h.ver {
		return err
	}
	v, err = st.ObjectChanges(ctx, h.ver, hubTypes(), func(coll, id string, latest *taxii.StoredObject) error {
		var def sharing.Level
		if latest != nil {
			var err error
			if def, err = h.defaultOf(ctx, st, coll); err != nil {
				return err
			}
		}
		h.apply(objKey{coll, id}, latest, def)
		return nil
	})
	if err != nil {
		return err
	}
	h.setVersion(v)
	return nil
}

// objKey names an object on the hub.
type objKey struct{ collection, id string }

// hubIndex maps address keys to the hub indicators that name them, in two
// layers: base, a plain map built by a full load and never changed after,
// and changed, the addresses whose hits changed since (a sync.Map; a
// deleted address holds an empty list). Readers look addresses up without
// locks; one writer at a time (the Screener's refresh lock) applies
// changes, each address's list of hits replaced whole, so that a reader
// sees a hit as it was before a change or after it, never a mix. A
// re-marked object's hits are replaced by the new ones in that one step.
// When changed grows to a quarter of base, the next refresh loads anew.
type hubIndex struct {
	base    map[string][]hubIndicator
	changed sync.Map // address key → []hubIndicator (never changed in place)
	nChg    atomic.Int64
	ver     int64 // the change counter value it is up to date with

	// The writer's own state.
	building bool                // base is being filled (by rebuildHub, before publication)
	byObj    map[objKey][]string // address keys each object contributes to
	defaults map[string]sharing.Level
	verMu    sync.Mutex
}

func newHubIndex(ver int64) *hubIndex {
	return &hubIndex{ver: ver, base: map[string][]hubIndicator{}, byObj: map[objKey][]string{}, defaults: map[string]sharing.Level{}}
}

func (h *hubIndex) setVersion(v int64) {
	h.verMu.Lock()
	h.ver = v
	h.verMu.Unlock()
}

func (h *hubIndex) version() int64 {
	h.verMu.Lock()
	defer h.verMu.Unlock()
	return h.ver
}

func (h *hubIndex) loadDefaults(ctx context.Context, st taxii.Store) error {
	cols, err := st.ListCollections(ctx)
	if err != nil {
		return err
	}
	for i := range cols {
		h.defaults[cols[i].ID] = cols[i].Default()
	}
	return nil
}

// defaultOf returns the default level of a collection, reading the
// collections again for one made since they were read. A collection still
// unknown gets no default (AMBER applies), never the zero level, CLEAR.
func (h *hubIndex) defaultOf(ctx context.Context, st taxii.Store, coll string) (sharing.Level, error) {
	if d, ok := h.defaults[coll]; ok {
		return d, nil
	}
	if err := h.loadDefaults(ctx, st); err != nil {
		return sharing.Unmarked, err
	}
	if d, ok := h.defaults[coll]; ok {
		return d, nil
	}
	return sharing.Unmarked, nil
}

func (h *hubIndex) lookup(key string) []hubIndicator {
	if h.nChg.Load() > 0 {
		if v, ok := h.changed.Load(key); ok {
			return v.([]hubIndicator)
		}
	}
	return h.base[key]
}

// each calls fn with every address key and its hits.
func (h *hubIndex) each(fn func(key string, hs []hubIndicator)) {
	h.changed.Range(func(k, v any) bool {
		if hs := v.([]hubIndicator); len(hs) > 0 {
			fn(k.(string), hs)
		}
		return true
	})
	for k, hs := range h.base {
		if _, ok := h.changed.Load(k); !ok {
			fn(k, hs)
		}
	}
}

// stale reports whether so much changed since the full load that loading
// anew is due (lookups of changed addresses cost more than of base ones).
func (h *hubIndex) stale() bool { return h.nChg.Load() > int64(len(h.base)/4+1000) }

// apply makes the index hold what latest names for object k (nothing, when
// latest is nil: the object is gone); def is its collection's default level.
func (h *hubIndex) apply(k objKey, latest *taxii.StoredObject, def sharing.Level) {
	var add map[string][]hubIndicator
	var keys []string
	if latest != nil {
		name, labels, values := walletsOf(latest)
		item := sharing.Item{Level: sharing.Effective(latest.Level, def), Owner: latest.AddedByOrg, Group: latest.Group, Recipients: latest.Recipients}
		for _, v := range values {
			ak := address.Key(v)
			if add == nil {
				add = map[string][]hubIndicator{}
			}
			if _, ok := add[ak]; !ok {
				keys = append(keys, ak)
			}
			add[ak] = append(add[ak], hubIndicator{collection: k.collection, objectID: k.id, name: name, value: v, labels: labels, item: item})
		}
	}
	old := h.byObj[k]
	if len(old) == 0 && len(keys) == 0 {
		return
	}
	touched := append(append([]string(nil), old...), keys...)
	done := map[string]bool{}
	for _, ak := range touched {
		if done[ak] {
			continue
		}
		done[ak] = true
		cur := h.lookup(ak)
		next := make([]hubIndicator, 0, len(cur)+len(add[ak]))
		for _, hi := range cur {
			if hi.collection != k.collection || hi.objectID != k.id {
				next = append(next, hi)
			}
		}
		next = append(next, add[ak]...)
		switch {
		case h.building && len(next) == 0:
			delete(h.base, ak)
		case h.building:
			h.base[ak] = next
		default:
			if _, ok := h.changed.Swap(ak, next); !ok {
				h.nChg.Add(1)
			}
		}
	}
	if len(keys) == 0 {
		delete(h.byObj, k)
	} else {
		h.byObj[k] = keys
	}
}

// HubEntries lists the hub index, one line per hit in a fixed order: the
// address key, where the indicator is, its name, value, labels and who may
// read it. For tests and diagnostics.
func (s *Screener) HubEntries() []string {
	var out []string
	s.hubIdx.Load().each(func(k string, hs []hubIndicator) {
		for _, h := range hs {
			out = append(out, fmt.Sprintf("%s %s/%s %q %q %v %v/%s/%s/%v", k, h.collection, h.objectID, h.name, h.value, h.labels,
				h.item.Level, h.item.Owner, h.item.Group, h.item.Recipients))
		}
	})
	sort.Strings(out)
	return out
}

// HubVersion is the hub change counter value the index is up to date with.
func (s *Screener) HubVersion() int64 { return s.hubIdx.Load().version() }

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
	return s.screen(reader, addrs, true)
}

// HitsLazy is ScreenLazy without telling the address's chain and format
// (Valid, Chains and Error stay empty): for answers that name only the
// listings, such as the Chainalysis-compatible one, which it spares the
// format parsers (an EIP-55 Keccak hash of every EVM address among them).
func (s *Screener) HitsLazy(ctx context.Context, reader ReaderFunc, addr string) (Result, error) {
	res, err := s.screen(reader, []string{addr}, false)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

func (s *Screener) screen(reader ReaderFunc, addrs []string, detect bool) ([]Result, error) {
	var r *Reader
	idx, hub := s.list.Load().idx, s.hubIdx.Load()
	out := make([]Result, len(addrs))
	var buf []watchlist.Hit
	for i, a := range addrs {
		a = strings.TrimSpace(a)
		res := Result{Address: a, Hits: []Hit{}}
		if detect {
			if found := address.Detect(a); len(found) > 0 {
				res.Valid = true
				for _, f := range found {
					res.Chains = append(res.Chains, f.Chain)
				}
			} else if _, err := address.Parse(a, ""); err != nil {
				res.Error = strings.TrimPrefix(err.Error(), "address: ")
			}
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
		for _, h := range hub.lookup(address.Key(a)) {
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
	idx := s.list.Load().idx
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
