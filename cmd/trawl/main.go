// Command trawl is the one binary of the trawl hub: the server, the demo,
// administration and (as they land) ingest, import, screening and tracing.
// Run `trawl help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/trawlhq/trawl/internal/config"
	"github.com/trawlhq/trawl/internal/errs"
	"github.com/trawlhq/trawl/internal/logfmt"
	"github.com/trawlhq/trawl/internal/pgstore"
	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/sqlstore"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, LookupEnv: os.LookupEnv}
	os.Exit(m.Run(ctx, os.Args[1:]))
}

// Main is the program, with its outside world passed in so that tests run
// the real thing in-process.
type Main struct {
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	// Listening, if set, is called with the base URL once the server listens.
	Listening func(url string)
}

// command is one node of the command tree.
type command struct {
	name    string
	summary string
	usage   string // arguments after the command path, e.g. "NAME"
	flags   func(fs *flag.FlagSet)
	run     func(ctx context.Context, e *env, args []string) error
	subs    []*command
}

// env is what a running command gets: configuration, logger, output.
type env struct {
	m      *Main
	cfg    *config.Loaded
	log    *slog.Logger
	json   bool
	out    io.Writer
	fs     *flag.FlagSet
	store  *sqlstore.DB
	closer []func()
	hooks  hookFlags // serve's webhook options
}

func (m *Main) commands() *command {
	return &command{name: "trawl", summary: "share intelligence on crypto theft and catch the stolen funds", subs: []*command{
		serveCommand(),
		demoCommand(),
		adminCommand(),
		taxiiCommand(),
		importCommand(),
		exportCommand(),
		auditCommand(),
		screenCommand(),
		simulateCommand(),
		ingestCommand(),
		withAnalysis(btcCommand()),
		traceCommand(),
		alertCommand(),
		federateCommand(),
		clusterCommand(),
		sanctionsCommand(),
		{name: "config", summary: "inspect the configuration", subs: []*command{configShowCommand()}},
		{name: "version", summary: "print the version", run: func(ctx context.Context, e *env, args []string) error {
			return e.print(map[string]string{"version": version}, func(w io.Writer) { fmt.Fprintln(w, "trawl", version) })
		}},
	}}
}

// Run runs the command line args and returns the exit code: 0 success,
// 1 failure, 2 usage error.
func (m *Main) Run(ctx context.Context, args []string) int {
	err := m.run(ctx, args)
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errs.Is(err, errs.Invalid):
		fmt.Fprintln(m.Stderr, "trawl:", errs.MessageOf(err))
		return 2
	default:
		fmt.Fprintln(m.Stderr, "trawl:", err)
		return 1
	}
}

func (m *Main) run(ctx context.Context, args []string) error {
	root := m.commands()
	cmd, path := root, []string{"trawl"}
	for len(args) > 0 && len(cmd.subs) > 0 {
		if args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
			m.usage(m.Stdout, cmd, path)
			return nil
		}
		next := cmd.find(args[0])
		if next == nil {
			m.usage(m.Stderr, cmd, path)
			return errs.E(errs.Invalid, "unknown command %q; see `%s help`", args[0], strings.Join(path, " "))
		}
		cmd, path, args = next, append(path, next.name), args[1:]
	}
	if cmd.run == nil {
		m.usage(m.Stderr, cmd, path)
		return errs.E(errs.Invalid, "`%s` needs a subcommand", strings.Join(path, " "))
	}
	fs := flag.NewFlagSet(strings.Join(path, " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var loader config.Loader
	loader.RegisterFlags(fs)
	e := &env{m: m, out: m.Stdout, fs: fs}
	fs.BoolVar(&e.json, "json", false, "machine-readable output (JSON; JSON lines for lists)")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		m.leafUsage(m.Stdout, cmd, path, fs)
		return err
	}
	if err != nil {
		return errs.E(errs.Invalid, "%v; see `%s --help`", err, strings.Join(path, " "))
	}
	cfg, err := loader.Load(m.LookupEnv)
	if err != nil {
		return errs.E(errs.Invalid, "%v", err)
	}
	e.cfg = cfg
	e.log = newLogger(m.Stderr, cfg.LogFormat, cfg.LogLevel)
	defer func() {
		for i := len(e.closer) - 1; i >= 0; i-- {
			e.closer[i]()
		}
	}()
	err = cmd.run(ctx, e, pos)
	// Administrative changes made on this machine are audited like API calls.
	if err == nil && (len(path) > 2 && (path[1] == "admin" || path[1] == "import" || path[1] == "sanctions" || (path[1] == "cluster" && (path[2] == "veto" || path[2] == "unveto"))) && path[len(path)-1] != "list") {
		e.auditCLI(ctx, path, pos)
	}
	return err
}

func (c *command) find(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// parseInterleaved lets flags follow positional arguments, as in
// `trawl admin org create kofiu --title "Korea FIU"`.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (m *Main) usage(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "%s — %s\n\nUsage: %s <command> [flags]\n\nCommands:\n", strings.Join(path, " "), c.summary, strings.Join(path, " "))
	for _, s := range c.subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun `%s <command> --help` for a command's flags.\n", strings.Join(path, " "))
}

func (m *Main) leafUsage(w io.Writer, c *command, path []string, fs *flag.FlagSet) {
	fmt.Fprintf(w, "%s — %s\n\nUsage: %s [flags] %s\n", strings.Join(path, " "), c.summary, strings.Join(path, " "), c.usage)
	// The command's own flags first, then the configuration every command takes.
	for _, part := range []struct {
		title  string
		common bool
	}{{"Flags", false}, {"Configuration (also a config file line, or TRAWL_<NAME> in the environment)", true}} {
		sub := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		fs.VisitAll(func(f *flag.Flag) {
			if config.IsOption(f.Name) == part.common {
				sub.Var(f.Value, f.Name, f.Usage)
			}
		})
		fmt.Fprintf(w, "\n%s:\n", part.title)
		sub.SetOutput(w)
		sub.PrintDefaults()
	}
}

func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	lv.UnmarshalText([]byte(level))
	return slog.New(logfmt.New(w, format == "json", &slog.HandlerOptions{Level: lv}))
}

// openStore opens the configured relational store once per command.
func (e *env) openStore(ctx context.Context) (*sqlstore.DB, error) {
	if e.store != nil {
		return e.store, nil
	}
	var (
		s   *sqlstore.DB
		err error
	)
	if e.cfg.DB != "" {
		if !pgstore.IsURL(e.cfg.DB) {
			return nil, errs.E(errs.Invalid, "--db must be a postgres:// URL")
		}
		s, err = pgstore.Open(ctx, e.cfg.DB)
	} else {
		s, err = sqlitestore.Open(ctx, e.cfg.DataDir)
	}
	if err != nil {
		return nil, err
	}
	e.store = s
	e.closer = append(e.closer, func() { s.Close() })
	return s, nil
}

// print writes v as JSON with --json, else calls text.
func (e *env) print(v any, text func(w io.Writer)) error {
	if e.json {
		return writeJSONLine(e.out, v)
	}
	text(e.out)
	return nil
}
