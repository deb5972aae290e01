// Package tags holds attribution tags: what an address is known to be (an
// exchange's deposit address, a mixer, a thief's wallet), who says so and how
// sure they are. Tracing stops where funds reach a service and reports who
// holds them; risk counts exposure to what is stolen or sanctioned. Nothing
// here is specific to one chain: a tag names its chain, and an address is
// normalized with the address package.
//
// Words:
//   - Tag: one claim "address A on chain C is L", with a Category, an
//     optional Actor, the Source that makes the claim (a URL, a report) and a
//     Confidence. A tag is identified by its pack, source, chain, address key
//     and label: the same label from two sources is two tags.
//   - Pack: the name a file of tags is imported under (a GraphSense TagPack,
//     a CSV). Importing a pack again replaces its tags and records what was
//     added, removed and changed; the same file twice changes nothing.
//   - Category: what kind of party controls the address, from a closed
//     vocabulary (Categories). The terms of the INTERPOL Dark Web and Virtual
//     Assets taxonomy that TagPacks use, and common synonyms, map onto it;
//     a taxonomy term with no counterpart maps to Other and is kept in
//     Concepts; a word in no vocabulary is refused.
//   - Service: a category whose addresses belong to a business holding many
//     customers' coins (exchange, mixer, ...). Tracing stops at a service and
//     does not follow funds through its wallets. Categories that mark a party
//     as bad (sanctioned, stolen funds, perpetrator, scam, ransomware) are no
//     services: tracing goes on through them.
//   - Confidence: 0 to 100. TagPack's confidence names map to the levels of
//     GraphSense's confidence table (ownership 100 ... unknown 5); a tag that
//     gives none has the lowest, unknown.
//   - Cluster: a cluster inherits the tags of its members. Resolve gathers
//     them, ranks them and reports Conflicts (two actors, a service next to a
//     suspect, two kinds of service) instead of picking one silently.
//
// Parsers refuse a file at the first problem, with a *ParseError that names
// the line, the tag and the field, and carries errs.Invalid.
package tags
