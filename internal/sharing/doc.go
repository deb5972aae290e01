// Package sharing decides who may read a piece of shared intelligence on the
// hub and where it may travel: the TLP 2.0 rules of ../shared/DESIGN.md,
// sharing groups and named recipients. Every read path asks CanRead; every
// path that sends data off the hub asks MayLeave.
//
// Words:
//   - Level: a TLP level, CLEAR (TLP 1.0 WHITE) to RED. An unmarked object
//     takes its collection's default level, AMBER when the collection has none.
//   - Owner: the organization that put the object on the hub; it always reads
//     what it shared.
//   - Sharing group: a named set of organizations. An object restricted to a
//     group is readable only by members (and its owner), whatever its level.
//   - Recipient: an organization, user or sharing group named on a RED object
//     (x_trawl_recipients); RED is readable by recipients and the owner only.
//
// The rule is that distribution narrows and never widens: raising a level,
// adding a group restriction or removing a recipient never lets anyone read
// who could not read before.
package sharing
