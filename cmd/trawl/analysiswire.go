package main

import (
	"context"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/cluster"
)

// defaultClassifier is the clustering's: CoinJoins excluded, the
// multi-input rule only. Change heuristics merge wrongly often enough to
// join unrelated owners' clusters (the cluster tests print each one's
// precision on the simulator), so they are not on by default.
func defaultClassifier() *analysis.Classifier { return &analysis.Classifier{} }

func reasonName(r cluster.Reason) string { return analysis.ReasonName(r) }

// tagLabels reads the attribution tags from the store.
func (e *env) tagLabels(ctx context.Context) (func(ctx context.Context) ([]analysis.LabelSpec, error), func(ctx context.Context) (int64, error), error) {
	store, err := e.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	l, v := analysis.TagLabels(store)
	return l, v, nil
}
