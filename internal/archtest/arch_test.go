// Package archtest enforces the dependency direction of ../shared/DESIGN.md:
// domain packages import no adapter, no transport and no database or HTTP
// library; adapters import no transport; nothing imports cmd/.
package archtest

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/testenv"
)

const module = "github.com/trawlhq/trawl"

// kind classifies an internal package by its name.
func kind(pkg string) string {
	base := filepath.Base(pkg)
	switch {
	case (strings.HasSuffix(base, "store") && base != "storetest") || strings.HasSuffix(base, "client") || base == "btcindex":
		// btcindex is the Pebble-backed chain index: a storage adapter.
		return "adapter"
	case base == "httpapi" || strings.HasPrefix(pkg, "internal/httpapi/") || base == "web":
		return "transport"
	case base == "pgtest" || base == "testenv" || base == "storetest" || base == "archtest" || strings.HasSuffix(base, "test"):
		return "testing"
	}
	return "domain"
}

// forbidden says why pkg (of kind k) may not import imp, or "".
func forbidden(k, imp string) string {
	if strings.HasPrefix(imp, module+"/cmd") {
		return "nothing imports cmd/"
	}
	if strings.HasPrefix(imp, module+"/internal/") {
		ik := kind(strings.TrimPrefix(imp, module+"/"))
		switch {
		case k == "domain" && ik != "domain":
			return "a domain package imports only domain packages"
		case k == "adapter" && ik == "transport":
			return "an adapter imports no transport"
		case k == "transport" && ik == "adapter":
			return "a transport uses domain interfaces; cmd/ wires adapters"
		case k != "testing" && ik == "testing":
			return "test helpers are for tests"
		}
		return ""
	}
	if k == "domain" {
		for _, lib := range []string{"database/sql", "net/http", "github.com/jackc/", "modernc.org/sqlite", "github.com/cockroachdb/pebble", "github.com/prometheus/"} {
			if imp == lib || strings.HasPrefix(imp, lib+"/") || (strings.HasSuffix(lib, "/") && strings.HasPrefix(imp, lib)) {
				return "a domain package knows no database, HTTP or metrics library"
			}
		}
	}
	return ""
}

func TestDependencyDirection(t *testing.T) {
	root := testenv.RepoRoot()
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		k := kind(filepath.ToSlash(rel))
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, is := range f.Imports {
			imp, _ := strconv.Unquote(is.Path.Value)
			if why := forbidden(k, imp); why != "" {
				t.Errorf("%s (%s) imports %s: %s", rel, k, imp, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Fatalf("checked only %d files; is the walk broken?", checked)
	}
}

func TestRulesCatchViolations(t *testing.T) {
	cases := []struct{ k, imp string }{
		{"domain", module + "/internal/sqlitestore"},
		{"domain", module + "/internal/httpapi"},
		{"domain", "database/sql"},
		{"domain", "github.com/jackc/pgx/v5"},
		{"adapter", module + "/internal/httpapi"},
		{"transport", module + "/internal/pgstore"},
		{"transport", module + "/cmd/trawl"},
		{"domain", module + "/internal/pgtest"},
	}
	for _, c := range cases {
		if forbidden(c.k, c.imp) == "" {
			t.Errorf("%s importing %s was allowed", c.k, c.imp)
		}
	}
	if why := forbidden("transport", module+"/internal/identity"); why != "" {
		t.Errorf("transport importing a domain package refused: %s", why)
	}
}
