package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/taxiiclient"
)

func taxiiCommand() *command {
	return &command{name: "taxii", summary: "pull from and push to other TAXII 2.1 servers", subs: []*command{taxiiPullCommand(), taxiiPushCommand()}}
}

// remoteFlags are the flags that reach a remote server.
type remoteFlags struct {
	collection, keyFile, basicUser string
}

func (r *remoteFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.collection, "collection", "", "collection id on the remote server (required)")
	fs.StringVar(&r.keyFile, "key-file", "", "file holding the remote API key (else TRAWL_TAXII_KEY)")
	fs.StringVar(&r.basicUser, "basic-user", "", "send the key as HTTP Basic password with this user name")
}

func (r *remoteFlags) client(e *env, args []string) (*taxiiclient.Client, error) {
	root, err := oneArg(args, "the API root URL, e.g. https://hub.example/taxii2/hub/")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(root, "http://") && !strings.HasPrefix(root, "https://") {
		return nil, errs.E(errs.Invalid, "the API root must be an http:// or https:// URL, not %q", root)
	}
	if r.collection == "" {
		return nil, errs.E(errs.Invalid, "--collection is required")
	}
	key, _ := e.m.LookupEnv("TRAWL_TAXII_KEY")
	if r.keyFile != "" {
		b, err := os.ReadFile(r.keyFile)
		if err != nil {
			return nil, errs.E(errs.Invalid, "--key-file: %v", err)
		}
		key = strings.TrimSpace(string(b))
	}
	return &taxiiclient.Client{APIRoot: root, Key: key, BasicUser: r.basicUser}, nil
}

func taxiiPullCommand() *command {
	var rf remoteFlags
	var statePath, out, into, org string
	var limit int
	return &command{name: "pull", summary: "pull a remote collection (resumable)", usage: "API_ROOT_URL",
		flags: func(fs *flag.FlagSet) {
			rf.register(fs)
			fs.StringVar(&statePath, "state", "", "file that keeps where the pull stands; the next pull resumes from it")
			fs.IntVar(&limit, "limit", 1000, "objects per page")
			fs.StringVar(&out, "out", "-", "append the objects as JSON lines to this file (- for standard output)")
			fs.StringVar(&into, "into", "", "store the objects in this local collection instead")
			fs.StringVar(&org, "org", "", "with --into: the local organization the objects are recorded as added by")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			c, err := rf.client(e, args)
			if err != nil {
				return err
			}
			var st taxiiclient.State
			if statePath != "" {
				if b, err := os.ReadFile(statePath); err == nil {
					if err := json.Unmarshal(b, &st); err != nil {
						return errs.E(errs.Invalid, "--state %s is not a pull state: %v", statePath, err)
					}
				} else if !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
			var sink func([]json.RawMessage) error
			if into != "" {
				if org == "" {
					return errs.E(errs.Invalid, "--into needs --org")
				}
				o, err := e.org(ctx, org)
				if err != nil {
					return err
				}
				hub, err := e.taxiiService(ctx)
				if err != nil {
					return err
				}
				sink = func(objs []json.RawMessage) error {
					st, err := hub.Import(ctx, o.ID, into, objs)
					if err == nil && st.FailureCount > 0 {
						e.log.Warn("objects refused", "count", st.FailureCount, "first", st.Failures[0].Message)
					}
					return err
				}
			} else {
				w := e.out
				if out != "-" {
					f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
					if err != nil {
						return err
					}
					defer f.Close()
					w = f
				}
				bw := bufio.NewWriter(w)
				defer bw.Flush()
				sink = func(objs []json.RawMessage) error {
					for _, o := range objs {
						var buf bytes.Buffer
						if err := json.Compact(&buf, o); err != nil {
							return err
						}
						buf.WriteByte('\n')
						if _, err := bw.Write(buf.Bytes()); err != nil {
							return err
						}
					}
					return bw.Flush()
				}
			}
			total := 0
			_, err = c.Pull(ctx, rf.collection, limit, st, func(objs []json.RawMessage, st taxiiclient.State) error {
				if err := sink(objs); err != nil {
					return err
				}
				total += len(objs)
				if statePath != "" {
					b, _ := json.Marshal(st)
					if err := writeFileAtomic(statePath, b); err != nil {
						return err
					}
				}
				e.log.Info("pulled", "objects", len(objs), "total", total)
				return nil
			})
			if err != nil {
				return err
			}
			if e.json && into != "" {
				return writeJSONLine(e.out, map[string]any{"pulled": total})
			}
			if into != "" || out != "-" {
				fmt.Fprintf(e.m.Stderr, "pulled %d objects\n", total)
			}
			return nil
		}}
}

func taxiiPushCommand() *command {
	var rf remoteFlags
	var batch int
	return &command{name: "push", summary: "push a STIX file (bundle, envelope, array or JSON lines) to a remote collection", usage: "API_ROOT_URL FILE",
		flags: func(fs *flag.FlagSet) {
			rf.register(fs)
			fs.IntVar(&batch, "batch", 500, "objects per envelope (halved as needed to fit the server's max_content_length)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 {
				return errs.E(errs.Invalid, "want two arguments: the API root URL and the file")
			}
			c, err := rf.client(e, args[:1])
			if err != nil {
				return err
			}
			objs, _, err := readSTIXFile(args[1])
			if err != nil {
				return err
			}
			sts, err := c.Push(ctx, rf.collection, objs, batch)
			if err != nil {
				return err
			}
			var ok, failed int
			for _, s := range sts {
				ok += s.SuccessCount
				failed += s.FailureCount
				for _, f := range s.Failures {
					e.log.Warn("refused by the server", "id", f.ID, "reason", f.Message)
				}
			}
			res := map[string]int{"objects": len(objs), "succeeded": ok, "failed": failed}
			return e.print(res, func(w io.Writer) {
				fmt.Fprintf(w, "pushed %d objects: %d succeeded, %d failed\n", len(objs), ok, failed)
			})
		}}
}

// readSTIXFile reads objects from a bundle, an envelope, a JSON array, one
// object, or JSON lines, and returns the bundle's spec_version if it had one.
func readSTIXFile(path string) ([]json.RawMessage, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", errs.E(errs.Invalid, "%v", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, "", errs.E(errs.Invalid, "%s is empty", path)
	}
	if b[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return nil, "", errs.E(errs.Invalid, "%s: %v", path, err)
		}
		return arr, "", nil
	}
	var top struct {
		Type        string            `json:"type"`
		SpecVersion string            `json:"spec_version"`
		Objects     []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(b, &top); err == nil {
		if top.Objects != nil {
			return top.Objects, top.SpecVersion, nil
		}
		return []json.RawMessage{b}, "", nil
	}
	var objs []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if !json.Valid(line) {
			return nil, "", errs.E(errs.Invalid, "%s:%d: not JSON (want a bundle, an envelope, an array or JSON lines)", path, n)
		}
		objs = append(objs, append(json.RawMessage(nil), line...))
	}
	return objs, "", sc.Err()
}

// writeFileAtomic replaces path with data so that a crash leaves the old or
// the new file, never a torn one.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
