package watchlist

import (
	"hash/maphash"
	"strings"
	"sync"

	"github.com/trawlhq/trawl/internal/address"
)

// Index answers "is this address listed, by whom" for the entries added to
// it. It copies what a hit needs into compact storage and keeps no
// reference to the entries given, so that ten million listed addresses fit
// in well under 2 GB.
//
// Lookup and ScreenName may run concurrently with each other, not with Add.
type Index struct {
	seed    maphash.Seed
	strs    arena
	entries []entryRec
	addrs   []addrRec
	slots   []uint64 // open addressing: hash<<32 | addrs index+1; 0 is empty
	aliases []string // the aliases of all entries, in runs
	weak    []bool   // parallel to aliases

	sources, types, currencies interner
	programs                   map[string]uint32
	programSets                [][]string

	nameMu sync.Mutex
	names  *nameIndex // built on the first ScreenName after an Add
}

type entryRec struct {
	uid, name  string
	aliasStart uint32
	aliasN     uint32
	source     uint16
	typ        uint16
	programs   uint32
}

// addrRec is one key under which an address is found: its own key, or the
// key of one of its aliases.
type addrRec struct {
	key, value string
	entry      uint32
	currency   uint16
	alias      bool
	invalid    bool // the listed value failed validation (ListedAddress.Invalid)
}

// Hit is one listed address that a lookup found. All strings are shared
// with the index; a Hit costs no allocation.
type Hit struct {
	Entry    int      `json:"-"` // the entry's position in the index, for Index.Entry
	Source   Source   `json:"source"`
	UID      string   `json:"uid"`
	Name     string   `json:"name"`
	Type     string   `json:"type,omitempty"`
	Programs []string `json:"programs,omitempty"`
	Currency string   `json:"currency,omitempty"`
	Value    string   `json:"value"`           // as listed
	Alias    bool     `json:"alias,omitempty"` // found through another notation of the listed value
}

// NewIndex builds an index of the given lists.
func NewIndex(lists ...[]Entry) *Index {
	ix := &Index{seed: maphash.MakeSeed(), programs: map[string]uint32{}}
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	ix.entries = make([]entryRec, 0, n)
	for _, l := range lists {
		ix.Add(l...)
	}
	return ix
}

// Len returns the number of entries in the index.
func (ix *Index) Len() int { return len(ix.entries) }

// Add adds entries. An address listed by several entries (or twice by one)
// yields one hit per listing.
func (ix *Index) Add(es ...Entry) {
	ix.nameMu.Lock()
	ix.names = nil
	ix.nameMu.Unlock()
	for i := range es {
		e := &es[i]
		id := uint32(len(ix.entries))
		rec := entryRec{
			uid:        ix.strs.add(e.UID),
			name:       ix.strs.add(e.Name),
			aliasStart: uint32(len(ix.aliases)),
			source:     ix.sources.id(string(e.Source)),
			typ:        ix.types.id(e.Type),
			programs:   ix.programSet(e.Programs),
		}
		for _, a := range e.Aliases {
			ix.aliases = append(ix.aliases, ix.strs.add(a))
			ix.weak = append(ix.weak, false)
		}
		for _, a := range e.WeakAliases {
			ix.aliases = append(ix.aliases, ix.strs.add(a))
			ix.weak = append(ix.weak, true)
		}
		rec.aliasN = uint32(len(ix.aliases)) - rec.aliasStart
		ix.entries = append(ix.entries, rec)
		for _, la := range e.Addresses {
			key := la.Key
			if key == "" {
				key = address.Key(la.Value)
			}
			if key == "" {
				continue
			}
			cur := ix.currencies.id(la.Currency)
			k := ix.strs.add(key)
			v := k
			if la.Value != key {
				v = ix.strs.add(la.Value)
			}
			ix.insert(addrRec{key: k, value: v, entry: id, currency: cur, invalid: la.Invalid != ""})
			for _, ak := range la.AliasKeys {
				ix.insert(addrRec{key: ix.strs.add(ak), value: v, entry: id, currency: cur, alias: true})
			}
		}
	}
}

func (ix *Index) programSet(ps []string) uint32 {
	if len(ps) == 0 {
		return 0
	}
	k := strings.Join(ps, "\x00")
	if id, ok := ix.programs[k]; ok {
		return id
	}
	if len(ix.programSets) == 0 {
		ix.programSets = append(ix.programSets, nil)
	}
	id := uint32(len(ix.programSets))
	ix.programSets = append(ix.programSets, append([]string(nil), ps...))
	ix.programs[k] = id
	return id
}

func (ix *Index) hash(key string) uint32 {
	h := maphash.String(ix.seed, key)
	return uint32(h ^ h>>32)
}

func (ix *Index) insert(a addrRec) {
	if (len(ix.addrs)+1)*4 > len(ix.slots)*3 {
		ix.grow()
	}
	ix.addrs = append(ix.addrs, a)
	ix.place(uint64(ix.hash(a.key))<<32 | uint64(len(ix.addrs)))
}

func (ix *Index) place(slot uint64) {
	mask := uint32(len(ix.slots) - 1)
	for i := uint32(slot>>32) & mask; ; i = (i + 1) & mask {
		if ix.slots[i] == 0 {
			ix.slots[i] = slot
			return
		}
	}
}

// grow doubles the table; slots keep their hash, so no key is rehashed.
func (ix *Index) grow() {
	old := ix.slots
	ix.slots = make([]uint64, max(1024, 2*len(old)))
	for _, s := range old {
		if s != 0 {
			ix.place(s)
		}
	}
}

// Lookup returns every listing of addr: the key of addr (see address.Key)
// is compared with the key of each listed value and of its aliases. It
// returns nil when addr is not listed.
func (ix *Index) Lookup(addr string) []Hit {
	return ix.LookupAppend(nil, addr)
}

// LookupAppend is Lookup appending to dst; with a dst of enough capacity it
// does not allocate (address.Key allocates only for a mixed-case EVM or an
// upper-case bech32 input).
func (ix *Index) LookupAppend(dst []Hit, addr string) []Hit {
	if len(ix.slots) == 0 {
		return dst
	}
	key := address.Key(addr)
	h := ix.hash(key)
	mask := uint32(len(ix.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := ix.slots[i]
		if s == 0 {
			return dst
		}
		if uint32(s>>32) != h {
			continue
		}
		a := &ix.addrs[uint32(s)-1]
		if a.key == key {
			dst = append(dst, ix.hit(a))
		}
	}
}

// EachValid calls fn with each valid listed address (not its aliases), in
// the order the entries and their addresses were added, as a Hit. It lets a
// caller walk every listing without keeping the entries the index was built
// from.
func (ix *Index) EachValid(fn func(Hit)) {
	for i := range ix.addrs {
		if a := &ix.addrs[i]; !a.alias && !a.invalid {
			fn(ix.hit(a))
		}
	}
}

// Listed reports whether addr is listed by any entry.
func (ix *Index) Listed(addr string) bool {
	var buf [1]Hit
	return len(ix.LookupAppend(buf[:0], addr)) > 0
}

func (ix *Index) hit(a *addrRec) Hit {
	e := &ix.entries[a.entry]
	return Hit{
		Entry:    int(a.entry),
		Source:   Source(ix.sources.names[e.source]),
		UID:      e.uid,
		Name:     e.name,
		Type:     ix.types.names[e.typ],
		Programs: ix.programSets0(e.programs),
		Currency: ix.currencies.names[a.currency],
		Value:    a.value,
		Alias:    a.alias,
	}
}

func (ix *Index) programSets0(id uint32) []string {
	if id == 0 {
		return nil
	}
	return ix.programSets[id]
}

// Entry returns what the index keeps of entry i (a Hit's Entry): no
// addresses, dates or remarks, which the caller's store has.
func (ix *Index) Entry(i int) Entry {
	e := &ix.entries[i]
	out := Entry{
		Source:   Source(ix.sources.names[e.source]),
		UID:      e.uid,
		Name:     e.name,
		Type:     ix.types.names[e.typ],
		Programs: ix.programSets0(e.programs),
	}
	for j := e.aliasStart; j < e.aliasStart+e.aliasN; j++ {
		if ix.weak[j] {
			out.WeakAliases = append(out.WeakAliases, ix.aliases[j])
		} else {
			out.Aliases = append(out.Aliases, ix.aliases[j])
		}
	}
	return out
}

// interner numbers the few distinct values of a field (sources, types,
// currencies) so that records hold two bytes instead of a string.
type interner struct {
	ids   map[string]uint16
	names []string
}

func (in *interner) id(s string) uint16 {
	if in.ids == nil {
		in.ids = map[string]uint16{"": 0}
		in.names = []string{""}
	}
	if id, ok := in.ids[s]; ok {
		return id
	}
	if len(in.names) == 1<<16 {
		return 0 // more distinct values than any list has; keep going unnamed
	}
	id := uint16(len(in.names))
	in.ids[s] = id
	in.names = append(in.names, s)
	return id
}

// arena stores strings back to back in large blocks, so that millions of
// short strings cost their bytes and a header, not an allocation each. A
// block is a strings.Builder that is never grown past its capacity: the
// strings handed out share its memory and stay valid as it fills.
type arena struct {
	cur *strings.Builder
}

const arenaBlock = 1 << 20

func (a *arena) add(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > arenaBlock/4 {
		return strings.Clone(s)
	}
	if a.cur == nil || a.cur.Len()+len(s) > a.cur.Cap() {
		a.cur = new(strings.Builder)
		a.cur.Grow(arenaBlock)
	}
	start := a.cur.Len()
	a.cur.WriteString(s)
	return a.cur.String()[start:]
}
