package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sharing"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/stix"
	"github.com/trawlhq/trawl/internal/taxii"
)

// TLP 2.0 marking ids (../shared/DESIGN.md).
const (
	tlpGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	tlpAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	tlpClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
)

// refsWorld is a hub of three organizations with objects that point at
// objects some of them may not see.
type refsWorld struct {
	db   *sqlstore.DB
	svc  *taxii.Service
	coll *taxii.Collection
	// ids
	secret, green, missing, report, reportSecretOnly, rel, reportOfReport string
}

func stixIndicator(id, marking, name string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z",
		"name":%q,"pattern":"[cryptocurrency-wallet:address = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z","object_marking_refs":[%q]}`, id, name, marking))
}

func stixReport(id, marking, modified string, refs ...string) json.RawMessage {
	r, _ := json.Marshal(refs)
	return json.RawMessage(fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":%q,
		"name":"Lazarus laundering","published":"2025-01-02T00:00:00Z","object_refs":%s,"object_marking_refs":[%q]}`, id, modified, r, marking))
}

func newRefsWorld(t *testing.T, h Harness) *refsWorld {
	t.Helper()
	ctx := context.Background()
	db := fresh(t, h)
	for _, o := range []string{"a", "b", "c"} {
		seedOrg(t, db, "org_"+o, "org-"+o)
	}
	svc, err := taxii.NewService(ctx, taxii.Options{Store: db, Directory: db, Parse: stix.Parse})
	if err != nil {
		t.Fatal(err)
	}
	coll, err := svc.CreateCollection(ctx, "org_a", "Lazarus", "", "", "amber", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"org_b", "org_c"} {
		if err := svc.Grant(ctx, taxii.Grant{CollectionID: coll.ID, OrgID: org, CanRead: true}); err != nil {
			t.Fatal(err)
		}
	}
	w := &refsWorld{db: db, svc: svc, coll: coll,
		secret:           "indicator--0d1e5c1a-0000-4000-8000-00000000a5a5",
		green:            "indicator--0d1e5c1a-0000-4000-8000-00000000a6a6",
		missing:          "indicator--0d1e5c1a-0000-4000-8000-00000000ffff",
		report:           "report--0d1e5c1a-0000-4000-8000-000000000001",
		reportSecretOnly: "report--0d1e5c1a-0000-4000-8000-000000000002",
		rel:              "relationship--0d1e5c1a-0000-4000-8000-000000000003",
		reportOfReport:   "report--0d1e5c1a-0000-4000-8000-000000000004",
	}
	rel := json.RawMessage(fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z",
		"relationship_type":"related-to","source_ref":%q,"target_ref":%q,"object_marking_refs":[%q]}`, w.rel, w.green, w.secret, tlpGreen))
	st, err := svc.Import(ctx, "org_a", coll.ID, []json.RawMessage{
		stixIndicator(w.secret, tlpAmberStrict, "owner only"),
		stixIndicator(w.green, tlpGreen, "for everyone"),
		stixReport(w.report, tlpGreen, "2025-01-01T00:00:00.000Z", w.secret, w.green, w.missing),
		stixReport(w.report, tlpGreen, "2025-02-01T00:00:00.000Z", w.green, w.secret),
		stixReport(w.reportSecretOnly, tlpClear, "2025-01-01T00:00:00.000Z", w.secret),
		rel,
		// A report listing the hidden report: that id goes too, a step on;
		// a relationship to the hidden report is hidden.
		stixReport(w.reportOfReport, tlpGreen, "2025-01-01T00:00:00.000Z", w.reportSecretOnly, w.green),
		json.RawMessage(fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--0d1e5c1a-0000-4000-8000-000000000005","created":"2025-01-01T00:00:00.000Z",
			"modified":"2025-01-01T00:00:00.000Z","relationship_type":"related-to","source_ref":%q,"target_ref":%q,"object_marking_refs":[%q]}`, w.green, w.reportSecretOnly, tlpGreen)),
	})
	if err != nil || st.FailureCount > 0 {
		t.Fatalf("import: %v %+v", err, st.Failures)
	}
	return w
}

func reader(org string) *identity.Principal {
	return &identity.Principal{KeyID: "key_" + org, OrgID: org, Role: identity.RoleReader}
}

// noneOf fails when a hidden id appears anywhere in a body, and checks that
// every object served still validates.
func noneOf(t *testing.T, what string, objs []taxii.StoredObject, hidden ...string) {
	t.Helper()
	for _, o := range objs {
		for _, h := range hidden {
			if strings.Contains(string(o.Raw), h) {
				t.Errorf("%s: %s reveals hidden %s: %s", what, o.ID, h, o.Raw)
			}
		}
		if _, err := stix.Parse(o.Raw); err != nil {
			t.Errorf("%s: %s no longer validates: %v\n%s", what, o.ID, err, o.Raw)
		}
	}
}

func refsOf(t *testing.T, raw []byte) []string {
	t.Helper()
	var x struct {
		ObjectRefs []string `json:"object_refs"`
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatal(err)
	}
	return x.ObjectRefs
}

// testObjectRefsStripped: ids of objects the reader may not see leave the
// object_refs of reports (every version, by id, in pages and exports); a
// report that would be left with none is hidden like a missing one; the
// owner sees its objects unchanged.
func testObjectRefsStripped(t *testing.T, h Harness) {
	ctx := context.Background()
	w := newRefsWorld(t, h)
	b := reader("org_b")

	pg, err := w.svc.Objects(ctx, b, w.coll.ID, &taxii.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range pg.Objects {
		ids = append(ids, o.ID)
		if o.ID == w.report {
			if got := fmt.Sprint(refsOf(t, o.Raw)); got != fmt.Sprint([]string{w.green}) {
				t.Errorf("latest report's refs for org_b: %s", got)
			}
		}
	}
	if got, want := fmt.Sprint(ids), fmt.Sprint([]string{w.green, w.report, w.reportOfReport}); got != want {
		t.Errorf("org_b sees %s, want %s", got, want)
	}
	noneOf(t, "objects", pg.Objects, w.secret, w.reportSecretOnly, w.rel)

	all, err := w.svc.Objects(ctx, b, w.coll.ID, &taxii.Query{Limit: 1000, Versions: taxii.VersionAll})
	if err != nil {
		t.Fatal(err)
	}
	noneOf(t, "all versions", all.Objects, w.secret, w.reportSecretOnly, w.rel)
	for _, o := range all.Objects {
		if o.ID == w.report && o.Version.Month() == time.January {
			if got := fmt.Sprint(refsOf(t, o.Raw)); got != fmt.Sprint([]string{w.green, w.missing}) {
				t.Errorf("first report version's refs for org_b: %s (ids not on the hub stay)", got)
			}
		}
	}

	byID, err := w.svc.Object(ctx, b, w.coll.ID, w.report, &taxii.Query{Limit: 10, Versions: taxii.VersionAll})
	if err != nil {
		t.Fatal(err)
	}
	noneOf(t, "by id", byID.Objects, w.secret)
	if len(byID.Objects) != 2 {
		t.Errorf("org_b sees %d versions of the report, want 2", len(byID.Objects))
	}
	_, hiddenErr := w.svc.Object(ctx, b, w.coll.ID, w.reportSecretOnly, &taxii.Query{Limit: 10})
	_, missingErr := w.svc.Object(ctx, b, w.coll.ID, "report--0d1e5c1a-0000-4000-8000-0000000000ee", &taxii.Query{Limit: 10})
	wantCode(t, hiddenErr, errs.NotFound)
	if errs.MessageOf(hiddenErr) != strings.ReplaceAll(errs.MessageOf(missingErr), "0000000000ee", "000000000002") {
		t.Errorf("hidden and missing differ: %q vs %q", errs.MessageOf(hiddenErr), errs.MessageOf(missingErr))
	}

	exp, err := w.svc.Export(ctx, w.coll.ID, sharing.Destination{OrgID: "org_b", Community: true})
	if err != nil {
		t.Fatal(err)
	}
	var expObjs []taxii.StoredObject
	for _, raw := range exp {
		expObjs = append(expObjs, taxii.StoredObject{ID: "export", Raw: raw})
	}
	noneOf(t, "export to org_b", expObjs, w.secret, w.reportSecretOnly)
	if len(expObjs) == 0 {
		t.Error("export to org_b is empty")
	}

	// The owner sees everything as it was written.
	own, err := w.svc.Objects(ctx, reader("org_a"), w.coll.ID, &taxii.Query{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range own.Objects {
		switch o.ID {
		case w.report:
			n++
			if got := fmt.Sprint(refsOf(t, o.Raw)); got != fmt.Sprint([]string{w.green, w.secret}) {
				t.Errorf("owner's report refs: %s", got)
			}
		case w.reportSecretOnly:
			n++
		}
	}
	if n != 2 || len(own.Objects) != 7 {
		t.Errorf("owner sees %d objects (%d reports), want 7 (2)", len(own.Objects), n)
	}

	hidden, err := w.db.HiddenRefs(ctx, &taxii.Visibility{OrgID: "org_c"}, []string{w.secret, w.green, w.missing})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(hidden) != fmt.Sprint(map[string]bool{w.secret: true}) {
		t.Errorf("HiddenRefs for org_c: %v", hidden)
	}
	// For an export to an unknown party the level alone decides: CLEAR
	// anywhere on the hub may go, nothing else (the CLEAR report lists only
	// a hidden object, so it is hidden too).
	hidden, err = w.db.HiddenRefs(ctx, &taxii.Visibility{Anonymous: true, AnyCollection: true}, []string{w.secret, w.green, w.missing, w.reportSecretOnly})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(hidden) != fmt.Sprint(map[string]bool{w.secret: true, w.green: true, w.reportSecretOnly: true}) {
		t.Errorf("HiddenRefs for an unknown party: %v", hidden)
	}
}

// testSearchCountsOnlyVisible: the REST search across collections returns
// and counts only what the reader may see, never matches text the reader
// may not be shown, and binds its page tokens to the reader and filter.
func testSearchCountsOnlyVisible(t *testing.T, h Harness) {
	ctx := context.Background()
	w := newRefsWorld(t, h)
	marked := json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--0d1e5c1a-0000-4000-8000-00000000b0b0","created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z",
		"name":"wallet","description":"granular secret","pattern":"[cryptocurrency-wallet:address = '1BoatSLRHtKNngkdXEeobR76b53LETtpyT']","pattern_type":"stix","valid_from":"2025-01-01T00:00:00Z",
		"object_marking_refs":["` + tlpGreen + `"],"granular_markings":[{"marking_ref":"` + tlpAmberStrict + `","selectors":["description"]}]}`)
	if st, err := w.svc.Import(ctx, "org_a", w.coll.ID, []json.RawMessage{marked}); err != nil || st.FailureCount > 0 {
		t.Fatalf("import: %v %+v", err, st.Failures)
	}
	search := func(p *identity.Principal, req taxii.SearchRequest) *taxii.SearchPage {
		t.Helper()
		pg, err := w.svc.Search(ctx, p, req)
		if err != nil {
			t.Fatalf("search %+v: %v", req, err)
		}
		if p.OrgID != "org_a" {
			noneOf(t, fmt.Sprintf("search %+v", req), pg.Objects, w.secret, w.reportSecretOnly, w.rel, "granular secret")
		}
		if pg.Total < len(pg.Objects) {
			t.Errorf("search %+v: total %d < %d objects", req, pg.Total, len(pg.Objects))
		}
		return pg
	}
	a, b := reader("org_a"), reader("org_b")
	for _, tc := range []struct {
		name         string
		p            *identity.Principal
		req          taxii.SearchRequest
		total        int
		checkObjects bool
	}{
		{"everything org_b may see", b, taxii.SearchRequest{}, 4, true},
		{"everything, the owner", a, taxii.SearchRequest{Collection: w.coll.ID}, 8, false},
		{"name of a hidden object", b, taxii.SearchRequest{Text: "OWNER only"}, 0, true},
		{"name of it, the owner", a, taxii.SearchRequest{Text: "owner only"}, 1, false},
		{"address in patterns", b, taxii.SearchRequest{Text: "1boatslrhtknngkdxeeobr76b53letpyt"[:10]}, 2, true},
		{"text under a granular marking", b, taxii.SearchRequest{Text: "granular"}, 0, true},
		{"reports", b, taxii.SearchRequest{Types: []string{"report"}}, 2, true},
		{"reports, the owner", a, taxii.SearchRequest{Types: []string{"report"}}, 3, false},
		{"added by org_c", b, taxii.SearchRequest{AddedBy: "org_c"}, 0, true},
	} {
		pg := search(tc.p, tc.req)
		if pg.Total != tc.total || (tc.checkObjects && len(pg.Objects) != tc.total) {
			t.Errorf("%s: total %d, %d objects; want %d", tc.name, pg.Total, len(pg.Objects), tc.total)
		}
	}

	// Pages of one: every visible object once, total the same on each page.
	var seen []string
	req := taxii.SearchRequest{Limit: 1}
	for range 10 {
		pg := search(b, req)
		if pg.Total != 4 {
			t.Fatalf("page total %d, want 4", pg.Total)
		}
		for _, o := range pg.Objects {
			seen = append(seen, o.ID)
		}
		if !pg.More {
			break
		}
		req.Next = pg.Next
		if _, err := w.svc.Search(ctx, reader("org_c"), req); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("another org's use of a token: %v, want invalid", err)
		}
		if _, err := w.svc.Search(ctx, b, taxii.SearchRequest{Limit: 1, Next: req.Next, Types: []string{"report"}}); errs.CodeOf(err) != errs.Invalid {
			t.Errorf("a token with another filter: %v, want invalid", err)
		}
	}
	if len(seen) != 4 {
		t.Errorf("paged through %v, want 4 objects", seen)
	}

	_, err := w.svc.Search(ctx, b, taxii.SearchRequest{Collection: "nope"})
	wantCode(t, err, errs.NotFound)
	if _, err := w.svc.ObjectAnywhere(ctx, b, w.secret); errs.CodeOf(err) != errs.NotFound {
		t.Errorf("by id of a hidden object: %v", err)
	}
	o, err := w.svc.ObjectAnywhere(ctx, b, w.report)
	if err != nil {
		t.Fatal(err)
	}
	noneOf(t, "by id anywhere", []taxii.StoredObject{*o}, w.secret)
}

// testObjectRefsEscapedKey: a report whose object_refs name is written
// with JSON escapes is the same report to every decoder; the ids a reader
// may not see are stripped from it too.
func testObjectRefsEscapedKey(t *testing.T, h Harness) {
	ctx := context.Background()
	w := newRefsWorld(t, h)
	id := "report--0d1e5c1a-0000-4000-8000-000000000009"
	raw := json.RawMessage(fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":%q,"created":"2025-01-01T00:00:00.000Z","modified":"2025-01-01T00:00:00.000Z",
		"name":"Lazarus laundering","published":"2025-01-02T00:00:00Z","object\u005frefs":[%q,%q],"object_marking_refs":[%q]}`, id, w.secret, w.green, tlpGreen))
	st, err := w.svc.Import(ctx, "org_a", w.coll.ID, []json.RawMessage{raw})
	if err != nil || st.FailureCount > 0 {
		t.Fatalf("import: %v %+v", err, st.Failures)
	}
	pg, err := w.svc.Objects(ctx, reader("org_b"), w.coll.ID, &taxii.Query{Limit: 1000, IDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Objects) != 1 {
		t.Fatalf("org_b reads %d versions of the report, want 1", len(pg.Objects))
	}
	noneOf(t, "escaped object_refs", pg.Objects, w.secret)
}
