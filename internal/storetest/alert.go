package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/alert"
	"github.com/trawlhq/trawl/internal/errs"
)

func alertTests() []struct {
	name string
	fn   func(t *testing.T, h Harness)
} {
	return []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Alerts", testAlerts},
		{"AlertStatusRace", testAlertStatusRace},
		{"ServiceClaims", testServiceClaims},
	}
}

func alertN(n int, to, from string, at time.Time) *alert.Alert {
	return &alert.Alert{ID: fmt.Sprintf("alert--00000000-0000-4000-8000-%012d", n), Kind: alert.KindDeposit, ToOrg: to, FromOrg: from,
		Subjects: []alert.Subject{{Chain: "btc", Address: fmt.Sprintf("bc1qaddr%d", n), Sats: uint64(n)}},
		Sources:  []string{"indicator--00000000-0000-4000-8000-000000000001"}, Marking: "amber", CreatedAt: at, Status: alert.StatusNew}
}

func testAlerts(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	base := time.Date(2025, 2, 21, 14, 0, 0, 0, time.UTC)
	// 30 alerts fiu -> exchange, 10 exchange -> fiu, 5 bank -> other; some at one instant.
	n := 0
	for i := range 30 {
		n++
		if err := db.CreateAlert(ctx, alertN(n, "org_ex", "org_fiu", base.Add(time.Duration(i/3)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		n++
		a := alertN(n, "org_fiu", "org_ex", base.Add(time.Duration(i)*time.Minute))
		a.Kind = alert.KindIndicator
		if err := db.CreateAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		n++
		if err := db.CreateAlert(ctx, alertN(n, "org_other", "org_bank", base.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, db.CreateAlert(ctx, alertN(1, "org_ex", "org_fiu", base)), errs.Conflict)
	got, err := db.Alert(ctx, alertN(1, "", "", base).ID)
	if err != nil || got.ToOrg != "org_ex" || got.Subjects[0].Address != "bc1qaddr1" || !got.CreatedAt.Equal(base) || got.Marking != "amber" {
		t.Fatalf("alert read back: %+v %v", got, err)
	}
	_, err = db.Alert(ctx, "alert--00000000-0000-4000-8000-999999999999")
	wantCode(t, err, errs.NotFound)

	// Keyset paging over the inbox sees every alert once, newest first.
	page := func(f alert.Filter) []string {
		var ids []string
		for {
			as, err := db.ListAlerts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range as {
				if i > 0 && (a.CreatedAt.After(as[i-1].CreatedAt) || (a.CreatedAt.Equal(as[i-1].CreatedAt) && a.ID > as[i-1].ID)) {
					t.Fatalf("out of order: %s after %s", a.ID, as[i-1].ID)
				}
				ids = append(ids, a.ID)
			}
			if len(as) < f.Limit {
				return ids
			}
			f.Before, f.BeforeID = as[len(as)-1].CreatedAt, as[len(as)-1].ID
		}
	}
	seen := map[string]bool{}
	for _, id := range page(alert.Filter{OrgID: "org_ex", Box: alert.BoxInbox, Limit: 4}) {
		if seen[id] {
			t.Fatalf("%s listed twice", id)
		}
		seen[id] = true
	}
	if len(seen) != 30 {
		t.Fatalf("inbox of org_ex: %d alerts, want 30", len(seen))
	}
	if ids := page(alert.Filter{OrgID: "org_ex", Box: alert.BoxSent, Limit: 3}); len(ids) != 10 {
		t.Fatalf("sent by org_ex: %d, want 10", len(ids))
	}
	if ids := page(alert.Filter{OrgID: "org_ex", Limit: 7}); len(ids) != 40 {
		t.Fatalf("all of org_ex: %d, want 40", len(ids))
	}
	if ids := page(alert.Filter{OrgID: "org_ex", Kind: alert.KindIndicator, Limit: 100}); len(ids) != 10 {
		t.Fatalf("indicator alerts of org_ex: %d, want 10", len(ids))
	}
	if ids := page(alert.Filter{OrgID: "org_nobody", Limit: 100}); len(ids) != 0 {
		t.Fatalf("an org with no alerts lists %v", ids)
	}

	// Status moves only from the states named.
	a := alertN(2, "org_ex", "org_fiu", base)
	now := base.Add(time.Hour)
	a.Status, a.AckedBy, a.AckedAt = alert.StatusAcknowledged, "usr_1", &now
	if err := db.SetAlertStatus(ctx, a.ID, []alert.Status{alert.StatusNew}, a); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.SetAlertStatus(ctx, a.ID, []alert.Status{alert.StatusNew}, a), errs.Conflict)
	wantCode(t, db.SetAlertStatus(ctx, "alert--00000000-0000-4000-8000-999999999999", []alert.Status{alert.StatusNew}, a), errs.NotFound)
	if got, _ := db.Alert(ctx, a.ID); got.Status != alert.StatusAcknowledged || got.AckedBy != "usr_1" || !got.AckedAt.Equal(now) {
		t.Fatalf("after ack: %+v", got)
	}
	if ids := page(alert.Filter{OrgID: "org_ex", Box: alert.BoxInbox, Status: alert.StatusAcknowledged, Limit: 10}); len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("acknowledged filter: %v", ids)
	}
}

// testAlertStatusRace: of many concurrent acknowledgements exactly one
// moves the alert.
func testAlertStatusRace(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	a := alertN(1, "org_ex", "org_fiu", time.Now().UTC().Truncate(time.Microsecond))
	if err := db.CreateAlert(ctx, a); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b := *a
			b.Status, b.AckedBy = alert.StatusAcknowledged, fmt.Sprintf("usr_%d", i)
			err := db.SetAlertStatus(ctx, a.ID, []alert.Status{alert.StatusNew}, &b)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case !errs.Is(err, errs.Conflict):
				t.Errorf("ack %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d acknowledgements won, want exactly 1", won)
	}
}

func testServiceClaims(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	at := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []alert.Claim{{Label: "Binance", OrgID: "org_a", ClaimedAt: at}, {Label: "OKX", OrgID: "org_b", ClaimedAt: at}, {Label: "binance ", OrgID: "org_c", ClaimedAt: at.Add(time.Hour)}} {
		if err := db.ClaimService(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := db.ServiceClaims(ctx)
	if err != nil || len(cs) != 2 {
		t.Fatalf("claims: %+v %v", cs, err)
	}
	// Labels are case-insensitive: the later claim of "binance " replaced "Binance".
	if cs[0].OrgID != "org_c" || !cs[0].ClaimedAt.Equal(at.Add(time.Hour)) || cs[1].Label != "OKX" || cs[1].OrgID != "org_b" {
		t.Fatalf("claims: %+v", cs)
	}
	if err := db.UnclaimService(ctx, "BINANCE"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.UnclaimService(ctx, "binance"), errs.NotFound)
	if cs, _ := db.ServiceClaims(ctx); len(cs) != 1 || cs[0].Label != "OKX" {
		t.Fatalf("after unclaim: %+v", cs)
	}
}
