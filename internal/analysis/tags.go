package analysis

import (
	"context"

	"github.com/trawlhq/trawl/internal/tags"
)

// TagLabels returns Options.Labels and Options.LabelsVersion reading the
// Bitcoin tags of st: a tag's actor (else its label) names whom the address
// belongs to; a second category (a sanctioned exchange) becomes a second
// label.
func TagLabels(st tags.Store) (func(ctx context.Context) ([]LabelSpec, error), func(ctx context.Context) (int64, error)) {
	labels := func(ctx context.Context) ([]LabelSpec, error) {
		var out []LabelSpec
		err := st.EachTag(ctx, tags.BTC, func(t tags.Tag) error {
			name := t.Actor
			if name == "" {
				name = t.Label
			}
			out = append(out, LabelSpec{Address: t.Address, Name: name, Category: string(t.Category),
				Service: tags.IsService(t.Category), Source: t.Source, Confidence: t.Confidence})
			if t.Abuse != "" && t.Abuse != t.Category {
				out = append(out, LabelSpec{Address: t.Address, Name: name, Category: string(t.Abuse), Source: t.Source, Confidence: t.Confidence})
			}
			return nil
		})
		return out, err
	}
	return labels, st.TagsVersion
}
