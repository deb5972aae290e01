package pgstore_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/pgstore"
	"github.com/trawlhq/trawl/internal/pgtest"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) string { return pgtest.NewDatabase(t) },
		Open: func(ctx context.Context, dsn string) (*sqlstore.DB, error) {
			return pgstore.Open(ctx, dsn)
		},
	})
}

func TestOpenErrorHidesPassword(t *testing.T) {
	_, err := pgstore.Open(context.Background(), "postgres://u:s3cretpw@127.0.0.1:1/db?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("connecting to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error reveals the password: %v", err)
	}
	_, err = pgstore.Open(context.Background(), "postgres://u:s3cretpw@[::1:bad/db")
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("bad URL: %v", err)
	}
}
