// Package identity holds who may use a trawl hub: organizations, their users,
// roles and API keys, and the Principal that an authenticated request acts as.
//
// Words:
//   - Organization: a member institution of the hub (an FIU, a CERT, an
//     exchange). Data is owned by and shared between organizations. An
//     operator organization runs the hub; its admins administer every org.
//   - Role: what a key or user may do inside its organization: admin,
//     analyst, reader or feeder (a machine that only pushes intelligence).
//   - API key: a bearer secret "trawl_<id>_<secret>" shown once at creation.
//     Only a SHA-256 digest of it is stored; the secret has 256 bits of
//     entropy, so a slow password hash would add cost and no protection.
//   - Principal: the verified identity of one request (key, org, role).
package identity
