package httpapi

import (
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
)

// FuzzAlertCursor: a list cursor from outside either decodes to a position
// with a valid alert id or is refused; what alertCursor makes comes back.
func FuzzAlertCursor(f *testing.F) {
	a := alert.Alert{ID: "alert--00000000-0000-4000-8000-000000000001", CreatedAt: time.UnixMicro(1_740_000_000_123_456).UTC()}
	f.Add(alertCursor(a))
	f.Add("")
	f.Add("MTIzIGFsZXJ0LS0")
	f.Fuzz(func(t *testing.T, c string) {
		_, id, err := parseAlertCursor(c)
		if err == nil && !alert.ValidID(id) {
			t.Fatalf("cursor %q gave id %q", c, id)
		}
	})
	at, id, err := parseAlertCursor(alertCursor(a))
	if err != nil || id != a.ID || !at.Equal(a.CreatedAt) {
		f.Fatalf("round trip: %v %q %v", at, id, err)
	}
}
