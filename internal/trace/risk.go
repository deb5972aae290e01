package trace

import (
	"fmt"
	"sort"
)

// RiskInput is what a risk score is computed from.
type RiskInput struct {
	// Listings are the categories under which the address (or a member of
	// the cluster) is itself listed: "sanctioned", "stolen_funds", ...
	Listings []string
	// Actor is the attributed actor, if any (its category matters: a mixer
	// is riskier than an exchange).
	Actor    *Service
	Exposure *Exposure
	// Conflict is set when the cluster carries conflicting tags.
	Conflict bool
}

// Risk is a score from 0 (nothing known against) to 100, with the reasons
// that gave it; the score is the highest of its reasons' scores.
type Risk struct {
	Score   int      `json:"score"`
	Level   string   `json:"level"` // none, low, medium, high, severe
	Reasons []Reason `json:"reasons"`
}

// Reason is one finding that raises a risk score.
type Reason struct {
	Score int    `json:"score"`
	Code  string `json:"code"`
	Text  string `json:"text"`
}

var listingScore = map[string]int{"sanctioned": 100, "listed": 90, "shared_intelligence": 90, "stolen_funds": 95, "perpetrator": 95, "ransomware": 90, "scam": 80, "darknet_market": 85}

var actorScore = map[string]int{"sanctioned": 100, "stolen_funds": 95, "perpetrator": 95, "mixer": 75, "darknet_market": 85, "ransomware": 90, "scam": 80, "gambling": 35}

// Score computes the risk of an address or cluster.
func Score(in RiskInput) Risk {
	var rs []Reason
	for _, l := range in.Listings {
		s := listingScore[l]
		if s == 0 {
			s = 70
		}
		rs = append(rs, Reason{Score: s, Code: "listed", Text: fmt.Sprintf("directly listed (%s)", l)})
	}
	if a := in.Actor; a != nil && a.Name != "" {
		if s := actorScore[a.Category]; s > 0 {
			rs = append(rs, Reason{Score: s, Code: "actor", Text: fmt.Sprintf("attributed to %s (%s)", a.Name, a.Category)})
		}
	}
	if ex := in.Exposure; ex != nil {
		for _, src := range ex.Sources {
			s := exposureScore(src.Share)
			if s > 0 {
				rs = append(rs, Reason{Score: s, Code: "exposure", Text: fmt.Sprintf("%.1f%% of its value came from %s sources within %d hops", src.Share*100, src.Category, ex.MaxHops)})
			}
		}
		if ex.CoinJoin >= 0.1 {
			rs = append(rs, Reason{Score: 30, Code: "coinjoin", Text: fmt.Sprintf("%.1f%% of its value passed through a CoinJoin within %d hops", ex.CoinJoin*100, ex.MaxHops)})
		}
	}
	if in.Conflict {
		rs = append(rs, Reason{Score: 20, Code: "conflict", Text: "its cluster carries tags of different actors: review the attribution"})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Score > rs[j].Score })
	r := Risk{Reasons: rs}
	if rs == nil {
		r.Reasons = []Reason{}
	}
	if len(rs) > 0 {
		r.Score = rs[0].Score
	}
	switch {
	case r.Score >= 90:
		r.Level = "severe"
	case r.Score >= 70:
		r.Level = "high"
	case r.Score >= 40:
		r.Level = "medium"
	case r.Score > 0:
		r.Level = "low"
	default:
		r.Level = "none"
	}
	return r
}

// exposureScore maps a share of value from listed sources to a score.
func exposureScore(share float64) int {
	switch {
	case share >= 0.5:
		return 85
	case share >= 0.1:
		return 70
	case share >= 0.01:
		return 50
	case share > 0:
		return 25
	}
	return 0
}
