package tags

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/trawlhq/trawl/internal/address"
	"github.com/trawlhq/trawl/internal/errs"
)

// Chain names a ledger in lower case: "btc", "eth", "trx", ... It is the
// lower-case form of an address.Chain.
type Chain string

// The chains trawl indexes or will index.
const (
	BTC Chain = "btc"
	ETH Chain = "eth"
)

// ChainOf returns the tag chain of an address package chain.
func ChainOf(c address.Chain) Chain { return Chain(strings.ToLower(string(c))) }

// AddressChain returns the address package chain of c.
func (c Chain) AddressChain() address.Chain { return address.Chain(strings.ToUpper(string(c))) }

// Tag is one attribution of an address.
type Tag struct {
	Pack           string    `json:"pack,omitempty"` // set on import
	Chain          Chain     `json:"chain"`
	Address        string    `json:"address"`                   // canonical text (address.Address.Text)
	Key            string    `json:"key"`                       // lookup key (address.Key)
	Cluster        string    `json:"cluster,omitempty"`         // the source's own cluster or entity id, a hint only
	ClusterDefiner bool      `json:"cluster_definer,omitempty"` // the source says the tag holds for the address's whole cluster
	Label          string    `json:"label"`
	Actor          string    `json:"actor,omitempty"` // who controls it, e.g. "binance", "lazarus-group"
	Category       Category  `json:"category"`
	Abuse          Category  `json:"abuse,omitempty"`    // a second category when the file gives both (a sanctioned exchange)
	Concepts       []string  `json:"concepts,omitempty"` // the taxonomy terms of the file, where they differ from Category and Abuse
	Source         string    `json:"source"`             // who says so: a URL, a report
	Confidence     int       `json:"confidence"`         // 0..100
	Currency       string    `json:"currency,omitempty"` // as given (BTC, USDT, ...); the chain's code when none is
	LastMod        time.Time `json:"lastmod,omitzero"`
	IsPublic       bool      `json:"is_public"`
}

// ID is what identifies a tag within its pack.
type ID struct {
	Source, Key, Label string
	Chain              Chain
}

// ID returns t's identity within its pack.
func (t *Tag) ID() ID { return ID{Source: t.Source, Chain: t.Chain, Key: t.Key, Label: t.Label} }

// Limits on the text of a tag. They keep a store's keys within index limits
// and refuse what is no label but a pasted document.
const (
	MaxLabel  = 500  // bytes
	MaxSource = 1000 // bytes
	MaxActor  = 200  // bytes
	MaxPack   = 200  // bytes
	MaxOther  = 200  // bytes: cluster, currency
)

// Category is what kind of party controls an address.
type Category string

// The categories. See the package documentation for what a service is.
const (
	Exchange         Category = "exchange"
	OTC              Category = "otc"
	Mixer            Category = "mixer"
	Gambling         Category = "gambling"
	PaymentProcessor Category = "payment_processor"
	MiningPool       Category = "mining_pool"
	DarknetMarket    Category = "darknet_market"
	Ransomware       Category = "ransomware"
	Scam             Category = "scam"
	Sanctioned       Category = "sanctioned"
	StolenFunds      Category = "stolen_funds"
	Perpetrator      Category = "perpetrator"
	DeFi             Category = "defi"
	Bridge           Category = "bridge"
	Other            Category = "other"
)

// Categories returns the vocabulary, services first.
func Categories() []Category {
	return []Category{Exchange, OTC, Mixer, Gambling, PaymentProcessor, MiningPool, DarknetMarket, DeFi, Bridge,
		Sanctioned, StolenFunds, Perpetrator, Scam, Ransomware, Other}
}

// IsService reports whether c is a service: a business that holds many
// parties' coins, where tracing stops.
func IsService(c Category) bool {
	switch c {
	case Exchange, OTC, Mixer, Gambling, PaymentProcessor, MiningPool, DarknetMarket, DeFi, Bridge:
		return true
	}
	return false
}

// synonyms maps the terms that files use onto the vocabulary: the
// categories' own names, the concepts of the INTERPOL Dark Web and Virtual
// Assets taxonomy (entity and abuse schemes, and GraphSense's merged concept
// scheme), and common words. Terms are folded by normTerm first.
var synonyms = map[string]Category{
	// exchange
	"exchange": Exchange, "cex": Exchange, "centralized_exchange": Exchange, "centralised_exchange": Exchange,
	"crypto_exchange": Exchange, "vasp": Exchange, "atm": Exchange, "crypto_atm": Exchange, "bitcoin_atm": Exchange,
	"instant_exchange": Exchange, "no_kyc_exchange": Exchange, "high_risk_exchange": Exchange,
	// otc
	"otc": OTC, "otc_desk": OTC, "otc_broker": OTC, "over_the_counter": OTC, "broker": OTC, "p2p_exchange": OTC,
	"p2p": OTC,
	// mixer
	"mixer": Mixer, "mixing_service": Mixer, "mixing": Mixer, "tumbler": Mixer, "coinjoin": Mixer,
	"coin_mixer": Mixer, "privacy_protocol": Mixer,
	// gambling
	"gambling": Gambling, "gambling_service": Gambling, "casino": Gambling, "betting": Gambling,
	"online_gambling": Gambling,
	// payment processor
	"payment_processor": PaymentProcessor, "payment_service": PaymentProcessor, "payment_gateway": PaymentProcessor,
	"merchant_services": PaymentProcessor,
	// mining pool
	"mining_pool": MiningPool, "miner": MiningPool, "mining_service": MiningPool, "mining": MiningPool,
	"pool": MiningPool,
	// darknet market
	"darknet_market": DarknetMarket, "market": DarknetMarket, "marketplace": DarknetMarket, "dnm": DarknetMarket,
	"dark_web": DarknetMarket, "darknet": DarknetMarket, "darkweb_market": DarknetMarket, "dark_market": DarknetMarket,
	// ransomware
	"ransomware": Ransomware,
	// scam
	"scam": Scam, "fraud": Scam, "phishing": Scam, "ponzi_scheme": Scam, "pyramid_scheme": Scam,
	"investment_fraud": Scam, "extortion": Scam, "sextortion": Scam, "payment_card_fraud": Scam, "ponzi": Scam,
	"fraud_shop": Scam,
	// sanctioned
	"sanctioned": Sanctioned, "sanction": Sanctioned, "sanctions": Sanctioned, "sanctioned_entity": Sanctioned,
	"sdn": Sanctioned, "ofac": Sanctioned,
	// stolen funds
	"stolen_funds": StolenFunds, "stolen": StolenFunds, "service_hack": StolenFunds, "hack": StolenFunds,
	"theft": StolenFunds, "hacked_funds": StolenFunds, "exploit": StolenFunds, "stolen_coins": StolenFunds,
	// perpetrator: someone who committed a crime, with the abuses that name a
	// criminal actor rather than a business
	"perpetrator": Perpetrator, "hacker": Perpetrator, "attacker": Perpetrator, "thief": Perpetrator,
	"exploiter": Perpetrator, "threat_actor": Perpetrator, "apt": Perpetrator, "terrorism": Perpetrator,
	"terrorist_financing": Perpetrator, "extremism": Perpetrator, "child_sexual_abuse": Perpetrator,
	"sexual_abuse": Perpetrator, "violence": Perpetrator, "torture": Perpetrator, "abuse": Perpetrator,
	"money_laundering": Perpetrator,
	// defi
	"defi": DeFi, "defi_lending": DeFi, "defi_dex": DeFi, "defi_derivative": DeFi, "defi_derivatives": DeFi,
	"dex": DeFi, "decentralized_exchange": DeFi, "lending": DeFi, "lending_protocol": DeFi,
	// bridge
	"bridge": Bridge, "defi_bridge": Bridge, "cross_chain_bridge": Bridge,
	// other: taxonomy concepts that say nothing this vocabulary can use
	"other": Other, "unknown": Other, "entity": Other, "organization": Other, "user": Other, "victim": Other,
	"donation": Other, "service": Other, "wallet_service": Other, "escrow_wallet": Other, "ico_wallet": Other,
	"cold_wallet": Other, "hot_wallet": Other, "warm_wallet": Other, "filesharing": Other, "index": Other,
	"messaging_service": Other, "search_engine": Other, "shop": Other, "faucet": Other, "hosting": Other,
	"vpn": Other, "item": Other, "collectible": Other, "concept": Other, "behaviour": Other, "gray_usage": Other,
	"white_usage": Other, "financial_crime": Other, "source": Other, "mention": Other, "forum_mention": Other,
	"website_mention": Other, "wallet": Other, "individual": Other, "company": Other,
}

// normTerm folds a taxonomy term: lower case, with spaces, hyphens and dots
// as underscores ("OTC desk" → "otc_desk").
func normTerm(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '/':
			return '_'
		}
		return r
	}, s)
}

// ParseCategory maps a term to its category. An unknown term is an
// errs.Invalid error that lists the vocabulary.
func ParseCategory(s string) (Category, error) {
	if c, ok := synonyms[normTerm(s)]; ok {
		return c, nil
	}
	names := make([]string, 0, len(Categories()))
	for _, c := range Categories() {
		names = append(names, string(c))
	}
	return "", errs.E(errs.Invalid, "unknown category %q: want one of %s, or a term of the INTERPOL/GraphSense taxonomy", clip(s), strings.Join(names, ", "))
}

// confidenceLevels are the levels of GraphSense's confidence table.
var confidenceLevels = map[string]int{
	"override":              100,
	"ownership":             100,
	"manual_transaction":    90,
	"service_api":           70,
	"authority_data":        60,
	"trusted_provider":      50,
	"service_data":          50,
	"forensic":              50,
	"untrusted_transaction": 40,
	"web_crawl":             20,
	"heuristic":             10,
	"unknown":               5,
}

// DefaultConfidence is the confidence of a tag that gives none: the level of
// "unknown".
const DefaultConfidence = 5

// ParseConfidence reads a confidence name of the TagPack taxonomy
// ("ownership", "web_crawl", ...) or a number from 0 to 100.
func ParseConfidence(s string) (int, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.Atoi(t); err == nil {
		if n < 0 || n > 100 {
			return 0, errs.E(errs.Invalid, "confidence %d: want 0 to 100", n)
		}
		return n, nil
	}
	if n, ok := confidenceLevels[normTerm(t)]; ok {
		return n, nil
	}
	names := make([]string, 0, len(confidenceLevels))
	for k := range confidenceLevels {
		names = append(names, k)
	}
	slices.Sort(names)
	return 0, errs.E(errs.Invalid, "unknown confidence %q: want a number from 0 to 100 or one of %s", clip(t), strings.Join(names, ", "))
}

// chainNames maps the long names some files use to chain codes.
var chainNames = map[string]address.Chain{
	"BITCOIN": address.BTC, "XBT": address.BTC, "ETHEREUM": address.ETH, "TRON": address.TRX,
	"LITECOIN": address.LTC, "BITCOIN_CASH": address.BCH, "BITCOINCASH": address.BCH, "ZCASH": address.ZEC,
	"MONERO": address.XMR, "RIPPLE": address.XRP, "SOLANA": address.SOL, "DASHCOIN": address.DASH,
	"ARBITRUM": address.ARB, "BINANCE_SMART_CHAIN": address.BSC, "BNB_SMART_CHAIN": address.BSC,
	"ETHEREUM_CLASSIC": address.ETC,
}

// parseAddress validates addr on the chain named by network, else by
// currency, else on the chain it is most likely an address of. A currency
// that lives on several chains (USDT) accepts an address of any of them.
// When the chain is what is wrong, the error is a *fieldError naming the
// field that named it.
func parseAddress(addr, network, currency string) (address.Address, error) {
	name, field := network, "network"
	if name == "" {
		name, field = currency, "currency"
	}
	if name == "" {
		return address.Parse(addr, "")
	}
	code := strings.ToUpper(normTerm(name))
	if c, ok := chainNames[code]; ok {
		code = string(c)
	}
	if slices.Contains(address.Chains(), address.Chain(code)) {
		return address.Parse(addr, address.Chain(code))
	}
	cands := address.ChainOfSDN(code)
	if len(cands) == 0 {
		return address.Address{}, &fieldError{field, fmt.Sprintf("unknown chain or currency %q", clip(name))}
	}
	var first error
	for _, c := range cands {
		a, err := address.Parse(addr, c)
		if err == nil {
			return a, nil
		}
		if first == nil {
			first = err
		}
	}
	return address.Address{}, first
}

// checkText refuses what cannot be a line of text: control characters,
// invalid UTF-8, and more than max bytes.
func checkText(s string, max int) error {
	if len(s) > max {
		return errs.E(errs.Invalid, "%d bytes, at most %d", len(s), max)
	}
	if !utf8.ValidString(s) {
		return errs.E(errs.Invalid, "not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return errs.E(errs.Invalid, "control character %U", r)
		}
	}
	return nil
}

// CheckPack validates a pack name.
func CheckPack(name string) error {
	if strings.TrimSpace(name) == "" {
		return errs.E(errs.Invalid, "tags: empty pack name")
	}
	if err := checkText(name, MaxPack); err != nil {
		return errs.E(errs.Invalid, "tags: pack name: %s", errs.MessageOf(err))
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 80
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// ErrMalformed is the cause of every ParseError.
var ErrMalformed = errs.E(errs.Invalid, "tags: malformed tag file")

// ParseError is what stopped a parser: where, and what is wrong.
type ParseError struct {
	Format string // "TagPack" or "CSV"
	Line   int    // 1-based; 0 when unknown
	Tag    int    // 1-based position of the tag in the file; 0 for a TagPack's header or the CSV header
	Field  string // "address", "category", ...; "" when the problem is the file's shape
	Msg    string
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("tags: ")
	b.WriteString(e.Format)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Tag > 0 {
		fmt.Fprintf(&b, ", tag %d", e.Tag)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap gives the error its errs.Invalid code with the full message, so
// that a transport shows the caller where the problem is.
func (e *ParseError) Unwrap() error {
	return &errs.Error{Code: errs.Invalid, Message: e.Error(), Err: ErrMalformed}
}

// Meta describes a parsed file.
type Meta struct {
	Format      string `json:"format"`
	Title       string `json:"title,omitempty"` // a TagPack's title
	Creator     string `json:"creator,omitempty"`
	Description string `json:"description,omitempty"`
	Tags        int    `json:"tags"`
	Duplicates  int    `json:"duplicates"` // tags with the identity of an earlier one, dropped
}

// fields are the raw values of one tag, before validation.
type fields struct {
	address, network, currency, label, source, actor, category, abuse, confidence, cluster, lastmod string
	concepts                                                                                        []string
	clusterDefiner, isPublic                                                                        bool
}

// build validates raw values into a Tag; errors name the field through
// fieldError.
func (f *fields) build() (Tag, *fieldError) {
	var t Tag
	if strings.TrimSpace(f.address) == "" {
		return t, &fieldError{"address", "missing: every tag needs an address"}
	}
	a, err := parseAddress(f.address, f.network, f.currency)
	if fe, ok := err.(*fieldError); ok {
		return t, fe
	}
	if err != nil {
		return t, &fieldError{"address", errs.MessageOf(err)}
	}
	t.Chain, t.Address, t.Key = ChainOf(a.Chain), a.Text, a.Key
	t.Currency = strings.ToUpper(strings.TrimSpace(f.currency))
	if t.Currency == "" {
		t.Currency = string(a.Chain)
	}
	for _, v := range []struct {
		name string
		dst  *string
		val  string
		max  int
		need bool
	}{
		{"label", &t.Label, f.label, MaxLabel, true},
		{"source", &t.Source, f.source, MaxSource, true},
		{"actor", &t.Actor, f.actor, MaxActor, false},
		{"cluster", &t.Cluster, f.cluster, MaxOther, false},
		{"currency", &t.Currency, t.Currency, MaxOther, false},
	} {
		s := strings.TrimSpace(v.val)
		if s == "" && v.need {
			return t, &fieldError{v.name, "missing"}
		}
		if err := checkText(s, v.max); err != nil {
			return t, &fieldError{v.name, errs.MessageOf(err)}
		}
		*v.dst = s
	}
	if err := t.setCategories(f.category, f.abuse, f.concepts); err != nil {
		return t, err
	}
	t.Confidence = DefaultConfidence
	if f.confidence != "" {
		if t.Confidence, err = ParseConfidence(f.confidence); err != nil {
			return t, &fieldError{"confidence", errs.MessageOf(err)}
		}
	}
	if f.lastmod != "" {
		if t.LastMod, err = parseTime(f.lastmod); err != nil {
			return t, &fieldError{"lastmod", errs.MessageOf(err)}
		}
	}
	t.ClusterDefiner, t.IsPublic = f.clusterDefiner, f.isPublic
	return t, nil
}

// setCategories derives Category and Abuse: the file's category when it says
// something, else its abuse, else its first concept that does; Other when
// nothing does. Terms that are not the categories' own names are kept in
// Concepts, so that no word of the file is lost.
func (t *Tag) setCategories(category, abuse string, concepts []string) *fieldError {
	var cat, ab Category
	var kept []string
	keep := func(term string, c Category) {
		if n := normTerm(term); n != string(c) && !slices.Contains(kept, n) {
			kept = append(kept, n)
		}
	}
	for _, v := range []struct {
		name, term string
		dst        *Category
	}{{"category", category, &cat}, {"abuse", abuse, &ab}} {
		if strings.TrimSpace(v.term) == "" {
			continue
		}
		c, err := ParseCategory(v.term)
		if err != nil {
			return &fieldError{v.name, errs.MessageOf(err)}
		}
		*v.dst = c
		keep(v.term, c)
	}
	var fromConcepts Category
	for _, term := range concepts {
		c, err := ParseCategory(term)
		if err != nil {
			return &fieldError{"concepts", errs.MessageOf(err)}
		}
		if fromConcepts == "" && c != Other {
			fromConcepts = c
		}
		keep(term, c)
	}
	if cat == "" || cat == Other {
		switch {
		case ab != "" && ab != Other:
			cat, ab = ab, ""
		case fromConcepts != "":
			cat = fromConcepts
		}
	}
	if cat == "" {
		cat = Other
	}
	if ab == cat || ab == Other {
		ab = ""
	}
	t.Category, t.Abuse, t.Concepts = cat, ab, kept
	return nil
}

// fieldError is a problem with one field of a tag; the parser adds where.
type fieldError struct{ field, msg string }

func (e *fieldError) Error() string { return e.field + ": " + e.msg }

// parseTime reads a date (2019-03-15) or a date and time (RFC 3339, or with
// a space instead of the T).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errs.E(errs.Invalid, "%q is no date: want 2006-01-02 or an RFC 3339 time", clip(s))
}

// dedupe drops tags whose identity an earlier tag has, returning how many.
func dedupe(ts []Tag) ([]Tag, int) {
	seen := make(map[ID]bool, len(ts))
	out := ts[:0]
	for _, t := range ts {
		id := t.ID()
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, t)
	}
	return out, len(ts) - len(out)
}
