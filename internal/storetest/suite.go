// Package storetest is the conformance suite that every adapter of trawl's
// relational store passes: the same tests, run against SQLite and against a
// real PostgreSQL. An adapter's test calls Run with a Harness.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/sqlstore"
)

// Harness tells the suite how to make and open stores of one adapter.
type Harness struct {
	// New returns the location (dir or URL) of a fresh, empty store.
	New func(t *testing.T) string
	// Open opens (and migrates) the store at loc.
	Open func(ctx context.Context, loc string) (*sqlstore.DB, error)
}

// Run runs every conformance test.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Migrations", testMigrations},
		{"SchemaTooNew", testSchemaTooNew},
		{"ConcurrentOpen", testConcurrentOpen},
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"Keys", testKeys},
		{"Authenticate", testAuthenticate},
		{"RevokeAcrossReplicas", testRevokeAcrossReplicas},
		{"ConcurrentWrites", testConcurrentWrites},
		{"WatchlistImports", testWatchlistImports},
	}
	tests = append(tests, taxiiTests()...)
	tests = append(tests, sharingTests()...)
	tests = append(tests, auditTests()...)
	tests = append(tests, tagsTests()...)
	tests = append(tests, alertTests()...)
	tests = append(tests, webhookTests()...)
	tests = append(tests, changesTests()...)
	tests = append(tests, hubIndexTests()...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

func open(t *testing.T, h Harness, loc string) *sqlstore.DB {
	t.Helper()
	db, err := h.Open(context.Background(), loc)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func fresh(t *testing.T, h Harness) *sqlstore.DB { return open(t, h, h.New(t)) }

func wantCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if errs.CodeOf(err) != code {
		t.Fatalf("got error %v (code %q), want code %q", err, errs.CodeOf(err), code)
	}
}

func testMigrations(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	db := open(t, h, loc)
	v, err := db.SchemaVersion(ctx)
	if err != nil || v != sqlstore.LatestVersion() {
		t.Fatalf("schema version %d, %v; want %d", v, err, sqlstore.LatestVersion())
	}
	if err := db.CreateOrg(ctx, &identity.Org{ID: "org_a", Name: "alpha", Title: "A", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopening applies nothing and keeps data.
	db2 := open(t, h, loc)
	if v2, _ := db2.SchemaVersion(ctx); v2 != v {
		t.Fatalf("version changed on reopen: %d -> %d", v, v2)
	}
	if _, err := db2.OrgByName(ctx, "alpha"); err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
}

func testSchemaTooNew(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	db := open(t, h, loc)
	next := sqlstore.LatestVersion() + 1
	if _, err := db.SQL().Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future.sql', 0)`, next); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := h.Open(ctx, loc)
	if !errors.Is(err, sqlstore.ErrSchemaTooNew) {
		t.Fatalf("opening a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

func testConcurrentOpen(t *testing.T, h Harness) {
	loc := h.New(t)
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := h.Open(context.Background(), loc)
			if err == nil {
				db.Close()
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("replicas opening one store at once: %v", err)
		}
	}
}

func testOrgs(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	created := time.Date(2025, 2, 21, 14, 13, 35, 123456000, time.UTC)
	o := &identity.Org{ID: "org_1", Name: "kofiu", Title: "Korea FIU", Operator: true, CreatedAt: created}
	if err := db.CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateOrg(ctx, &identity.Org{ID: "org_2", Name: "kofiu", Title: "dup", CreatedAt: created}), errs.Conflict)
	wantCode(t, db.CreateOrg(ctx, &identity.Org{ID: "org_1", Name: "other", Title: "dup id", CreatedAt: created}), errs.Conflict)
	if err := db.CreateOrg(ctx, &identity.Org{ID: "org_3", Name: "bybit", Title: "Exchange", CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() (*identity.Org, error){
		func() (*identity.Org, error) { return db.OrgByID(ctx, "org_1") },
		func() (*identity.Org, error) { return db.OrgByName(ctx, "kofiu") },
	} {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if *got != *o {
			t.Fatalf("round trip: got %+v, want %+v", got, o)
		}
	}
	_, err := db.OrgByName(ctx, "nope")
	wantCode(t, err, errs.NotFound)
	_, err = db.OrgByID(ctx, "nope")
	wantCode(t, err, errs.NotFound)
	list, err := db.ListOrgs(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "bybit" || list[1].Name != "kofiu" {
		t.Fatalf("list: %+v, %v; want bybit, kofiu", list, err)
	}
}

func seedOrg(t *testing.T, db *sqlstore.DB, id, name string) {
	t.Helper()
	if err := db.CreateOrg(context.Background(), &identity.Org{ID: id, Name: name, Title: name, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
}

func testUsers(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	seedOrg(t, db, "org_a", "alpha")
	seedOrg(t, db, "org_b", "beta")
	u := &identity.User{ID: "usr_1", OrgID: "org_a", Email: "kim@fiu.example", Name: "Kim", Role: identity.RoleAnalyst, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	wantCode(t, db.CreateUser(ctx, &identity.User{ID: "usr_2", OrgID: "org_b", Email: "kim@fiu.example", Name: "Kim 2", Role: identity.RoleReader, CreatedAt: time.Now()}), errs.Conflict)
	got, err := db.UserByEmail(ctx, "kim@fiu.example")
	if err != nil || *got != *u {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, u)
	}
	_, err = db.UserByEmail(ctx, "nobody@x.example")
	wantCode(t, err, errs.NotFound)
	if l, _ := db.ListUsers(ctx, "org_b"); len(l) != 0 {
		t.Fatalf("org_b users: %+v, want none", l)
	}
	if l, _ := db.ListUsers(ctx, "org_a"); len(l) != 1 || l[0].ID != "usr_1" {
		t.Fatalf("org_a users: %+v", l)
	}
}

func testKeys(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	seedOrg(t, db, "org_a", "alpha")
	seedOrg(t, db, "org_b", "beta")
	now := time.Now().UTC().Truncate(time.Microsecond)
	exp := now.Add(time.Hour)
	hash := bytes.Repeat([]byte{0x00, 0xff, 0x7f}, 11) // includes NUL and high bytes
	k := &identity.Key{ID: "key_1", OrgID: "org_a", Name: "sync", Role: identity.RoleFeeder, Hash: hash, CreatedAt: now, ExpiresAt: &exp}
	if err := db.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateKey(ctx, &identity.Key{ID: "key_2", OrgID: "org_b", Name: "b", Role: identity.RoleReader, Hash: []byte{1}, CreatedAt: now.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	got, err := db.KeyByID(ctx, "key_1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Hash, hash) || got.Role != k.Role || got.OrgID != "org_a" || !got.CreatedAt.Equal(now) ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil || got.UserID != "" {
		t.Fatalf("round trip: got %+v, want %+v", got, k)
	}
	_, err = db.KeyByID(ctx, "key_x")
	wantCode(t, err, errs.NotFound)

	first := now.Add(time.Minute)
	if err := db.RevokeKey(ctx, "key_1", first); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeKey(ctx, "key_1", first.Add(time.Hour)); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	got, _ = db.KeyByID(ctx, "key_1")
	if got.RevokedAt == nil || !got.RevokedAt.Equal(first) {
		t.Fatalf("revoked_at %v, want the first revocation %v", got.RevokedAt, first)
	}
	wantCode(t, db.RevokeKey(ctx, "key_x", now), errs.NotFound)
	if err := db.TouchKey(ctx, "key_2", now); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.KeyByID(ctx, "key_2"); got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) {
		t.Fatalf("last_used_at %v, want %v", got.LastUsedAt, now)
	}
	all, _ := db.ListKeys(ctx, "")
	onlyB, _ := db.ListKeys(ctx, "org_b")
	if len(all) != 2 || len(onlyB) != 1 || onlyB[0].ID != "key_2" {
		t.Fatalf("list keys: all=%d org_b=%+v", len(all), onlyB)
	}
}

func testAuthenticate(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	clock := time.Now()
	svc := identity.NewService(db, time.Minute, func() time.Time { return clock })
	if _, err := svc.CreateOrg(ctx, "hub", "The hub", true); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateOrg(ctx, "exchange-1", "An exchange", false); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, "exchange-1", "Officer@Exchange.example", "Officer", identity.RoleReader); err != nil {
		t.Fatal(err)
	}
	_, admin, err := svc.CreateKey(ctx, identity.KeyRequest{Org: "hub", Role: identity.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, admin)
	if err != nil || p.OrgName != "hub" || !p.Can(identity.PermManageHub) {
		t.Fatalf("admin key: %+v, %v", p, err)
	}
	// A key for a user may not exceed the user's role.
	_, _, err = svc.CreateKey(ctx, identity.KeyRequest{Org: "exchange-1", Role: identity.RoleAnalyst, UserEmail: "officer@exchange.example"})
	wantCode(t, err, errs.Invalid)
	// Nor be made for a user of another org.
	_, _, err = svc.CreateKey(ctx, identity.KeyRequest{Org: "hub", Role: identity.RoleReader, UserEmail: "officer@exchange.example"})
	wantCode(t, err, errs.Invalid)
	k, reader, err := svc.CreateKey(ctx, identity.KeyRequest{Org: "exchange-1", Role: identity.RoleReader, UserEmail: "officer@exchange.example", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	p, err = svc.Authenticate(ctx, reader)
	if err != nil || p.Can(identity.PermWrite) || !p.Can(identity.PermRead) || p.UserID == "" || p.Can(identity.PermManageHub) {
		t.Fatalf("reader key: %+v, %v", p, err)
	}
	stored, _ := db.KeyByID(ctx, k.ID)
	if bytes.Contains(stored.Hash, []byte(reader)) || !bytes.Equal(stored.Hash, identity.HashToken(reader)) {
		t.Fatal("the store must hold only the digest of the key")
	}
	for name, tok := range map[string]string{
		"empty":        "",
		"garbage":      "hello",
		"wrong secret": reader[:len(reader)-4] + "aaaa",
		"unknown id":   "trawl_key_aaaaaaaaaaaaaaaa_" + reader[len(reader)-52:],
		"long":         string(bytes.Repeat([]byte("a"), 10000)),
	} {
		_, err := svc.Authenticate(ctx, tok)
		wantCode(t, err, errs.Unauthorized)
		if name == "wrong secret" && errs.MessageOf(err) != errs.MessageOf(errors.New("x")) && errs.MessageOf(err) == "" {
			t.Fatal("no message")
		}
	}
	// Expiry is checked also on a cached key.
	clock = clock.Add(2 * time.Hour)
	_, err = svc.Authenticate(ctx, reader)
	wantCode(t, err, errs.Unauthorized)
	// Revocation through the service takes effect at once despite the cache.
	if _, err := svc.Authenticate(ctx, admin); err != nil {
		t.Fatal(err)
	}
	pAdmin, _ := svc.Authenticate(ctx, admin)
	if err := svc.RevokeKey(ctx, pAdmin.KeyID); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Authenticate(ctx, admin)
	wantCode(t, err, errs.Unauthorized)
}

func testConcurrentWrites(t *testing.T, h Harness) {
	ctx := context.Background()
	db := fresh(t, h)
	svc := identity.NewService(db, 0, nil)
	const n = 40
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := svc.CreateOrg(ctx, fmt.Sprintf("org-%02d", i), "", false)
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("concurrent create: %v", err)
		}
	}
	list, err := db.ListOrgs(ctx)
	if err != nil || len(list) != n {
		t.Fatalf("after %d concurrent creates: %d orgs, %v", n, len(list), err)
	}
}

// testRevokeAcrossReplicas: a key revoked through one replica is refused by
// another that had it cached (for an hour) once RevocationCheck has passed.
func testRevokeAcrossReplicas(t *testing.T, h Harness) {
	ctx := context.Background()
	loc := h.New(t)
	a, b := open(t, h, loc), open(t, h, loc)
	clock := time.Now()
	now := func() time.Time { return clock }
	sa, sb := identity.NewService(a, time.Hour, now), identity.NewService(b, time.Hour, now)
	if _, err := sa.CreateOrg(ctx, "exchange", "Exchange", false); err != nil {
		t.Fatal(err)
	}
	k, tok, err := sa.CreateKey(ctx, identity.KeyRequest{Org: "exchange", Role: identity.RoleReader})
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := sa.CreateKey(ctx, identity.KeyRequest{Org: "exchange", Role: identity.RoleReader})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*identity.Service{sa, sb} {
		for _, tk := range []string{tok, other} {
			if _, err := s.Authenticate(ctx, tk); err != nil {
				t.Fatalf("before revocation: %v", err)
			}
		}
	}
	if err := sa.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := sa.Authenticate(ctx, tok); errs.CodeOf(err) != errs.Unauthorized {
		t.Fatalf("the revoking replica accepts the revoked key: %v", err)
	}
	clock = clock.Add(identity.RevocationCheck)
	if _, err := sb.Authenticate(ctx, tok); errs.CodeOf(err) != errs.Unauthorized {
		t.Fatalf("another replica accepts the revoked key %s after it was revoked: %v", identity.RevocationCheck, err)
	}
	if _, err := sb.Authenticate(ctx, other); err != nil {
		t.Fatalf("another key, not revoked, refused: %v", err)
	}
}
