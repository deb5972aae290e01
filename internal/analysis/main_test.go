package analysis_test

import (
	"testing"

	"github.com/trawlhq/trawl/internal/simtest"
)

func TestMain(m *testing.M) { simtest.Main(m) }
