package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

const tokenPrefix = "trawl_"

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random identifier with a readable prefix, e.g. "org_…".
func NewID(prefix string) string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("identity: no randomness: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return prefix + "_" + b32.EncodeToString(b[:])
}

// newToken returns a fresh key id and the full secret token for it.
func newToken() (id, token string) {
	id = NewID("key")
	var s [32]byte
	if _, err := rand.Read(s[:]); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return id, tokenPrefix + id + "_" + b32.EncodeToString(s[:])
}

// keyIDOf extracts the key id from a token without trusting it.
func keyIDOf(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok || len(token) > 200 {
		return "", false
	}
	// rest = "key_<16>_<52>"
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 || !strings.HasPrefix(rest, "key_") {
		return "", false
	}
	return rest[:i], true
}

// HashToken returns the digest stored for a token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
