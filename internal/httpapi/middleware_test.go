package httpapi

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

// TestRequestIDs: every answer carries an id of 16 hex digits, and no two
// requests share one.
func TestRequestIDs(t *testing.T) {
	s, tok := newTestServer(t)
	h := s.Handler()
	re := regexp.MustCompile(`^[0-9a-f]{16}$`)
	seen := map[string]bool{}
	for i := range 2000 {
		r := httptest.NewRequest("GET", "/api/v1/whoami", nil)
		if i%2 == 0 {
			r.Header.Set("Authorization", "Bearer "+tok)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		id := w.Header().Get("X-Request-ID")
		if !re.MatchString(id) {
			t.Fatalf("request %d: id %q, want 16 hex digits", i, id)
		}
		if seen[id] {
			t.Fatalf("request %d: id %q repeated", i, id)
		}
		seen[id] = true
		if want := map[bool]int{true: http.StatusOK, false: http.StatusUnauthorized}[i%2 == 0]; w.Code != want {
			t.Fatalf("request %d: status %d, want %d", i, w.Code, want)
		}
	}
}
