// Package alert tells an institution that it must act: stolen funds reached
// a deposit address it holds, or shared intelligence names an address it
// holds. It answers DESIGN.md's fourth question, "who must act now?".
//
// Words:
//   - Alert: a message addressed to one organization (the addressee) by
//     another (the raiser), about subject addresses, deriving from source
//     STIX objects on the hub, with a TLP marking and a status (new,
//     acknowledged, closed).
//   - Source: a STIX object (indicator, sighting, report ...) the alert
//     derives from, named by its id.
//   - Service claim: an organization's claim of a service label of the
//     attribution tags (e.g. an exchange claims "Binance"), made by a hub
//     operator, so that deposits traced to that label raise alerts to it.
//
// The rule that never breaks: a derived alert never reaches anyone who
// could not read its sources. An alert is raised to O only if O may read
// every source (the sharing rule, as O reads the hub); its marking is never
// wider than its narrowest source; and it is visible only to its addressee
// and its raiser — to the addressee only while it may still read every
// source, so that removal from a sharing group takes effect at once. Others
// are told it does not exist, exactly as for a missing alert.
package alert
