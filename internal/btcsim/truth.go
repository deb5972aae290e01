package btcsim

// Truth is the schema of DIR/truth.json: what really happened on a simulated
// chain. Amounts are satoshis. Haircut amounts are integer satoshis under
// the rounding rule of the package doc (largest remainder), so that they
// can be recomputed exactly and conserve the stolen amount exactly.
type Truth struct {
	Version  int    `json:"version"`  // schema version, 1
	Network  string `json:"network"`  // "mainnet" or "regtest"
	Seed     uint64 `json:"seed"`     // the seed the chain was made from
	Scenario string `json:"scenario"` // peel, coinjoin, dormant or mixed
	Blocks   int    `json:"blocks"`   // including the genesis block
	Txs      int64  `json:"txs"`      // all transactions, coinbases included
	TipHash  string `json:"tip_hash"`

	Thefts            []Theft      `json:"thefts"`
	StolenSats        int64        `json:"stolen_sats"`        // sum of the thefts' outpoints
	AttackerAddresses []string     `json:"attacker_addresses"` // every address the attacker controlled
	AttackerTxs       []AttackerTx `json:"attacker_txs"`       // every transaction the attacker signed, in chain order
	CashOuts          []CashOut    `json:"cash_outs"`          // every output the attacker paid to a service
	PeelChains        []PeelChain  `json:"peel_chains"`
	CoinJoins         []CoinJoin   `json:"coinjoins"` // every CoinJoin on the chain, background ones included
	Taint             TaintBalance `json:"taint"`

	Entities  []Entity   `json:"entities"`
	Exchanges []Exchange `json:"exchanges"`
	// Owners maps every address that appears on the chain to the id of the
	// entity that controls it.
	Owners map[string]string `json:"owners"`
	// DepositAddresses maps every exchange deposit address to its exchange's
	// entity id (customers' and the attacker's mule accounts alike).
	DepositAddresses map[string]string `json:"deposit_addresses"`
}

// Outpoint names one transaction output.
type Outpoint struct {
	Txid  string `json:"txid"`
	Vout  uint32 `json:"vout"`
	Value int64  `json:"value"`
}

// Theft is one transaction that moved coins out of the victim's hot wallet
// to the attacker. Outpoints are its outputs that the attacker received.
type Theft struct {
	Txid      string     `json:"txid"`
	Height    int        `json:"height"`
	Victim    string     `json:"victim"` // entity id of the robbed exchange
	Outpoints []Outpoint `json:"outpoints"`
	Amount    int64      `json:"amount"`
}

// AttackerTx is a transaction the attacker signed, with its role in the
// playbook: theft, split, peel, peel-end, tx0, whirlpool, wasabi,
// joinmarket, consolidate, dormant-hop or cash-out.
type AttackerTx struct {
	Txid   string `json:"txid"`
	Height int    `json:"height"`
	Role   string `json:"role"`
}

// CashOut is an output that an attacker transaction pays to a service
// address: an exchange deposit address (one of the attacker's mule
// accounts) or an OTC desk. HaircutSats is the part of it that derives from
// the theft. Tainted value that reaches services through others (the
// attacker's CoinJoin peers spending their tainted outputs) is not a
// cash-out; TaintBalance.OtherServices accounts for it.
type CashOut struct {
	Address      string  `json:"address"`
	Txid         string  `json:"txid"`
	Vout         uint32  `json:"vout"`
	Height       int     `json:"height"`
	Amount       int64   `json:"amount"`        // the output's whole value
	Service      string  `json:"service"`       // entity id of the exchange or OTC desk
	ServiceName  string  `json:"service_name"`  // its display name
	ServiceKind  string  `json:"service_kind"`  // exchange or otc
	HaircutSats  int64   `json:"haircut_sats"`  // the stolen part, satoshis
	HaircutShare float64 `json:"haircut_share"` // HaircutSats / Amount
	Poison       bool    `json:"poison"`        // poison taint reaches it
}

// PeelChain is one peel chain: Txids in order, each 1-in-2-out, each spending
// the previous one's continuing output. End, if set, is the transaction that
// cashed out what was left.
type PeelChain struct {
	Txids []string `json:"txids"`
	End   string   `json:"end,omitempty"`
}

// CoinJoin is one CoinJoin transaction.
type CoinJoin struct {
	Txid     string `json:"txid"`
	Height   int    `json:"height"`
	Kind     string `json:"kind"`     // whirlpool, wasabi or joinmarket
	Attacker bool   `json:"attacker"` // the attacker had inputs in it
}

// TaintBalance accounts for every stolen satoshi under the haircut model:
// CashOuts + OtherServices + Fees + Held == Stolen, exactly.
type TaintBalance struct {
	Stolen        int64 `json:"stolen"`
	CashOuts      int64 `json:"cash_outs"`      // sum of the cash-outs' haircut_sats
	OtherServices int64 `json:"other_services"` // reached services through the attacker's CoinJoin peers
	Fees          int64 `json:"fees"`           // paid to miners as fees by tainted transactions
	Held          int64 `json:"held"`           // still in unspent non-service outputs at the tip
}

func (b TaintBalance) balanced() bool {
	return b.CashOuts+b.OtherServices+b.Fees+b.Held == b.Stolen
}

// Entity is an owner of addresses.
type Entity struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // user, exchange, miner, coinjoin, attacker, otc
	Name string `json:"name,omitempty"`
}

// Exchange lists an exchange's hot wallet addresses. Its deposit addresses
// are the DepositAddresses entries that map to its ID.
type Exchange struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	HotWallets []string `json:"hot_wallets"`
	Victim     bool     `json:"victim"`
}

// Entity kinds.
const (
	KindUser     = "user"
	KindExchange = "exchange"
	KindMiner    = "miner"
	KindCoinJoin = "coinjoin"
	KindAttacker = "attacker"
	KindOTC      = "otc"
)

// Scenario names.
const (
	ScenarioPeel     = "peel"
	ScenarioCoinJoin = "coinjoin"
	ScenarioDormant  = "dormant"
	ScenarioMixed    = "mixed"
)

// Scenarios lists the scenario names, the default last.
var Scenarios = []string{ScenarioPeel, ScenarioCoinJoin, ScenarioDormant, ScenarioMixed}
