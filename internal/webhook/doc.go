// Package webhook delivers alerts and new intelligence to the HTTPS
// endpoints organizations register, through a durable outbox.
//
// Words:
//   - Endpoint: an organization's registered URL with the events it wants
//     (alert; objects of chosen collections; sightings of its own
//     indicators) and a signing secret.
//   - Delivery: one event for one endpoint, a row of the outbox. Its id is
//     sent with every attempt (X-Trawl-Delivery) so that receivers drop
//     repeats: delivery is at least once.
//   - Lease: a worker claims pending rows for a while; another worker (on
//     another replica) takes them only after the lease expires, so that in
//     the normal case each delivery is attempted by one worker.
//   - Notice: what is sent instead of the content when the content may not
//     leave the hub (TLP AMBER+STRICT and RED never leave): the id, type,
//     collection, marking and a link to read it on the hub.
//
// The TLP rule is applied when a delivery is sent, not when it is queued:
// an organization that can no longer read the alert or object (removed from
// a sharing group, grant withdrawn) gets nothing, and content goes only
// where sharing.MayLeave allows.
//
// Signing: X-Trawl-Signature is "sha256=" and the hex HMAC-SHA256, keyed
// by the endpoint's secret, of the X-Trawl-Timestamp value (Unix seconds),
// a ".", and the body. The secret is a signing secret, not a password: it
// is shown once when the endpoint is registered and stored as it is, since
// the hub needs it to sign. Receivers verify the signature in constant time,
// refuse timestamps more than five minutes away from their clock, and drop
// delivery ids they have seen (see Verify).
package webhook
