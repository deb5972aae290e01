package errs

import (
	"errors"
	"fmt"
	"testing"
)

func TestCodeAndMessage(t *testing.T) {
	cause := errors.New("disk on fire at /var/lib/secret")
	cases := []struct {
		name     string
		err      error
		code     Code
		message  string
		wrapping error
	}{
		{"nil", nil, "", "", nil},
		{"plain", cause, Internal, "internal error", nil},
		{"invalid", E(Invalid, "limit: want 1..%d", 1000), Invalid, "limit: want 1..1000", nil},
		{"wrapped in fmt", fmt.Errorf("ctx: %w", E(NotFound, "no such org")), NotFound, "no such org", nil},
		{"wrap keeps cause", Wrap(Unavailable, cause, "database unavailable"), Unavailable, "database unavailable", cause},
		{"internal hides detail", Wrap(Internal, cause, "reading %s", "/var/lib/secret"), Internal, "internal error", cause},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CodeOf(c.err); got != c.code {
				t.Errorf("CodeOf = %q, want %q", got, c.code)
			}
			if got := MessageOf(c.err); got != c.message {
				t.Errorf("MessageOf = %q, want %q", got, c.message)
			}
			if c.wrapping != nil && !errors.Is(c.err, c.wrapping) {
				t.Error("cause lost")
			}
		})
	}
}

func TestCodesAreDistinct(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes {
		if seen[c] || c == "" {
			t.Fatalf("code %q repeated or empty", c)
		}
		seen[c] = true
	}
}
