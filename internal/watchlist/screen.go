package watchlist

import (
	"slices"
	"sort"
	"sync"
)

// NameOptions tunes ScreenName.
type NameOptions struct {
	Threshold float64  // minimum score of a hit; 0 means DefaultThreshold
	Limit     int      // maximum number of hits; 0 means 10
	Sources   []Source // only entries of these sources; nil means all
	Types     []string // only entries of these types; nil means all
}

// DefaultThreshold is the score above which a name is reported when the
// caller gives none; see the recall and precision figures in the tests.
const DefaultThreshold = 0.88

// NameHit is one entry whose name or alias resembles the screened name.
type NameHit struct {
	Entry   int          `json:"-"` // the entry's position in the index, for Index.Entry
	Source  Source       `json:"source"`
	UID     string       `json:"uid"`
	Name    string       `json:"name"`
	Type    string       `json:"type,omitempty"`
	Score   float64      `json:"score"`
	Matched string       `json:"matched"`         // the name or alias that matched best
	Alias   bool         `json:"alias,omitempty"` // Matched is an alias
	Weak    bool         `json:"weak,omitempty"`  // Matched is a low-quality alias; its score is discounted
	Tokens  []TokenMatch `json:"tokens"`
}

// TokenMatch explains one part of a score: which query token (or run of
// tokens, when one side wrote a name as one word the other split) matched
// which listed token, and how well. An empty side is a token left over.
type TokenMatch struct {
	Query  string  `json:"query,omitempty"`
	Listed string  `json:"listed,omitempty"`
	Score  float64 `json:"score"`
}

// nameRec is one name or alias of an entry, tokenized.
type nameRec struct {
	entry uint32
	alias int32 // -1: the entry's name; else an index into Index.aliases
	toks  []tok
}

type nameIndex struct {
	recs  []nameRec
	grams map[uint32][]uint32 // trigram of folded tokens -> recs
	pool  sync.Pool           // *counter
}

type counter struct {
	n       []uint16
	touched []uint32
}

// maxTokens bounds the tokens of a name that take part in matching; names
// longer than that are organisations whose first words identify them.
const maxTokens = 12

func (ix *Index) nameIdx() *nameIndex {
	ix.nameMu.Lock()
	defer ix.nameMu.Unlock()
	if ix.names != nil {
		return ix.names
	}
	ni := &nameIndex{grams: map[uint32][]uint32{}}
	add := func(entry uint32, alias int32, s string) {
		ts := tokens(s)
		if len(ts) == 0 {
			return
		}
		if len(ts) > maxTokens {
			ts = ts[:maxTokens]
		}
		id := uint32(len(ni.recs))
		ni.recs = append(ni.recs, nameRec{entry: entry, alias: alias, toks: ts})
		for _, g := range trigrams(ts, nil) {
			p := ni.grams[g]
			if len(p) == 0 || p[len(p)-1] != id {
				ni.grams[g] = append(p, id)
			}
		}
	}
	for i := range ix.entries {
		e := &ix.entries[i]
		add(uint32(i), -1, e.name)
		for j := e.aliasStart; j < e.aliasStart+e.aliasN; j++ {
			add(uint32(i), int32(j), ix.aliases[j])
		}
	}
	ni.pool.New = func() any { return &counter{n: make([]uint16, len(ni.recs))} }
	ix.names = ni
	return ni
}

// trigrams appends the trigram hashes of the folded tokens, each padded
// with a space at either end.
func trigrams(ts []tok, dst []uint32) []uint32 {
	for _, t := range ts {
		r := []rune(" " + t.fold + " ")
		for i := 0; i+2 < len(r); i++ {
			h := uint32(r[i])*0x9E3779B1 ^ uint32(r[i+1])*0x85EBCA77 ^ uint32(r[i+2])*0xC2B2AE3D
			if !slices.Contains(dst, h) {
				dst = append(dst, h)
			}
		}
	}
	return dst
}

// maxCandidates bounds how many names are scored in full per query; they
// are the names sharing the most trigrams with the query.
const maxCandidates = 150

// ScreenName returns the entries whose name or an alias resembles name,
// best first. Comparison is per token, in any order: tokens are matched
// one to one (or a run of two against one, for "Jongun" against "Jong Un")
// by Jaro-Winkler similarity of their spellings and of their Korean
// romanization folds; the score is the length-weighted mean similarity of
// the matched tokens, with tokens left over on either side counting half.
func (ix *Index) ScreenName(name string, opts NameOptions) []NameHit {
	if opts.Threshold <= 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.Limit <= 0 {
		opts.Limit = 10
	}
	q := tokens(name)
	if len(q) == 0 {
		return nil
	}
	if len(q) > maxTokens {
		q = q[:maxTokens]
	}
	ni := ix.nameIdx()
	if len(ni.recs) == 0 {
		return nil
	}
	grams := trigrams(q, make([]uint32, 0, 32))
	c := ni.pool.Get().(*counter)
	for _, g := range grams {
		for _, id := range ni.grams[g] {
			if c.n[id] == 0 {
				c.touched = append(c.touched, id)
			}
			if c.n[id] < 1<<16-1 {
				c.n[id]++
			}
		}
	}
	// A name sharing under a third of the query's trigrams cannot reach a
	// useful score.
	minShared := uint16(max(1, len(grams)/3))
	cands := make([]uint32, 0, len(c.touched))
	for _, id := range c.touched {
		if c.n[id] >= minShared {
			cands = append(cands, id)
		}
	}
	if len(cands) > maxCandidates {
		sort.Slice(cands, func(i, j int) bool { return c.n[cands[i]] > c.n[cands[j]] })
		cands = cands[:maxCandidates]
	}
	for _, id := range c.touched {
		c.n[id] = 0
	}
	c.touched = c.touched[:0]
	ni.pool.Put(c)

	best := map[uint32]NameHit{}
	for _, id := range cands {
		rec := &ni.recs[id]
		e := &ix.entries[rec.entry]
		if !ix.wanted(e, opts) {
			continue
		}
		score, parts := scoreTokens(q, rec.toks)
		weak := rec.alias >= 0 && ix.weak[rec.alias]
		if weak {
			score *= 0.95
		}
		if score < opts.Threshold {
			continue
		}
		if old, ok := best[rec.entry]; ok && old.Score >= score {
			continue
		}
		h := NameHit{Entry: int(rec.entry), Source: Source(ix.sources.names[e.source]), UID: e.uid, Name: e.name,
			Type: ix.types.names[e.typ], Score: score, Matched: e.name, Weak: weak, Tokens: parts}
		if rec.alias >= 0 {
			h.Matched, h.Alias = ix.aliases[rec.alias], true
		}
		best[rec.entry] = h
	}
	out := make([]NameHit, 0, len(best))
	for _, h := range best {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Entry < out[j].Entry
	})
	if len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out
}

func (ix *Index) wanted(e *entryRec, opts NameOptions) bool {
	if opts.Sources != nil && !slices.Contains(opts.Sources, Source(ix.sources.names[e.source])) {
		return false
	}
	return opts.Types == nil || slices.Contains(opts.Types, ix.types.names[e.typ])
}

// leftover is how much a token that matched nothing on the other side
// counts against a score, relative to its weight: middle names and
// patronymics are often missing from one side.
const leftover = 0.5

// minPair is the similarity below which two tokens are not considered to
// match at all.
const minPair = 0.75

type pair struct {
	qi, qn, ni, nn int // first index and count (1 or 2) on either side
	sim, w         float64
}

// scoreTokens matches query tokens q to listed tokens n greedily, best pair
// first, and returns the score and its explanation.
func scoreTokens(q, n []tok) (float64, []TokenMatch) {
	var buf [64]pair
	pairs := buf[:0]
	join := func(ts []tok, i, k int) (string, string, float64) {
		if k == 1 {
			return ts[i].raw, ts[i].fold, ts[i].w
		}
		return ts[i].raw + ts[i+1].raw, ts[i].fold + ts[i+1].fold, ts[i].w + ts[i+1].w
	}
	for qn := 1; qn <= 2; qn++ {
		for i := 0; i+qn <= len(q); i++ {
			qr, qf, qw := join(q, i, qn)
			for nn := 1; nn <= 2; nn++ {
				for j := 0; j+nn <= len(n); j++ {
					nr, nf, nw := join(n, j, nn)
					s := tokenSim(qr, qf, nr, nf)
					if s < minPair {
						continue
					}
					pairs = append(pairs, pair{i, qn, j, nn, s, (qw + nw) / 2})
				}
			}
		}
	}
	sort.Slice(pairs, func(a, b int) bool {
		if pairs[a].sim != pairs[b].sim {
			return pairs[a].sim > pairs[b].sim
		}
		return pairs[a].w > pairs[b].w
	})
	var usedQ, usedN uint32
	var m, d float64
	parts := make([]TokenMatch, 0, len(q)+len(n))
	for _, p := range pairs {
		qm := uint32(1<<p.qn-1) << p.qi
		nm := uint32(1<<p.nn-1) << p.ni
		if usedQ&qm != 0 || usedN&nm != 0 {
			continue
		}
		usedQ |= qm
		usedN |= nm
		m += p.sim * p.w
		d += p.w
		qr, _, _ := join(q, p.qi, p.qn)
		nr, _, _ := join(n, p.ni, p.nn)
		if p.qn == 2 {
			qr = q[p.qi].raw + " " + q[p.qi+1].raw
		}
		if p.nn == 2 {
			nr = n[p.ni].raw + " " + n[p.ni+1].raw
		}
		parts = append(parts, TokenMatch{Query: qr, Listed: nr, Score: round3(p.sim)})
	}
	for i, t := range q {
		if usedQ&(1<<i) == 0 {
			d += leftover * t.w
			parts = append(parts, TokenMatch{Query: t.raw})
		}
	}
	for j, t := range n {
		if usedN&(1<<j) == 0 {
			d += leftover * t.w
			parts = append(parts, TokenMatch{Listed: t.raw})
		}
	}
	if d == 0 {
		return 0, parts
	}
	return round3(m / d), parts
}

func round3(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
