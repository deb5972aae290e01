package identity

import (
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/errs"
)

func TestRolePermissions(t *testing.T) {
	cases := []struct {
		role     Role
		operator bool
		perm     Permission
		want     bool
	}{
		{RoleAdmin, false, PermManageOrg, true},
		{RoleAdmin, false, PermManageHub, false},
		{RoleAdmin, true, PermManageHub, true},
		{RoleAnalyst, true, PermManageHub, false},
		{RoleAnalyst, false, PermWrite | PermTrace | PermRead, true},
		{RoleAnalyst, false, PermManageOrg, false},
		{RoleReader, false, PermRead, true},
		{RoleReader, false, PermWrite, false},
		{RoleFeeder, false, PermWrite, true},
		{RoleFeeder, false, PermRead, false},
		{Role("root"), true, PermRead, false},
	}
	for _, c := range cases {
		p := &Principal{Role: c.role, Operator: c.operator}
		if got := p.Can(c.perm); got != c.want {
			t.Errorf("%s (operator %v) can %b = %v, want %v", c.role, c.operator, c.perm, got, c.want)
		}
	}
	var nobody *Principal
	if nobody.Can(PermRead) {
		t.Error("a nil principal may do nothing")
	}
}

func TestCovers(t *testing.T) {
	if !RoleAdmin.Covers(RoleAnalyst) || !RoleAnalyst.Covers(RoleReader) || RoleReader.Covers(RoleAnalyst) ||
		RoleReader.Covers(RoleFeeder) || RoleFeeder.Covers(RoleReader) || !RoleAnalyst.Covers(RoleFeeder) {
		t.Fatal("role order broken")
	}
}

func TestCanManageOrg(t *testing.T) {
	admin := &Principal{OrgID: "o1", Role: RoleAdmin}
	hub := &Principal{OrgID: "op", Role: RoleAdmin, Operator: true}
	analyst := &Principal{OrgID: "o1", Role: RoleAnalyst}
	if !admin.CanManageOrg("o1") || admin.CanManageOrg("o2") || !hub.CanManageOrg("o2") || analyst.CanManageOrg("o1") {
		t.Fatal("org management rule broken")
	}
}

func TestValidation(t *testing.T) {
	for _, name := range []string{"a", "-ab", "UPPER", "has space", "x_y", strings.Repeat("a", 64), "ünï"} {
		if err := ValidateOrgName(name); !errs.Is(err, errs.Invalid) {
			t.Errorf("org name %q accepted", name)
		}
	}
	for _, name := range []string{"ab", "kofiu", "fiu-2", "0x"} {
		if err := ValidateOrgName(name); err != nil {
			t.Errorf("org name %q refused: %v", name, err)
		}
	}
	for _, e := range []string{"", "x", "Kim <kim@x.example>", "a@b@c"} {
		if _, err := NormalizeEmail(e); err == nil {
			t.Errorf("email %q accepted", e)
		}
	}
	if got, err := NormalizeEmail(" Officer@Exchange.EXAMPLE "); err != nil || got != "officer@exchange.example" {
		t.Errorf("normalize: %q %v", got, err)
	}
	if _, err := ParseRole("superuser"); !errs.Is(err, errs.Invalid) {
		t.Error("unknown role accepted")
	}
}

func TestTokens(t *testing.T) {
	id, tok := newToken()
	got, ok := keyIDOf(tok)
	if !ok || got != id {
		t.Fatalf("keyIDOf(%q) = %q %v, want %q", tok, got, ok, id)
	}
	id2, tok2 := newToken()
	if id == id2 || tok == tok2 {
		t.Fatal("tokens repeat")
	}
	for _, bad := range []string{"", "trawl_", "trawl__x", "bearer x", "trawl_abc_def", "trawl_key_x" + strings.Repeat("a", 300)} {
		if _, ok := keyIDOf(bad); ok {
			t.Errorf("keyIDOf accepted %q", bad)
		}
	}
}

func FuzzKeyIDOf(f *testing.F) {
	_, tok := newToken()
	f.Add(tok)
	f.Add("trawl_key__")
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := keyIDOf(s)
		if ok && (!strings.HasPrefix(id, "key_") || !strings.Contains(s, id)) {
			t.Fatalf("keyIDOf(%q) = %q", s, id)
		}
	})
}
