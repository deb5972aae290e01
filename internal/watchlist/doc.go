// Package watchlist turns the sanctions and attribution lists trawl imports
// into one model, keeps the differences between two imports of a list, and
// answers the two screening questions: is this address listed, and does this
// name resemble a listed party.
//
// Words:
//   - Source: one list, named by its publisher and format ("ofac-sdn",
//     "ofac-csv", "un", "oracle", "fbi-...", "hub", or a label given to a plain
//     list). A source is imported as a whole; two imports of one source are
//     compared with DiffEntries.
//   - Entry: one listed party (a person, an entity, a vessel, an aircraft) or,
//     for a plain address list, one label. Its UID is stable within its
//     source (OFAC's FixedRef, the UN reference number, the label), so that
//     an import can be diffed against the last one.
//   - Listed address: a digital-currency address as the source wrote it,
//     with the currency the source gave, its lookup key and the chains on
//     which it is a valid address. An address that is no valid address of
//     its currency is kept with Invalid saying why: a list is evidence, and a
//     typo in it still names the value a payment may go to.
//   - Key: the lookup key of address.Key. Screening compares keys, so letter
//     case is ignored exactly where the address format ignores it (EVM hex,
//     bech32, cashaddr) and kept where it is part of the value (base58).
//   - Alias: another notation of the same listed address (the legacy and the
//     cashaddr spelling of one Bitcoin Cash address). The index stores the
//     key of every alias, so either spelling is a hit. For names, an alias is
//     another name of the entry (a.k.a., f.k.a.); a weak alias is one the
//     source itself marks as low quality.
//   - Hit: one listed address an address lookup found, with its entry;
//     NameHit: one entry a name resembles, with a score in 0..1 and the
//     token-by-token explanation of the best-matching name.
//
// Parsers stream their input and return every problem that does not stop
// them in Meta.Problems; errors that stop them are *ParseError values that
// name the file (when the reader is a file), the line or element, and what is
// wrong, and carry errs.Invalid.
package watchlist
