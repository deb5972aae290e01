package watchlist

import (
	"reflect"
	"sort"
)

// Diff is what changed between two imports of one source. Entries are
// matched by UID; an entry whose UID is in both but whose content differs
// is Changed (its new version). Addresses are matched by entry UID and key,
// so a listed value that only changes its letter case is no change of
// listing.
type Diff struct {
	Added            []Entry         `json:"added,omitempty"`
	Removed          []Entry         `json:"removed,omitempty"`
	Changed          []Entry         `json:"changed,omitempty"`
	AddressesAdded   []ListedAddress `json:"addresses_added,omitempty"`
	AddressesRemoved []ListedAddress `json:"addresses_removed,omitempty"`
}

// Empty reports whether d holds no change.
func (d Diff) Empty() bool {
	return len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.AddressesAdded)+len(d.AddressesRemoved) == 0
}

// DiffEntries compares two imports of one source. The result is sorted by
// UID (and key), so it does not depend on the order of either list. When a
// UID occurs more than once in a list, its last entry counts.
func DiffEntries(old, new []Entry) Diff {
	om := byUID(old)
	nm := byUID(new)
	var d Diff
	for uid, n := range nm {
		o, ok := om[uid]
		if !ok {
			d.Added = append(d.Added, *n)
			d.AddressesAdded = append(d.AddressesAdded, withUID(n.Addresses, uid, nil)...)
			continue
		}
		if !reflect.DeepEqual(o, n) {
			d.Changed = append(d.Changed, *n)
		}
		d.AddressesAdded = append(d.AddressesAdded, withUID(n.Addresses, uid, keys(o.Addresses))...)
		d.AddressesRemoved = append(d.AddressesRemoved, withUID(o.Addresses, uid, keys(n.Addresses))...)
	}
	for uid, o := range om {
		if _, ok := nm[uid]; !ok {
			d.Removed = append(d.Removed, *o)
			d.AddressesRemoved = append(d.AddressesRemoved, withUID(o.Addresses, uid, nil)...)
		}
	}
	for _, es := range [][]Entry{d.Added, d.Removed, d.Changed} {
		sort.Slice(es, func(i, j int) bool { return es[i].UID < es[j].UID })
	}
	for _, as := range [][]ListedAddress{d.AddressesAdded, d.AddressesRemoved} {
		sort.Slice(as, func(i, j int) bool {
			if as[i].UID != as[j].UID {
				return as[i].UID < as[j].UID
			}
			return as[i].Key < as[j].Key
		})
	}
	return d
}

func byUID(es []Entry) map[string]*Entry {
	m := make(map[string]*Entry, len(es))
	for i := range es {
		m[es[i].UID] = &es[i]
	}
	return m
}

func keys(as []ListedAddress) map[string]bool {
	m := make(map[string]bool, len(as))
	for _, a := range as {
		m[a.Key] = true
	}
	return m
}

// withUID returns the addresses of as whose key is not in skip, each
// stamped with the entry's UID.
func withUID(as []ListedAddress, uid string, skip map[string]bool) []ListedAddress {
	var out []ListedAddress
	for _, a := range as {
		if skip[a.Key] {
			continue
		}
		a.UID = uid
		out = append(out, a)
	}
	return out
}
