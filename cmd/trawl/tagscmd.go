package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/identity"
	"github.com/trawlhq/trawl/internal/tags"
)

// importTagsCommand is `trawl import tags`.
func importTagsCommand() *command {
	var format, pack string
	var showDiff bool
	return &command{name: "tags", summary: "import attribution tags (GraphSense TagPack YAML or CSV address,label,category,source)", usage: "FILE",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", "", "tagpack or csv (default: by the file's extension, .yaml/.yml or .csv)")
			fs.StringVar(&pack, "pack", "", "the name the file's tags are kept under; importing it again replaces them (default: the TagPack title, else the file name)")
			fs.StringVar(&pack, "source", "", "the tag source this file is: the same as --pack")
			fs.BoolVar(&showDiff, "diff", false, "print the tags added, removed and changed")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			path, err := oneArg(args, "the tag file")
			if err != nil {
				return err
			}
			parse, err := tagParser(format, path)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return errs.E(errs.Invalid, "%v", err)
			}
			store, err := e.openStore(ctx)
			if err != nil {
				return err
			}
			start := time.Now()
			rec, meta, err := importTags(ctx, store, pack, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)), data, parse)
			if err != nil {
				return err
			}
			if meta.Duplicates > 0 {
				e.log.Warn("tags repeated in the file were dropped", "pack", rec.Pack, "duplicates", meta.Duplicates)
			}
			out := *rec
			if !showDiff {
				out.Diff = tags.Diff{}
			}
			return e.print(out, func(w io.Writer) {
				if rec.Unchanged {
					fmt.Fprintf(w, "%s: unchanged since the last import (%d tags)\n", rec.Pack, rec.Tags)
					return
				}
				fmt.Fprintf(w, "%s: %d tags (%s) in %s: %d added, %d removed, %d changed\n",
					rec.Pack, rec.Tags, rec.Format, time.Since(start).Round(time.Millisecond), rec.Added, rec.Removed, rec.Changed)
				if len(rec.Sources) > 1 {
					for _, s := range rec.Sources {
						fmt.Fprintf(w, "  %s: %d tags: %d added, %d removed, %d changed\n", s.Source, s.Tags, s.Added, s.Removed, s.Changed)
					}
				}
			})
		}}
}

// tagParser picks the parser by --format or by the file's extension.
func tagParser(format, path string) (func(io.Reader) ([]tags.Tag, tags.Meta, error), error) {
	if format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml":
			format = "tagpack"
		case ".csv":
			format = "csv"
		default:
			return nil, errs.E(errs.Invalid, "cannot tell the format of %s by its extension: give --format tagpack or --format csv", path)
		}
	}
	switch strings.ToLower(format) {
	case "tagpack", "yaml":
		return tags.ParseTagPack, nil
	case "csv":
		return tags.ParseCSV, nil
	}
	return nil, errs.E(errs.Invalid, "--format %q: want tagpack or csv", format)
}

// importTags parses data and makes it the current tags of pack. Without a
// pack name, a TagPack is kept under its title, anything else under
// fallback.
func importTags(ctx context.Context, store tags.Store, pack, fallback string, data []byte, parse func(io.Reader) ([]tags.Tag, tags.Meta, error)) (*tags.ImportRecord, tags.Meta, error) {
	ts, meta, err := parse(bytes.NewReader(data))
	if err != nil {
		return nil, meta, err
	}
	for _, p := range []string{meta.Title, fallback} {
		if pack == "" {
			pack = p
		}
	}
	sum := sha256.Sum256(data)
	rec, err := tags.Import(ctx, store, pack, ts, meta, hex.EncodeToString(sum[:]), identity.NewID("timp"), time.Now())
	return rec, meta, err
}
