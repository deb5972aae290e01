package trace

import (
	"slices"
	"sort"

	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/txgraph"
)

// Label attributes one address to an actor, as an attribution tag says.
type Label struct {
	Addr     uint32
	Name     string // the actor or service, e.g. "Exchange A"
	Category string // exchange, otc, mixer, sanctioned, stolen_funds, ...
	Service  bool   // a service: tracing stops where funds reach it
	Source   string
}

// Service is an actor addresses are attributed to.
type Service struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	Service  bool   `json:"service"`
}

// How says how an address came to be attributed.
type How uint8

const (
	NotAttributed How = iota
	Tagged            // a tag names the address itself
	InCluster         // another address of its cluster is tagged
	Deposit           // its coins were swept with others into the service's wallet
)

var howNames = [...]string{"", "tag", "cluster", "deposit"}

func (h How) String() string { return howNames[h] }

// Conflict is a cluster whose members carry tags of different actors.
type Conflict struct {
	Cluster uint32   `json:"cluster"`
	Names   []string `json:"names"`
}

// Attribution maps addresses to the actors they belong to.
type Attribution struct {
	Actors    []Service // index 0 unused
	actor     []uint16  // per address id: index into Actors, 0 none
	how       []How
	Conflicts []Conflict
	conflict  map[uint32]bool // cluster ids with conflicting tags
}

// Of returns the actor of address a and how it was attributed.
func (at *Attribution) Of(a uint32) (Service, How, bool) {
	if at == nil || int(a) >= len(at.actor) || at.actor[a] == 0 {
		return Service{}, NotAttributed, false
	}
	return at.Actors[at.actor[a]], at.how[a], true
}

// IsService reports whether a belongs to a service where tracing stops.
func (at *Attribution) IsService(a uint32) bool {
	if at == nil || int(a) >= len(at.actor) {
		return false
	}
	i := at.actor[a]
	return i != 0 && at.Actors[i].Service
}

// Conflicted reports whether cluster id carries conflicting tags.
func (at *Attribution) Conflicted(id uint32) bool { return at != nil && at.conflict[id] }

// Attribute builds the attribution: labels on addresses; every member of a
// cluster with tags of one actor inherits it; addresses whose coins a
// transaction sweeps, together with others, into one service's addresses
// only (its deposit addresses) belong to that service, and so do their
// clusters. Clusters whose members carry different actors' tags are
// conflicts: only the tagged members are attributed and the conflict is
// listed, never resolved silently. cl may be nil (no clustering).
func Attribute(g *txgraph.Graph, cl *cluster.Clustering, labels []Label) *Attribution {
	at := &Attribution{Actors: []Service{{}}, conflict: map[uint32]bool{}}
	n := g.NAddr()
	at.actor = make([]uint16, n)
	at.how = make([]How, n)
	index := map[Service]uint16{}
	actorOf := func(s Service) uint16 {
		if i, ok := index[s]; ok {
			return i
		}
		at.Actors = append(at.Actors, s)
		i := uint16(len(at.Actors) - 1)
		index[s] = i
		return i
	}
	// Direct tags; an address tagged twice keeps the first service tag.
	sorted := slices.Clone(labels)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Service && !sorted[j].Service })
	for _, l := range sorted {
		if l.Addr == 0 || int(l.Addr) >= n || at.actor[l.Addr] != 0 {
			continue
		}
		at.actor[l.Addr] = actorOf(Service{Name: l.Name, Category: l.Category, Service: l.Service})
		at.how[l.Addr] = Tagged
	}
	at.inherit(cl, Tagged)
	// Deposit addresses: a transaction with two or more inputs whose every
	// output pays one service's addresses sweeps that service's deposits.
	for t := range uint32(g.NTx()) {
		ilo, ihi := g.Inputs(t)
		if ihi-ilo < 2 {
			continue
		}
		olo, ohi := g.Outputs(t)
		var svc uint16
		for o := olo; o < ohi; o++ {
			a := g.Addr[o]
			if a == 0 || at.actor[a] == 0 || !at.Actors[at.actor[a]].Service || (svc != 0 && at.actor[a] != svc) {
				svc = 0
				break
			}
			svc = at.actor[a]
		}
		if svc == 0 {
			continue
		}
		for j := ilo; j < ihi; j++ {
			if a := g.InAddr[j]; a != 0 && at.actor[a] == 0 {
				at.actor[a] = svc
				at.how[a] = Deposit
			}
		}
	}
	at.inherit(cl, Deposit)
	return at
}

// inherit spreads the actors of addresses attributed by how to the rest of
// their clusters, and records conflicts.
func (at *Attribution) inherit(cl *cluster.Clustering, how How) {
	if cl == nil {
		return
	}
	ids := cl.IDs()
	// The one actor per cluster, or a conflict.
	one := map[uint32]uint16{}
	for a := 1; a < len(at.actor) && a < len(ids); a++ {
		if at.how[a] != how || at.actor[a] == 0 {
			continue
		}
		id := ids[a]
		prev, seen := one[id]
		switch {
		case !seen:
			one[id] = at.actor[a]
		case prev != at.actor[a] && !at.conflict[id]:
			at.conflict[id] = true
			at.Conflicts = append(at.Conflicts, Conflict{Cluster: id, Names: at.namesIn(cl, id)})
		}
	}
	for id, actor := range one {
		if at.conflict[id] {
			continue
		}
		for _, a := range cl.Members(id) {
			if at.actor[a] == 0 {
				at.actor[a] = actor
				at.how[a] = InCluster
			}
		}
	}
}

func (at *Attribution) namesIn(cl *cluster.Clustering, id uint32) []string {
	var names []string
	for _, a := range cl.Members(id) {
		if i := at.actor[a]; i != 0 && !slices.Contains(names, at.Actors[i].Name) {
			names = append(names, at.Actors[i].Name)
		}
	}
	slices.Sort(names)
	return names
}
