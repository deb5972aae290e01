package alert

import (
	"encoding/json"
	"testing"
)

// FuzzRequest: any JSON an analyst sends is either refused with a message
// or within the limits.
func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"to":"exchange","kind":"deposit","subjects":[{"chain":"btc","address":"bc1q"}],"sources":["indicator--00000000-0000-4000-8000-000000000001"]}`))
	f.Add([]byte(`{"kind":"indicator","subjects":[{"chain":"BTC","address":" "}],"sources":["x"],"marking":"tlp:red"}`))
	f.Add([]byte(`{"subjects":[],"sources":[],"note":""}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Request
		if json.Unmarshal(b, &r) != nil {
			return
		}
		if err := r.validate(); err != nil {
			return
		}
		if len(r.Subjects) == 0 || len(r.Subjects) > MaxSubjects || len(r.Sources) == 0 || len(r.Sources) > MaxSources || len(r.Note) > MaxNote {
			t.Fatalf("accepted out of limits: %d subjects, %d sources, note %d", len(r.Subjects), len(r.Sources), len(r.Note))
		}
		for _, s := range r.Subjects {
			if !chainRE.MatchString(s.Chain) || !printable(s.Address, 200) {
				t.Fatalf("accepted subject %+v", s)
			}
		}
	})
}
