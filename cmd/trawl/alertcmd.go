package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/errs"
)

// alertService is the alert rules over the configured store and hub.
func (e *env) alertService(ctx context.Context) (*alert.Service, error) {
	store, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	hub, err := e.taxiiService(ctx)
	if err != nil {
		return nil, err
	}
	return alert.NewService(alert.Options{Store: store, Sources: hub, Directory: store}), nil
}

func alertCommand() *command {
	return &command{name: "alert", summary: "raise, list and acknowledge alerts on a hub (over its REST API)", subs: []*command{
		alertSendCommand(), alertListCommand(), alertAckCommand(),
	}}
}

// hubFlags reach a hub's REST API with an API key.
type hubFlags struct{ url, keyFile string }

func (h *hubFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.url, "url", "", "the hub's base URL (else TRAWL_URL, else http://127.0.0.1:8080)")
	fs.StringVar(&h.keyFile, "key-file", "", "file holding your API key (else TRAWL_KEY)")
}

// call sends one JSON request and decodes the answer into out; a JSON
// error answer becomes an error with the server's message.
func (h *hubFlags) call(ctx context.Context, e *env, method, path string, in, out any) error {
	base := h.url
	if base == "" {
		base, _ = e.m.LookupEnv("TRAWL_URL")
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errs.E(errs.Invalid, "--url %q: want the hub's http(s)://host:port", base)
	}
	key, _ := e.m.LookupEnv("TRAWL_KEY")
	if h.keyFile != "" {
		b, err := os.ReadFile(h.keyFile)
		if err != nil {
			return errs.E(errs.Invalid, "--key-file: %v", err)
		}
		key = strings.TrimSpace(string(b))
	}
	if key == "" {
		return errs.E(errs.Invalid, "give your API key with --key-file or TRAWL_KEY")
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(base, "/")+path, body)
	if err != nil {
		return errs.E(errs.Invalid, "%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		var eb struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(b, &eb) == nil && eb.Error.Message != "" {
			if res.StatusCode/100 == 4 {
				return errs.E(errs.Invalid, "the hub answered %d: %s", res.StatusCode, eb.Error.Message)
			}
			return fmt.Errorf("the hub answered %d: %s", res.StatusCode, eb.Error.Message)
		}
		return fmt.Errorf("the hub answered %d", res.StatusCode)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func alertSendCommand() *command {
	var h hubFlags
	var to, kind, marking, note string
	var addrs, sources listFlag
	return &command{name: "send", summary: "raise an alert to an organization about addresses it holds",
		flags: func(fs *flag.FlagSet) {
			h.register(fs)
			fs.StringVar(&to, "to", "", "the addressee organization (required); it must be able to read every source")
			fs.StringVar(&kind, "kind", "indicator", "deposit (traced funds reached its deposit) or indicator (intelligence names its address)")
			fs.Var(&addrs, "address", "CHAIN:ADDRESS the alert is about, e.g. btc:bc1q... (repeat)")
			fs.Var(&sources, "source", "STIX id the alert derives from (repeat; at least one)")
			fs.StringVar(&marking, "marking", "", "TLP level; default and lower bound: the narrowest source's")
			fs.StringVar(&note, "note", "", "what the addressee should do")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return errs.E(errs.Invalid, "alert send takes flags only, got %q", args[0])
			}
			req := alert.Request{To: to, Kind: alert.Kind(kind), Sources: sources, Marking: marking, Note: note}
			for _, a := range addrs {
				chain, addr, ok := strings.Cut(a, ":")
				if !ok {
					return errs.E(errs.Invalid, "--address %q: write CHAIN:ADDRESS, e.g. btc:%s", a, a)
				}
				req.Subjects = append(req.Subjects, alert.Subject{Chain: chain, Address: addr})
			}
			var a alert.Alert
			if err := h.call(ctx, e, "POST", "/api/v1/alerts", req, &a); err != nil {
				return err
			}
			return e.print(a, func(w io.Writer) {
				fmt.Fprintf(w, "raised %s alert %s to %s (%s, %d addresses)\n", a.Kind, a.ID, a.ToName, strings.ToUpper(a.Marking), len(a.Subjects))
			})
		}}
}

func alertListCommand() *command {
	var h hubFlags
	var box, status, kind string
	var limit int
	return &command{name: "list", summary: "list your organization's alerts, newest first (JSON lines with --json)",
		flags: func(fs *flag.FlagSet) {
			h.register(fs)
			fs.StringVar(&box, "box", "", "inbox or sent (both when empty)")
			fs.StringVar(&status, "status", "", "new, acknowledged or closed")
			fs.StringVar(&kind, "kind", "", "deposit or indicator")
			fs.IntVar(&limit, "limit", 100, "at most this many")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"box": box, "status": status, "kind": kind} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var all []alert.Alert
			for len(all) < limit {
				q.Set("limit", fmt.Sprint(min(limit-len(all), alert.MaxPage)))
				var page struct {
					Alerts []alert.Alert
					More   bool
					Next   string
				}
				if err := h.call(ctx, e, "GET", "/api/v1/alerts?"+q.Encode(), nil, &page); err != nil {
					return err
				}
				all = append(all, page.Alerts...)
				if !page.More {
					break
				}
				q.Set("next", page.Next)
			}
			if e.json {
				for _, a := range all {
					if err := writeJSONLine(e.out, a); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(e.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCREATED\tKIND\tFROM\tTO\tTLP\tSTATUS\tADDRESSES")
			for _, a := range all {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", a.ID, a.CreatedAt.Format(time.RFC3339), a.Kind, a.FromName, a.ToName, strings.ToUpper(a.Marking), a.Status, len(a.Subjects))
			}
			return tw.Flush()
		}}
}

func alertAckCommand() *command {
	var h hubFlags
	var closeIt bool
	return &command{name: "ack", summary: "acknowledge an alert addressed to your organization", usage: "ALERT_ID",
		flags: func(fs *flag.FlagSet) {
			h.register(fs)
			fs.BoolVar(&closeIt, "close", false, "close it instead (addressee or raiser)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			id, err := oneArg(args, "the alert id (alert--...)")
			if err != nil {
				return err
			}
			if !alert.ValidID(id) {
				return errs.E(errs.Invalid, "%q is not an alert id (alert--UUID)", id)
			}
			op := "ack"
			if closeIt {
				op = "close"
			}
			var a alert.Alert
			if err := h.call(ctx, e, "POST", "/api/v1/alerts/"+id+"/"+op, nil, &a); err != nil {
				return err
			}
			return e.print(a, func(w io.Writer) { fmt.Fprintf(w, "alert %s is %s\n", a.ID, a.Status) })
		}}
}

// claimServiceCommand is `trawl admin org claim-service ORG --label L`.
func claimServiceCommand() *command {
	var label string
	var remove bool
	return &command{name: "claim-service", summary: "record that an organization holds the deposits of a service label (deposit alerts from traces go to it)", usage: "ORG",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&label, "label", "", "the service label of the attribution tags, e.g. Binance (required)")
			fs.BoolVar(&remove, "remove", false, "remove the claim of --label instead")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			org, err := oneArg(args, "the organization's short name")
			if err != nil {
				return err
			}
			if label == "" {
				return errs.E(errs.Invalid, "--label is required")
			}
			svc, err := e.alertService(ctx)
			if err != nil {
				return err
			}
			if remove {
				if err := svc.Unclaim(ctx, nil, label); err != nil {
					return err
				}
				return e.print(map[string]string{"label": label, "removed": "true"}, func(w io.Writer) { fmt.Fprintf(w, "removed the claim of %q\n", label) })
			}
			c, err := svc.Claim(ctx, org, label)
			if err != nil {
				return err
			}
			return e.print(c, func(w io.Writer) { fmt.Fprintf(w, "%s holds the deposits of %q\n", org, c.Label) })
		}}
}
