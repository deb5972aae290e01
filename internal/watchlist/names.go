package watchlist

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// tok is one token of a normalized name: raw is the token as written
// (lower case, no diacritics, no apostrophes), fold its romanization-folded
// form, w its weight in a score.
type tok struct {
	raw, fold string
	w         float64
}

// letterMap spells the letters that have no decomposition.
var letterMap = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ł': "l", 'ı': "i", 'þ': "th", 'ð': "d",
}

// apostrophes are dropped without splitting: McCune-Reischauer writes the
// aspiration and the vowel breve as apostrophes (Ch'o'l), which lists then
// drop or keep at will.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', '`', 'ʼ', 'ʻ', '´':
		return true
	}
	return false
}

// normalizeName returns the tokens of s: decomposed, without marks, lower
// case, split at everything that is no letter or digit.
func normalizeName(s string) []string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r) || isApostrophe(r):
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if m, ok := letterMap[r]; ok {
				b.WriteString(m)
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

// weakWords are the words of entity names that say little about which
// entity is meant; they count a third of their length.
var weakWords = map[string]bool{
	"co": true, "company": true, "ltd": true, "limited": true, "corp": true, "corporation": true, "inc": true,
	"llc": true, "sa": true, "de": true, "the": true, "of": true, "and": true, "group": true, "trading": true,
	"al": true, "el": true, "bin": true, "ibn": true, "abu": true, "gmbh": true, "llp": true, "jsc": true, "ooo": true,
}

func tokens(s string) []tok {
	words := normalizeName(s)
	out := make([]tok, len(words))
	for i, w := range words {
		out[i] = tok{raw: w, fold: foldKorean(w), w: float64(len([]rune(w)))}
		if weakWords[w] {
			out[i].w /= 3
		}
	}
	return out
}

// koreanSurnames folds the spellings of common Korean surnames (and of a few
// syllables that are spelled very differently) onto one. The variants are
// those of McCune-Reischauer, Revised Romanization and the UN's and OFAC's
// DPRK records (Kim/Gim, Lee/Ri/Rhee/Yi, Park/Pak/Bak, Choe/Choi, Ryu/Yu).
var koreanSurnames = map[string]string{
	"gim": "kim",
	"lee": "ri", "li": "ri", "yi": "ri", "rhee": "ri", "rhie": "ri", "rie": "ri", "lie": "ri", "i": "ri",
	"park": "pak", "bak": "pak", "pack": "pak", "pag": "pak",
	"choi": "choe", "chwe": "choe", "choy": "choe",
	"ryu": "yu", "yoo": "yu", "you": "yu", "ryoo": "yu", "rew": "yu",
	"rim": "rim", "lim": "rim", "im": "rim",
	"roh": "ro", "noh": "ro", "no": "ro", "rho": "ro",
	"oh":   "o",
	"shin": "sin", "seo": "so", "suh": "so", "seu": "so",
	"woo": "u", "wu": "u",
	"chul": "chol", "cheul": "chol",
	"ryang": "yang", "ryom": "yom", "ryo": "yo", "ryon": "yon",
	"eun": "un",
}

// foldKorean maps a token onto a romanization-neutral form: the surname
// table above, then the systematic differences between McCune-Reischauer
// and Revised Romanization (ch/j, k/g, p/b, t/d, o/eo, u/eu, ong/ung). Both
// sides of a comparison are folded, so the fold may merge spellings of
// other languages without harm: it only makes two tokens equal that a
// reader of romanized Korean would call equal.
func foldKorean(w string) string {
	if f, ok := koreanSurnames[w]; ok {
		return f
	}
	if len(w) > 12 || !isASCIILower(w) {
		return w
	}
	var b strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		next := byte(0)
		if i+1 < len(w) {
			next = w[i+1]
		}
		prev := byte(0)
		if i > 0 {
			prev = w[i-1]
		}
		switch {
		case c == 'e' && (next == 'o' || next == 'u') && prev != 0: // eo, eu
			continue
		case c == 'o' && next == 'u' && i+2 < len(w) && w[i+2] == 'n': // young
			b.WriteByte('o')
			i++
		case c == 'u' && next == 'n' && i+2 < len(w) && w[i+2] == 'g': // chung, sung
			b.WriteByte('o')
		case c == 'j':
			b.WriteString("ch")
		case c == 'g' && prev != 'n':
			b.WriteByte('k')
		case c == 'b':
			b.WriteByte('p')
		case c == 'd':
			b.WriteByte('t')
		case c == 's' && next == 'h':
			b.WriteByte('s')
			i++
		case c == 'l' && prev == 0:
			b.WriteByte('r')
		case c == 'o' && next == 'o': // soo
			b.WriteByte('u')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// jaroWinkler returns the Jaro-Winkler similarity of a and b in 0..1.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	if isASCII(a) && isASCII(b) {
		return jw([]byte(a), []byte(b))
	}
	return jw([]rune(a), []rune(b))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// jw is Jaro-Winkler over bytes (ASCII, the common case, without
// allocation: the conversions do not escape) or runes.
func jw[T byte | rune](ra, rb []T) float64 {
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	window := max(0, len(rb)/2-1)
	var fa, fb [64]bool
	var ma, mb []bool
	if len(rb) <= 64 {
		ma, mb = fa[:len(ra)], fb[:len(rb)]
	} else {
		ma, mb = make([]bool, len(ra)), make([]bool, len(rb))
	}
	m := 0
	for i, r := range ra {
		lo, hi := max(0, i-window), min(len(rb), i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && rb[j] == r {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, j := 0, 0
	for i := range ra {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if ra[i] != rb[j] {
			t++
		}
		j++
	}
	fm := float64(m)
	jaro := (fm/float64(len(ra)) + fm/float64(len(rb)) + (fm-float64(t)/2)/fm) / 3
	prefix := 0
	for prefix < 4 && prefix < len(ra) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// tokenSim compares two tokens (or joined runs of tokens): equal spellings
// score 1, equal romanization folds 0.98, otherwise Jaro-Winkler of the
// spellings or, a little discounted, of the folds. A single letter matches
// a token it is the initial of.
func tokenSim(araw, afold, braw, bfold string) float64 {
	if araw == braw {
		return 1
	}
	if afold == bfold {
		return 0.98
	}
	if len(araw) == 1 || len(braw) == 1 {
		if araw[0] == braw[0] {
			return 0.8
		}
		return 0
	}
	s := jaroWinkler(araw, braw)
	if f := 0.97 * jaroWinkler(afold, bfold); f > s {
		s = f
	}
	return s
}
