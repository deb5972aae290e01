package httpapi

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/taxii"
)

// TestBrowserAlerts: an exchange's analyst opens the Alerts page, sees the
// alert an FIU raised to it with its TLP, addresses and source, and
// acknowledges it; the FIU sees it among those it raised.
func TestBrowserAlerts(t *testing.T) {
	needBuiltUI(t)
	ctx := context.Background()
	s, _ := newTestServer(t)
	o := s.opts
	keys := map[string]string{}
	for _, org := range []string{"fiu", "exchange"} {
		if _, err := o.Identity.CreateOrg(ctx, org, strings.ToUpper(org), false); err != nil {
			t.Fatal(err)
		}
		_, tok, err := o.Identity.CreateKey(ctx, identity.KeyRequest{Org: org, Role: identity.RoleAnalyst})
		if err != nil {
			t.Fatal(err)
		}
		keys[org] = tok
	}
	fiu, err := o.Identity.Authenticate(ctx, keys["fiu"])
	if err != nil {
		t.Fatal(err)
	}
	ex, err := o.Identity.Authenticate(ctx, keys["exchange"])
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.TAXII.CreateCollection(ctx, fiu.OrgID, "thefts", "", "", "amber", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.TAXII.Grant(ctx, taxii.Grant{CollectionID: c.ID, OrgID: ex.OrgID, CanRead: true}); err != nil {
		t.Fatal(err)
	}
	src := "indicator--00000000-0000-4000-8000-000000000001"
	if st, err := o.TAXII.Add(ctx, fiu, c.ID, []byte(`{"objects":[{"type":"indicator","spec_version":"2.1","id":"`+src+`","created":"2025-02-21T00:00:00.000Z","modified":"2025-02-21T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.1']","pattern_type":"stix","valid_from":"2025-02-21T00:00:00Z"}]}`)); err != nil || st.SuccessCount != 1 {
		t.Fatalf("add: %+v %v", st, err)
	}
	a, err := o.Alerts.Raise(ctx, fiu, alert.Request{To: "exchange", Kind: alert.KindDeposit, Sources: []string{src}, Note: "freeze deposit 7",
		Subjects: []alert.Subject{{Chain: "btc", Address: "bc1qsimulateddepositaddress0000000000000", Sats: 150_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	b := newBrowser(t)
	b.page("signin-alerts", "signin", chromedp.Navigate(hs.URL+"/ui/alerts"))
	b.do("type the key", chromedp.SendKeys(chromedp.CSS("#key"), keys["exchange"]))
	b.page("alerts", "alerts", chromedp.Click(chromedp.CSS("#signin button[type=submit]")))
	got := b.text("table.alerts-inbox")
	for _, want := range []string{"fiu", "deposit", "TLP:AMBER", "1.50000000 BTC", "freeze deposit 7", "new"} {
		if !strings.Contains(got, want) {
			t.Errorf("inbox row lacks %q: %q", want, got)
		}
	}
	b.do("acknowledge", chromedp.Click(chromedp.CSS(`button.ack[data-id="`+a.ID+`"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`button.ack[data-id="`+a.ID+`"]`)))
	if got, err := o.Alerts.Get(ctx, ex, a.ID); err != nil || got.Status != alert.StatusAcknowledged {
		t.Fatalf("after the click: %+v %v", got, err)
	}
	b.page("alerts-acknowledged", "alerts", chromedp.Navigate(hs.URL+"/ui/alerts?status=acknowledged"))
	if got := b.text("table.alerts-inbox"); !strings.Contains(got, "acknowledged") {
		t.Errorf("acknowledged filter: %q", got)
	}
	b.page("alerts-new-empty", "alerts", chromedp.Navigate(hs.URL+"/ui/alerts"))
	if got := b.text("main"); !strings.Contains(got, "No new alerts") || !strings.Contains(got, "has raised no alerts") {
		t.Errorf("after acknowledging: %q", got)
	}
}
