// Package taxii is trawl's intelligence hub in TAXII 2.1 terms.
//
// Words:
//   - Collection: a named set of STIX objects owned by one organization,
//     readable and writable by organizations it is granted to.
//   - Version: one revision of an object, identified by its `modified`
//     timestamp (else `created`); the same id and version posted again is the
//     same object, not a duplicate.
//   - date_added: when this hub stored a version. Within a collection it
//     only ever grows, in commit order, so that paging by (date_added, seq)
//     sees every object exactly once even while writes continue.
//   - Cursor: the opaque `next` token: the position of the last object of a
//     page, bound by an HMAC to its collection and its query, so it can
//     neither be forged nor replayed against another collection.
//   - Status: the result of one POST of an envelope, per object; large
//     envelopes are queued and processed after the 202 answer.
package taxii
