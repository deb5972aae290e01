package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/screening"
	"github.com/trawlhq/trawl/internal/watchlist"
)

// listImporters are the `trawl import` subcommands for watchlists.
func listImporters() []*command {
	one := func(name, summary string, source watchlist.Source, parse func(io.Reader) ([]watchlist.Entry, watchlist.Meta, error)) *command {
		var showDiff bool
		return &command{name: name, summary: summary, usage: "FILE",
			flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&showDiff, "diff", false, "print the entries added, removed and changed")
			},
			run: func(ctx context.Context, e *env, args []string) error {
				path, err := oneArg(args, "the file to import")
				if err != nil {
					return err
				}
				data, err := os.ReadFile(path)
				if err != nil {
					return errs.E(errs.Invalid, "%v", err)
				}
				return e.importList(ctx, source, data, parse, showDiff)
			}}
	}
	var source, label string
	var showDiff bool
	addresses := &command{name: "addresses", summary: "import a plain address list (one per line, or address,label)", usage: "FILE",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&source, "source", "", "the list's source, e.g. fbi-tradertraitor (required)")
			fs.StringVar(&label, "label", "", "what the addresses are, e.g. \"TraderTraitor (Bybit theft, FBI PSA I-022625-PSA)\" (required)")
			fs.BoolVar(&showDiff, "diff", false, "print the entries added, removed and changed")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			path, err := oneArg(args, "the file to import")
			if err != nil {
				return err
			}
			if source == "" || label == "" {
				return errs.E(errs.Invalid, "--source and --label are required")
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return errs.E(errs.Invalid, "%v", err)
			}
			return e.importList(ctx, watchlist.Source(source), data, func(r io.Reader) ([]watchlist.Entry, watchlist.Meta, error) {
				return watchlist.ParseAddressList(r, watchlist.Source(source), label)
			}, showDiff)
		}}
	var comments string
	ofacCSV := &command{name: "ofac-csv", summary: "import OFAC's legacy sdn.csv (with --comments sdn_comments.csv)", usage: "SDN.CSV",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&comments, "comments", "", "sdn_comments.csv, where long remarks (and their addresses) overflow")
			fs.BoolVar(&showDiff, "diff", false, "print the entries added, removed and changed")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			path, err := oneArg(args, "sdn.csv")
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return errs.E(errs.Invalid, "%v", err)
			}
			var cm []byte
			if comments != "" {
				if cm, err = os.ReadFile(comments); err != nil {
					return errs.E(errs.Invalid, "%v", err)
				}
			}
			return e.importList(ctx, watchlist.SourceOFACCSV, append(data, cm...), func(io.Reader) ([]watchlist.Entry, watchlist.Meta, error) {
				var c io.Reader
				if cm != nil {
					c = bytes.NewReader(cm)
				}
				return watchlist.ParseOFACCSV(bytes.NewReader(data), c)
			}, showDiff)
		}}
	return []*command{
		one("ofac", "import the OFAC SDN Advanced XML (plain or .bz2)", watchlist.SourceOFACSDN, watchlist.ParseOFACAdvanced),
		ofacCSV,
		one("un", "import the UN Security Council consolidated list XML", watchlist.SourceUN, watchlist.ParseUN),
		addresses,
		one("oracle", "import sanctions-oracle events (JSON)", watchlist.SourceOracle, watchlist.ParseOracleEvents),
	}
}

// importList parses data and makes it the current list of source.
func (e *env) importList(ctx context.Context, source watchlist.Source, data []byte, parse func(io.Reader) ([]watchlist.Entry, watchlist.Meta, error), showDiff bool) error {
	start := time.Now()
	entries, meta, err := parse(bytes.NewReader(data))
	if err != nil {
		return err
	}
	store, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	rec, err := watchlist.Import(ctx, store, source, entries, meta, hex.EncodeToString(sum[:]), identity.NewID("imp"), time.Now())
	if err != nil {
		return err
	}
	for _, p := range meta.Problems {
		e.log.Warn("list problem", "source", source, "uid", p.UID, "value", p.Value, "problem", p.Message)
	}
	out := *rec
	if !showDiff {
		out.Diff = watchlist.Diff{}
	}
	return e.print(out, func(w io.Writer) {
		if rec.Unchanged {
			fmt.Fprintf(w, "%s: unchanged since the last import (%d entries)\n", source, rec.Entries)
			return
		}
		fmt.Fprintf(w, "%s: %d entries, %d addresses (%d invalid) in %s: %d added, %d removed, %d changed\n",
			source, rec.Entries, rec.Addresses, rec.Invalid, time.Since(start).Round(time.Millisecond), rec.Added, rec.Removed, rec.Changed)
	})
}

func screenCommand() *command {
	var names multiFlag
	return &command{name: "screen", summary: "screen addresses (and names with --name) against every list and the hub", usage: "ADDRESS...",
		flags: func(fs *flag.FlagSet) {
			fs.Var(&names, "name", "a name of a person, entity or vessel to screen (repeatable)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) == 0 && len(names) == 0 {
				return errs.E(errs.Invalid, "give addresses to screen, or --name")
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			hub, err := e.taxiiService(ctx)
			if err != nil {
				return err
			}
			sc := screening.New(store, hub)
			if err := sc.Refresh(ctx, true); err != nil {
				return err
			}
			// The operator on this machine sees every hub hit.
			rd := &screening.Reader{Readable: map[string]bool{}}
			cols, err := hub.Store().ListCollections(ctx)
			if err != nil {
				return err
			}
			for _, c := range cols {
				rd.Readable[c.ID] = true
			}
			rd.Sharing.OrgID = "operator"
			for _, res := range sc.Screen(ctx, rd, args) {
				if err := e.print(res, func(w io.Writer) {
					state := "not listed"
					if res.Listed {
						state = "LISTED"
					}
					fmt.Fprintf(w, "%s  %s %v", res.Address, state, res.Chains)
					if res.Error != "" {
						fmt.Fprintf(w, "  (%s)", res.Error)
					}
					fmt.Fprintln(w)
					for _, h := range res.Hits {
						fmt.Fprintf(w, "    %s %s %s %v %s %s TLP:%s\n", h.Source, h.UID, h.Name, h.Programs, h.Currency, h.Listed, h.TLP)
					}
				}); err != nil {
					return err
				}
			}
			for i, hits := range sc.ScreenNames(names, watchlist.NameOptions{}) {
				if err := e.print(map[string]any{"name": names[i], "hits": hits}, func(w io.Writer) {
					fmt.Fprintf(w, "%q: %d hits\n", names[i], len(hits))
					for _, h := range hits {
						fmt.Fprintf(w, "    %.3f %s %s %s (matched %q)\n", h.Score, h.Source, h.UID, h.Name, h.Matched)
					}
				}); err != nil {
					return err
				}
			}
			return nil
		}}
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// Official addresses of the lists `trawl sanctions update` downloads.
const (
	ofacAdvancedURL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ADVANCED.XML"
	unListURL       = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
)

func sanctionsCommand() *command {
	var ofacURL, unURL string
	update := &command{name: "update", summary: "download the OFAC SDN Advanced XML and the UN consolidated list and import them",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&ofacURL, "ofac-url", ofacAdvancedURL, "where to get the OFAC SDN Advanced XML")
			fs.StringVar(&unURL, "un-url", unListURL, "where to get the UN consolidated list")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			client := &http.Client{Timeout: 10 * time.Minute}
			for _, l := range []struct {
				source watchlist.Source
				url    string
				parse  func(io.Reader) ([]watchlist.Entry, watchlist.Meta, error)
			}{{watchlist.SourceOFACSDN, ofacURL, watchlist.ParseOFACAdvanced}, {watchlist.SourceUN, unURL, watchlist.ParseUN}} {
				e.log.Info("downloading", "source", l.source, "url", l.url)
				req, err := http.NewRequestWithContext(ctx, "GET", l.url, nil)
				if err != nil {
					return errs.E(errs.Invalid, "%s: %v", l.url, err)
				}
				resp, err := client.Do(req)
				if err != nil {
					return fmt.Errorf("download %s: %w", l.source, err)
				}
				data, err := io.ReadAll(io.LimitReader(resp.Body, 2<<30))
				resp.Body.Close()
				if err != nil {
					return fmt.Errorf("download %s: %w", l.source, err)
				}
				if resp.StatusCode != 200 {
					return fmt.Errorf("download %s: %s answered %d", l.source, l.url, resp.StatusCode)
				}
				if err := e.importList(ctx, l.source, data, l.parse, false); err != nil {
					return fmt.Errorf("%s: %w", l.source, err)
				}
			}
			return nil
		}}
	return &command{name: "sanctions", summary: "keep the official sanctions lists current", subs: []*command{update}}
}
