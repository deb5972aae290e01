package tags

import (
	"fmt"
	"slices"
	"strings"
)

// Resolution is what the tags of a cluster's members say about the cluster.
type Resolution struct {
	Tags      []Tag      `json:"tags"`              // every distinct tag, best first (see Better)
	Primary   *Tag       `json:"primary,omitempty"` // Tags[0]; nil when there are none
	Service   *Tag       `json:"service,omitempty"` // the best tag whose category is a service; nil when none is
	Actors    []string   `json:"actors,omitempty"`  // the distinct actors named, as first written, sorted
	Conflicts []Conflict `json:"conflicts,omitempty"`
}

// ConflictKind names a way in which tags disagree.
type ConflictKind string

const (
	// ConflictActors: the tags name more than one actor.
	ConflictActors ConflictKind = "actors"
	// ConflictServiceSuspect: a service category next to a suspect one
	// (sanctioned, stolen funds, perpetrator, scam, ransomware) that does
	// not name the service's actor. Either the cluster merged a thief with a
	// service, or the thief holds an account there.
	ConflictServiceSuspect ConflictKind = "service_and_suspect"
	// ConflictServices: more than one kind of service (an exchange and a
	// mixer), unless all of them name the same one actor.
	ConflictServices ConflictKind = "services"
)

// Conflict is one disagreement among the tags of a cluster.
type Conflict struct {
	Kind    ConflictKind `json:"kind"`
	Values  []string     `json:"values"` // the actors or categories that disagree, sorted
	Message string       `json:"message"`
}

// Better reports whether a ranks before b: higher confidence, then a tag
// that defines its cluster, then a service, then by pack, source, label,
// chain and key so that the order is total.
func Better(a, b *Tag) bool {
	if a.Confidence != b.Confidence {
		return a.Confidence > b.Confidence
	}
	if a.ClusterDefiner != b.ClusterDefiner {
		return a.ClusterDefiner
	}
	if sa, sb := IsService(a.Category), IsService(b.Category); sa != sb {
		return sa
	}
	for _, p := range [][2]string{{a.Pack, b.Pack}, {a.Source, b.Source}, {a.Label, b.Label}, {string(a.Chain), string(b.Chain)}, {a.Key, b.Key}} {
		if p[0] != p[1] {
			return p[0] < p[1]
		}
	}
	return false
}

// Resolve gathers the tags of a cluster's members: a cluster inherits them
// all. It ranks them, picks the best overall and the best service tag, and
// reports every conflict instead of hiding it. Tags of category Other take
// no part in conflicts: they say nothing about who controls the address.
func Resolve(ts []Tag) Resolution {
	var r Resolution
	seen := make(map[[2]any]bool, len(ts))
	for _, t := range ts {
		k := [2]any{t.Pack, t.ID()}
		if !seen[k] {
			seen[k] = true
			r.Tags = append(r.Tags, t)
		}
	}
	slices.SortFunc(r.Tags, func(a, b Tag) int {
		switch {
		case Better(&a, &b):
			return -1
		case Better(&b, &a):
			return 1
		}
		return 0
	})
	if len(r.Tags) == 0 {
		return r
	}
	r.Primary = &r.Tags[0]
	actors := map[string]string{} // folded → as first written
	serviceActors := map[string]bool{}
	serviceCats := map[Category]bool{}
	var suspects []*Tag
	unnamedService := false
	for i := range r.Tags {
		t := &r.Tags[i]
		a := foldActor(t.Actor)
		if a != "" {
			if _, ok := actors[a]; !ok {
				actors[a] = strings.TrimSpace(t.Actor)
			}
		}
		switch {
		case IsService(t.Category):
			if r.Service == nil {
				r.Service = t
			}
			serviceCats[t.Category] = true
			if a == "" {
				unnamedService = true
			} else {
				serviceActors[a] = true
			}
		case t.Category != Other:
			suspects = append(suspects, t)
		}
	}
	for _, a := range actors {
		r.Actors = append(r.Actors, a)
	}
	slices.Sort(r.Actors)
	if len(r.Actors) > 1 {
		r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictActors, Values: r.Actors,
			Message: fmt.Sprintf("the tags name %d actors: %s", len(r.Actors), strings.Join(r.Actors, ", "))})
	}
	if r.Service != nil {
		var odd []string
		for _, t := range suspects {
			if a := foldActor(t.Actor); a == "" || !serviceActors[a] {
				odd = appendNew(odd, string(t.Category))
			}
		}
		if len(odd) > 0 {
			services := sortedCats(serviceCats)
			vals := append(slices.Clone(services), odd...)
			slices.Sort(vals)
			r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictServiceSuspect, Values: vals,
				Message: fmt.Sprintf("a service (%s) and a suspect (%s) that does not name the service's actor", strings.Join(services, ", "), strings.Join(sorted(odd), ", "))})
		}
		if len(serviceCats) > 1 && (unnamedService || len(serviceActors) != 1) {
			services := sortedCats(serviceCats)
			r.Conflicts = append(r.Conflicts, Conflict{Kind: ConflictServices, Values: services,
				Message: fmt.Sprintf("more than one kind of service: %s", strings.Join(services, ", "))})
		}
	}
	return r
}

func foldActor(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func sortedCats(m map[Category]bool) []string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, string(c))
	}
	slices.Sort(out)
	return out
}
