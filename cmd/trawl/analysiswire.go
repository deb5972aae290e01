package main

import (
	"context"

	"github.com/trawlhq/trawl/internal/analysis"
	"github.com/trawlhq/trawl/internal/cluster"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/txclass"
)

// classifier is the clustering's: CoinJoins excluded, the multi-input rule,
// and the change heuristics of --cluster-change. Change heuristics merge
// wrongly often enough to join unrelated owners' clusters (the cluster
// tests print each one's precision on the simulator), so none is on by
// default.
func (e *env) classifier() (*analysis.Classifier, error) {
	if e.cfg.ClusterChange == "" {
		return &analysis.Classifier{}, nil
	}
	h, err := txclass.ParseHeuristics(e.cfg.ClusterChange)
	if err != nil {
		return nil, errs.E(errs.Invalid, "cluster-change: %s", errs.MessageOf(err))
	}
	return &analysis.Classifier{Heuristics: h}, nil
}

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
