package watchlist

import (
	"slices"
	"strings"
)

// ofacRecordURL is the public page of an SDN record; OFAC's sanctions
// search keys it by the party's FixedRef.
const ofacRecordURL = "https://sanctionssearch.ofac.treas.gov/Details.aspx?id="

const digitalCurrencyPrefix = "Digital Currency Address - "

// assemble joins the parsed elements: reference values give the parties'
// codes a meaning, sanctions entries give them programs and dates.
func (p *ofacParse) assemble() ([]Entry, Meta, error) {
	meta := Meta{Source: SourceOFACSDN}
	refs := &ofacRefs{}
	entries := map[string][]*rawSanctionsEntry{}
	var parties []*rawParty
	for _, r := range p.results {
		switch {
		case !r.issued.IsZero():
			meta.Issued = r.issued
		case r.refs != nil:
			refs = r.refs
		case r.party != nil:
			parties = append(parties, r.party)
		case r.entry != nil:
			entries[r.entry.profileID] = append(entries[r.entry.profileID], r.entry)
		}
	}
	programType := map[string]bool{}
	for id, name := range refs.sanctionTypes {
		if name == "Program" {
			programType[id] = true
		}
	}
	out := make([]Entry, 0, len(parties))
	for _, rp := range parties {
		if rp.fixedRef == "" {
			meta.Problems = append(meta.Problems, Problem{Line: rp.line, Message: "DistinctParty without FixedRef skipped"})
			continue
		}
		e := Entry{Source: SourceOFACSDN, UID: rp.fixedRef, Remarks: rp.comment, URL: ofacRecordURL + rp.fixedRef}
		e.Type = ofacPartyType(refs, rp.subType)
		for _, n := range rp.names {
			full := ofacName(refs, rp.groups, n.parts)
			switch {
			case full == "":
			case n.primary && e.Name == "":
				e.Name = full
			case n.weak:
				e.WeakAliases = appendUnique(e.WeakAliases, full)
			default:
				e.Aliases = appendUnique(e.Aliases, full)
			}
		}
		if e.Name == "" && len(e.Aliases) > 0 {
			e.Name, e.Aliases = e.Aliases[0], e.Aliases[1:]
		}
		e.Aliases = slices.DeleteFunc(e.Aliases, func(a string) bool { return a == e.Name })
		e.WeakAliases = slices.DeleteFunc(e.WeakAliases, func(a string) bool { return a == e.Name || slices.Contains(e.Aliases, a) })
		if len(e.Aliases) == 0 {
			e.Aliases = nil
		}
		if len(e.WeakAliases) == 0 {
			e.WeakAliases = nil
		}
		for _, f := range rp.features {
			code, ok := strings.CutPrefix(refs.featureTypes[f[0]], digitalCurrencyPrefix)
			if !ok {
				continue
			}
			e.Addresses = append(e.Addresses, NewListedAddress(code, f[1]))
		}
		for _, se := range entries[rp.profileID] {
			for _, d := range se.dates {
				if e.Listed.IsZero() || d.Before(e.Listed) {
					e.Listed = d
				}
			}
			for _, m := range se.measures {
				if programType[m[0]] {
					e.Programs = appendUnique(e.Programs, m[1])
				}
			}
		}
		out = append(out, e)
	}
	meta.count(out)
	return out, meta, nil
}

func ofacPartyType(refs *ofacRefs, subType string) string {
	st, ok := refs.partySubTypes[subType]
	if !ok {
		return ""
	}
	name := st[0]
	if name == "Unknown" || name == "" {
		name = refs.partyTypes[st[1]]
	}
	switch name {
	case "Individual":
		return TypeIndividual
	case "Entity":
		return TypeEntity
	case "Vessel":
		return TypeVessel
	case "Aircraft":
		return TypeAircraft
	}
	return strings.ToLower(name)
}

// ofacName writes a documented name the way the SDN list prints it: last
// name(s), a comma, then the other parts in the order given.
func ofacName(refs *ofacRefs, groups map[string]string, parts []rawNamePart) string {
	var last, rest []string
	for _, np := range parts {
		if refs.namePartTypes[groups[np.group]] == "Last Name" {
			last = append(last, np.value)
		} else {
			rest = append(rest, np.value)
		}
	}
	switch {
	case len(last) > 0 && len(rest) > 0:
		return strings.Join(last, " ") + ", " + strings.Join(rest, " ")
	case len(last) > 0:
		return strings.Join(last, " ")
	}
	return strings.Join(rest, " ")
}
