package sqlitestore_test

import (
	"context"
	"testing"

	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/sqlstore"
	"github.com/trawlhq/trawl/internal/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) string { return t.TempDir() },
		Open: func(ctx context.Context, dir string) (*sqlstore.DB, error) {
			return sqlitestore.Open(ctx, dir)
		},
	})
}
