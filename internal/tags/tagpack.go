package tags

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFile is the largest tag file a parser reads.
const MaxFile = 256 << 20

// TagPack fields, from GraphSense's TagPack schema. Header fields describe
// the pack; a tag field in the header is a default that every tag inherits
// and may override.
var (
	tagPackHeader = map[string]bool{"title": true, "creator": true, "description": true, "owner": true, "is_public": true, "tags": true}
	tagPackTag    = map[string]bool{
		"label": true, "source": true, "currency": true, "network": true, "context": true, "confidence": true,
		"is_cluster_definer": true, "lastmod": true, "created": true, "category": true, "abuse": true,
		"address": true, "tx_hash": true, "actor": true, "concepts": true, "tag_type": true,
		"entity": true, // older packs: the GraphSense entity (cluster) id
	}
)

// ParseTagPack reads a GraphSense TagPack (YAML): a header with title and
// creator, optional defaults for the tags, and the list of tags. Only
// address tags are taken; a tag without an address (a transaction or entity
// tag) is refused, as is any field the schema does not define.
func ParseTagPack(r io.Reader) ([]Tag, Meta, error) {
	meta := Meta{Format: "TagPack"}
	perr := func(n *yaml.Node, tag int, field, format string, args ...any) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &ParseError{Format: "TagPack", Line: line, Tag: tag, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, meta, err
	}
	if len(data) > MaxFile {
		return nil, meta, perr(nil, 0, "", "larger than %d MiB; split the pack", MaxFile>>20)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, meta, perr(nil, 0, "", "empty file: want a YAML mapping with title, creator and tags")
		}
		return nil, meta, perr(nil, 0, "", "not YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, meta, perr(&extra, 0, "", "more than one YAML document; a TagPack is one")
	}
	root := deref(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = deref(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		return nil, meta, perr(root, 0, "", "want a mapping with title, creator and tags at the top")
	}

	// The header: top-level fields, and those of a "header" mapping.
	header := map[string]*yaml.Node{}
	var headerErr error
	addHeader := func(m *yaml.Node) {
		for i := 0; i+1 < len(m.Content) && headerErr == nil; i += 2 {
			k, v := deref(m.Content[i]), deref(m.Content[i+1])
			switch {
			case k.Kind != yaml.ScalarNode:
				headerErr = perr(k, 0, "", "a key must be a plain name")
			case header[k.Value] != nil:
				headerErr = perr(k, 0, k.Value, "given twice")
			case !tagPackHeader[k.Value] && !tagPackTag[k.Value]:
				headerErr = perr(k, 0, clip(k.Value), "not a TagPack header or tag field")
			default:
				header[k.Value] = v
			}
		}
	}
	var nested *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := deref(root.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "header" {
			if nested != nil {
				return nil, meta, perr(k, 0, "header", "given twice")
			}
			if nested = deref(root.Content[i+1]); nested.Kind != yaml.MappingNode {
				return nil, meta, perr(nested, 0, "header", "want a mapping")
			}
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Content: root.Content[i : i+2]}
		addHeader(m)
	}
	if nested != nil {
		addHeader(nested)
	}
	if headerErr != nil {
		return nil, meta, headerErr
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"title", &meta.Title}, {"creator", &meta.Creator}, {"description", &meta.Description}} {
		n := header[f.name]
		if n == nil {
			if f.name == "description" {
				continue
			}
			return nil, meta, perr(root, 0, f.name, "missing: a TagPack header needs a title and a creator")
		}
		if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
			return nil, meta, perr(n, 0, f.name, "want non-empty text")
		}
		*f.dst = strings.TrimSpace(n.Value)
	}
	list := header["tags"]
	if list == nil {
		return nil, meta, perr(root, 0, "tags", "missing: a TagPack lists its tags under tags")
	}
	if list.Kind != yaml.SequenceNode {
		return nil, meta, perr(list, 0, "tags", "want a list of tags")
	}
	var isPublic bool
	if n := header["is_public"]; n != nil {
		if err := n.Decode(&isPublic); err != nil || n.Kind != yaml.ScalarNode {
			return nil, meta, perr(n, 0, "is_public", "want true or false")
		}
	}

	out := make([]Tag, 0, len(list.Content))
	for i, tn := range list.Content {
		tn = deref(tn)
		num := i + 1
		if tn.Kind != yaml.MappingNode {
			return nil, meta, perr(tn, num, "", "want a mapping of tag fields")
		}
		vals := make(map[string]*yaml.Node, len(header))
		for k, v := range header {
			if tagPackTag[k] {
				vals[k] = v
			}
		}
		own := map[string]bool{}
		for j := 0; j+1 < len(tn.Content); j += 2 {
			k, v := deref(tn.Content[j]), deref(tn.Content[j+1])
			if k.Kind != yaml.ScalarNode {
				return nil, meta, perr(k, num, "", "a key must be a plain name")
			}
			if !tagPackTag[k.Value] {
				return nil, meta, perr(k, num, clip(k.Value), "not a TagPack tag field")
			}
			if own[k.Value] {
				return nil, meta, perr(k, num, k.Value, "given twice")
			}
			own[k.Value] = true
			vals[k.Value] = v
		}
		t, err := tagOf(vals, tn, isPublic)
		if err != nil {
			line := tn.Line
			if n := vals[err.field]; n != nil {
				line = n.Line
			}
			return nil, meta, &ParseError{Format: "TagPack", Line: line, Tag: num, Field: err.field, Msg: err.msg}
		}
		out = append(out, t)
	}
	out, meta.Duplicates = dedupe(out)
	meta.Tags = len(out)
	return out, meta, nil
}

// tagOf builds a tag from its TagPack fields.
func tagOf(vals map[string]*yaml.Node, tn *yaml.Node, isPublic bool) (Tag, *fieldError) {
	var f fields
	f.isPublic = isPublic
	if vals["address"] == nil {
		what := "a tag needs an address"
		if vals["tx_hash"] != nil {
			what = "a transaction tag (tx_hash without address): trawl tags addresses"
		} else if vals["entity"] != nil {
			what = "an entity tag without address: tag one of the cluster's addresses with is_cluster_definer: true"
		}
		return Tag{}, &fieldError{"address", "missing: " + what}
	}
	for _, s := range []struct {
		name string
		dst  *string
	}{
		{"address", &f.address}, {"network", &f.network}, {"currency", &f.currency}, {"label", &f.label},
		{"source", &f.source}, {"actor", &f.actor}, {"category", &f.category}, {"abuse", &f.abuse},
		{"confidence", &f.confidence}, {"entity", &f.cluster}, {"lastmod", &f.lastmod},
		{"context", nil}, {"created", nil}, {"tx_hash", nil}, {"tag_type", nil},
	} {
		n := vals[s.name]
		if n == nil {
			continue
		}
		if n.Kind != yaml.ScalarNode {
			return Tag{}, &fieldError{s.name, "want a single value, not a list or mapping"}
		}
		if n.Tag == "!!null" {
			return Tag{}, &fieldError{s.name, "empty value"}
		}
		if s.dst != nil {
			*s.dst = n.Value
		}
	}
	if n := vals["concepts"]; n != nil {
		switch n.Kind {
		case yaml.ScalarNode:
			f.concepts = []string{n.Value}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if c = deref(c); c.Kind != yaml.ScalarNode {
					return Tag{}, &fieldError{"concepts", "want a list of terms"}
				}
				f.concepts = append(f.concepts, c.Value)
			}
		default:
			return Tag{}, &fieldError{"concepts", "want a list of terms"}
		}
	}
	if n := vals["is_cluster_definer"]; n != nil {
		if err := n.Decode(&f.clusterDefiner); err != nil || n.Kind != yaml.ScalarNode {
			return Tag{}, &fieldError{"is_cluster_definer", "want true or false"}
		}
	}
	return f.build()
}

// deref follows YAML aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}
