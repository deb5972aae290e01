package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/blkfile"
	"github.com/trawlhq/trawl/internal/btcindex"
	"github.com/trawlhq/trawl/internal/btcsim"
	"github.com/trawlhq/trawl/internal/config"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/tags"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// demoMarker marks a data dir as the demo's own, which the demo may wipe.
const demoMarker = ".trawl-demo"

func demoCommand() *command {
	return &command{name: "demo", summary: "start a hub on a fresh embedded store with demo organizations and keys",
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return errs.E(errs.Invalid, "demo takes no arguments, got %q", args[0])
			}
			if e.cfg.DB != "" {
				return errs.E(errs.Invalid, "the demo runs on the embedded store; unset --db / TRAWL_DB (use `trawl serve` for PostgreSQL)")
			}
			if e.cfg.Sources["data"] == config.FromDefault {
				e.cfg.DataDir = "./trawl-demo"
			}
			if err := freshDemoDir(e.cfg.DataDir); err != nil {
				return err
			}
			demo, err := seedDemo(ctx, e)
			if err != nil {
				return err
			}
			return e.serve(ctx, func(url string) {
				demo.URL = url
				e.print(demo, func(w io.Writer) { demo.writeText(w) })
			}, nil)
		}}
}

type demoInfo struct {
	URL        string            `json:"url"`
	DataDir    string            `json:"data_dir"`
	Keys       map[string]string `json:"keys"` // org name -> token
	Collection string            `json:"collection"`
	Chain      string            `json:"chain"`      // the simulated chain's block files and truth.json
	StolenBTC  float64           `json:"stolen_btc"` // of the simulated theft
	Shared     int               `json:"shared"`     // attacker addresses the FIU shared as indicators
	Example    string            `json:"example"`    // one of them, to screen
	Theft      string            `json:"theft"`      // the theft's txid, to trace from
	TracedBTC  float64           `json:"traced_btc"`
	// CashedOutBTC is what the haircut trace found paid into services'
	// deposit addresses (the thief's and, through CoinJoins, others').
	CashedOutBTC float64 `json:"cashed_out_btc"`
	Deposits     int     `json:"deposits"` // service deposit addresses the trace reached
	Deposit      string  `json:"deposit"`  // the largest, to look at
}

func (d *demoInfo) writeText(w io.Writer) {
	fmt.Fprintf(w, "\ntrawl demo hub is running at %s  (data in %s; Ctrl-C stops it)\n\n", d.URL, d.DataDir)
	fmt.Fprintf(w, "  hub operator admin key:        %s\n", d.Keys["hub"])
	fmt.Fprintf(w, "  financial intelligence unit:   %s\n", d.Keys["fiu"])
	fmt.Fprintf(w, "  exchange compliance:           %s\n\n", d.Keys["exchange"])
	fmt.Fprintf(w, "TAXII 2.1: discovery %s/taxii2/  collection %s/taxii2/hub/collections/%s/\n", d.URL, d.URL, d.Collection)
	fmt.Fprintf(w, "  (the FIU owns it; the exchange may read and write it)\n\n")
	fmt.Fprintf(w, "A Lazarus-style theft of %.2f BTC from an exchange was simulated (chain and ground truth in %s).\n", d.StolenBTC, d.Chain)
	fmt.Fprintf(w, "The FIU shared the thief's %d addresses as TLP:AMBER indicators with the exchange, which now screens against them:\n", d.Shared)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"addresses\":[\"%s\"]}' %s/api/v1/screen\n\n", d.Keys["exchange"], d.Example, d.URL)
	fmt.Fprintf(w, "The chain is indexed and the theft traced: %.2f BTC followed, %.2f BTC cashed out at %d exchange and OTC deposit addresses.\n", d.TracedBTC, d.CashedOutBTC, d.Deposits)
	fmt.Fprintf(w, "  web UI:  %s/ui/  (sign in with the FIU's key; trace from %s)\n", d.URL, d.Theft)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"from\":[\"%s\"],\"max_hops\":1000}' %s/api/v1/btc/trace\n", d.Keys["fiu"], d.Theft, d.URL)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' %s/api/v1/btc/exposure/%s\n\n", d.Keys["exchange"], d.URL, d.Deposit)
	fmt.Fprintf(w, "Try:\n  curl -H 'Authorization: Bearer %s' %s/api/v1/whoami\n", d.Keys["fiu"], d.URL)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' %s/taxii2/hub/collections/\n", d.Keys["exchange"], d.URL)
	fmt.Fprintf(w, "  curl -H 'Authorization: Bearer %s' %s/api/v1/orgs\n\n", d.Keys["hub"], d.URL)
}

// freshDemoDir empties dir if it is a previous demo's, and refuses to touch
// any other non-empty directory.
func freshDemoDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		entries = nil
	} else if err != nil {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return errs.E(errs.Invalid, "%s is not empty and is not a demo directory; choose another with --data", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, demoMarker), []byte("created by `trawl demo`; the demo deletes this directory when it starts again\n"), 0o600)
}

func seedDemo(ctx context.Context, e *env) (*demoInfo, error) {
	ids, err := e.identityService(ctx)
	if err != nil {
		return nil, err
	}
	d := &demoInfo{DataDir: e.cfg.DataDir, Keys: map[string]string{}}
	orgs := []struct {
		name, title string
		operator    bool
		role        identity.Role
	}{
		{"hub", "Demo hub operator", true, identity.RoleAdmin},
		{"fiu", "Demo Financial Intelligence Unit", false, identity.RoleAnalyst},
		{"exchange", "Demo Exchange (compliance)", false, identity.RoleAnalyst},
	}
	for _, o := range orgs {
		if _, err := ids.CreateOrg(ctx, o.name, o.title, o.operator); err != nil {
			return nil, err
		}
		_, token, err := ids.CreateKey(ctx, identity.KeyRequest{Org: o.name, Role: o.role, Name: "demo " + string(o.role)})
		if err != nil {
			return nil, err
		}
		d.Keys[o.name] = token
	}
	hub, err := e.taxiiService(ctx)
	if err != nil {
		return nil, err
	}
	fiu, err := ids.Store().OrgByName(ctx, "fiu")
	if err != nil {
		return nil, err
	}
	exchange, err := ids.Store().OrgByName(ctx, "exchange")
	if err != nil {
		return nil, err
	}
	c, err := hub.CreateCollection(ctx, fiu.ID, "Lazarus Group theft indicators", "Addresses and infrastructure of DPRK thefts, shared by the FIU with the exchange.", "lazarus", "amber", false)
	if err != nil {
		return nil, err
	}
	if err := hub.Grant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: exchange.ID, CanRead: true, CanWrite: true}); err != nil {
		return nil, err
	}
	d.Collection = c.ID

	// A simulated chain with a laundered theft; the FIU shares what it knows
	// about the thief on the hub.
	d.Chain = filepath.Join(e.cfg.DataDir, "chain")
	sum, err := btcsim.Simulate(ctx, btcsim.Options{Seed: 2025, Txs: 30_000, Dir: d.Chain, Scenario: btcsim.ScenarioMixed, Network: "mainnet"})
	if err != nil {
		return nil, fmt.Errorf("simulate the demo chain: %w", err)
	}
	d.StolenBTC = float64(sum.StolenSats) / 1e8
	raw, err := os.ReadFile(filepath.Join(d.Chain, "truth.json"))
	if err != nil {
		return nil, err
	}
	var truth btcsim.Truth
	if err := json.Unmarshal(raw, &truth); err != nil {
		return nil, err
	}
	var objs []json.RawMessage
	for i, a := range truth.AttackerAddresses {
		ind := map[string]any{
			"type": "indicator", "spec_version": "2.1", "id": "indicator--" + taxii.NewUUID(),
			"created": "2025-02-21T00:00:00.000Z", "modified": "2025-02-21T00:00:00.000Z",
			"name":            fmt.Sprintf("Address of the thief of the simulated exchange theft (%d of %d)", i+1, len(truth.AttackerAddresses)),
			"indicator_types": []string{"malicious-activity"}, "pattern": "[cryptocurrency-wallet:address = '" + a + "']",
			"pattern_type": "stix", "valid_from": "2025-02-21T00:00:00Z", "labels": []string{"lazarus", "theft"},
			"object_marking_refs": []string{stix.TLP2Amber},
		}
		b, _ := json.Marshal(ind)
		objs = append(objs, b)
	}
	st, err := hub.Import(ctx, fiu.ID, c.ID, objs)
	if err != nil {
		return nil, err
	}
	if st.FailureCount > 0 {
		return nil, fmt.Errorf("demo indicators refused: %s", st.Failures[0].Message)
	}
	d.Shared = st.SuccessCount
	if len(truth.AttackerAddresses) > 0 {
		d.Example = truth.AttackerAddresses[len(truth.AttackerAddresses)-1]
	}
	if err := analyseDemo(ctx, e, d, &truth); err != nil {
		return nil, fmt.Errorf("demo analysis: %w", err)
	}
	return d, nil
}

// analyseDemo indexes the demo chain, tags the exchanges' hot wallets and
// the OTC desks as an analyst's attribution file would, lists the thief's
// addresses as a law-enforcement list does, and traces the theft, so that
// the hub opens with the story told.
func analyseDemo(ctx context.Context, e *env, d *demoInfo, truth *btcsim.Truth) error {
	x, err := btcindex.Open(filepath.Join(e.cfg.DataDir, "btc"), btcindex.Options{})
	if err != nil {
		return err
	}
	defer x.Close()
	r, err := blkfile.Open(d.Chain)
	if err != nil {
		return err
	}
	defer r.Close()
	ch, err := r.Scan(ctx)
	if err != nil {
		return err
	}
	if err := x.Ingest(ctx, ch, nil); err != nil {
		return err
	}
	store, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	kind := map[string]btcsim.Entity{}
	for _, en := range truth.Entities {
		kind[en.ID] = en
	}
	var csv strings.Builder
	csv.WriteString("address,label,category,source\n")
	for _, xc := range truth.Exchanges {
		for _, a := range xc.HotWallets {
			fmt.Fprintf(&csv, "%s,%s,exchange,demo attribution (exchange hot wallets)\n", a, kind[xc.ID].Name)
		}
	}
	otc := make([]string, 0)
	for a, owner := range truth.Owners {
		if kind[owner].Kind == btcsim.KindOTC {
			otc = append(otc, a+","+kind[owner].Name)
		}
	}
	slices.Sort(otc)
	for _, l := range otc {
		fmt.Fprintf(&csv, "%s,otc,demo attribution (OTC desks)\n", l)
	}
	if _, _, err := importTags(ctx, store, "demo-attribution", "demo-attribution", []byte(csv.String()), tags.ParseCSV); err != nil {
		return err
	}
	list := strings.Join(truth.AttackerAddresses, "\n") + "\n"
	entries, meta, err := watchlist.ParseAddressList(strings.NewReader(list), "demo-fbi", "TraderTraitor (simulated theft; demo law-enforcement list)")
	if err != nil {
		return err
	}
	if _, err := watchlist.Import(ctx, store, "demo-fbi", entries, meta, "", identity.NewID("imp"), time.Now()); err != nil {
		return err
	}
	// Trace the theft the way the investigator will.
	sc, rd, err := e.operatorScreener(ctx)
	if err != nil {
		return err
	}
	o, err := e.analysisOptions(ctx, x, sc)
	if err != nil {
		return err
	}
	en, err := analysis.Open(ctx, x, o)
	if err != nil {
		return err
	}
	var from []string
	for _, th := range truth.Thefts {
		from = append(from, th.Txid)
	}
	v, err := en.Trace(ctx, analysis.TraceRequest{From: from, Model: "haircut", MaxHops: 1000}, rd)
	if err != nil {
		return err
	}
	d.Theft = from[0]
	d.TracedBTC = float64(v.Totals.Source) / 1e8
	d.CashedOutBTC = float64(v.Totals.CashOut) / 1e8
	deposits := map[string]bool{}
	for _, res := range v.Results {
		if res.Kind == "cashout" {
			deposits[res.Address] = true
			if d.Deposit == "" {
				d.Deposit = res.Address
			}
		}
	}
	d.Deposits = len(deposits)
	return nil
}
