package main

import (
	"context"
	"flag"
	"net"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/taxii"
	"github.com/trawlhq/trawl/internal/webhook"
	"github.com/trawlhq/trawl/internal/webhookclient"
)

// hookFlags are serve's webhook options.
type hookFlags struct {
	allowHTTPLoopback bool
	publicURL         string
}

func (h *hookFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&h.allowHTTPLoopback, "webhook-allow-http-loopback", false, "accept http:// webhook URLs to loopback addresses and deliver to loopback and private addresses (tests and development; otherwise https to public addresses only)")
	fs.StringVar(&h.publicURL, "public-url", "", "the hub's URL as receivers reach it, for the links in webhook notices (default: from --listen)")
}

// alertsAndHooks wires the alert service to the webhook outbox: a raised
// alert is queued for the addressee's endpoints.
func (e *env) alertsAndHooks(store *sqlstore.DB, hub *taxii.Service, scheme string) (*alert.Service, *webhook.Service) {
	base := e.hooks.publicURL
	if base == "" {
		host, port, err := net.SplitHostPort(e.cfg.Listen)
		if err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
			host = "127.0.0.1"
		}
		base = scheme + "://" + net.JoinHostPort(host, port)
	}
	var hooks *webhook.Service
	alerts := alert.NewService(alert.Options{Store: store, Sources: hub, Directory: store,
		OnRaise: func(ctx context.Context, a *alert.Alert) error {
			// The alert is stored; the outbox's scan queues it later if this fails.
			if err := hooks.EnqueueAlert(ctx, a); err != nil {
				e.log.Warn("queueing an alert's webhook deliveries failed; the next scan retries", "alert", a.ID, "err", err)
			}
			return nil
		}})
	hooks = webhook.NewService(webhook.Options{Store: store, Hub: hub, Alerts: alerts, Sender: webhookclient.New(0, e.hooks.allowHTTPLoopback),
		BaseURL: base, AllowHTTPLoopback: e.hooks.allowHTTPLoopback, Logger: e.log})
	return alerts, hooks
}
