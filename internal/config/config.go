// Package config holds trawl's settings and loads them in a fixed order:
// defaults, then a config file, then the environment (TRAWL_*), then flags.
// Every option has one name used in all three places: "max-body" is the file
// key max-body, the variable TRAWL_MAX_BODY and the flag --max-body. Secret
// options can also be read from a file named by TRAWL_<NAME>_FILE, and are
// never printed in full.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration of a trawl process.
type Config struct {
	DataDir         string
	DB              string // PostgreSQL URL; empty selects the embedded SQLite store in DataDir
	Listen          string
	TLSCert         string
	TLSKey          string
	LogFormat       string // text or json
	LogLevel        string // debug, info, warn, error
	MaxBody         int64  // bytes of a request body
	RateLimit       float64
	RateBurst       int
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	ShutdownTimeout time.Duration
	KeyCacheTTL     time.Duration
	// SessionSecret keys the web UI's session cookies with the API keys'
	// digests; replicas behind one load balancer need the same.
	SessionSecret string
	// ClusterChange names the change heuristics clustering applies besides
	// the multi-input rule (txclass names: onetime, type, optimal, round,
	// locktime, reuse, peel, default, all, none).
	ClusterChange string
}

// Default returns the defaults.
func Default() Config {
	return Config{
		DataDir:         "./trawl-data",
		Listen:          "127.0.0.1:8080",
		LogFormat:       "text",
		LogLevel:        "info",
		MaxBody:         16 << 20,
		RateLimit:       100,
		RateBurst:       200,
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    60 * time.Second,
		IdleTimeout:     120 * time.Second,
		ShutdownTimeout: 30 * time.Second,
		KeyCacheTTL:     10 * time.Second,
	}
}

// Source says where an option's value came from.
type Source string

const (
	FromDefault Source = "default"
	FromFile    Source = "file"
	FromEnv     Source = "env"
	FromFlag    Source = "flag"
)

type option struct {
	name   string
	help   string
	secret bool
	set    func(string) error
	get    func() string
}

func (c *Config) options() []option {
	return []option{
		strOpt("data", "data directory of the embedded stores", &c.DataDir),
		{name: "db", help: "PostgreSQL URL (postgres://...); empty uses SQLite in the data directory", secret: true,
			set: func(s string) error { c.DB = s; return nil }, get: func() string { return c.DB }},
		strOpt("listen", "address the server listens on (host:port)", &c.Listen),
		strOpt("tls-cert", "TLS certificate file (PEM); with tls-key, serve HTTPS", &c.TLSCert),
		strOpt("tls-key", "TLS private key file (PEM)", &c.TLSKey),
		strOpt("log-format", "log format: text or json", &c.LogFormat),
		strOpt("log-level", "log level: debug, info, warn or error", &c.LogLevel),
		{name: "max-body", help: "largest request body in bytes",
			set: func(s string) (err error) { c.MaxBody, err = strconv.ParseInt(s, 10, 64); return },
			get: func() string { return strconv.FormatInt(c.MaxBody, 10) }},
		{name: "rate-limit", help: "requests per second per API key (0 disables)",
			set: func(s string) (err error) { c.RateLimit, err = strconv.ParseFloat(s, 64); return },
			get: func() string { return strconv.FormatFloat(c.RateLimit, 'g', -1, 64) }},
		{name: "rate-burst", help: "requests a key may send at once above the rate",
			set: func(s string) (err error) { c.RateBurst, err = strconv.Atoi(s); return },
			get: func() string { return strconv.Itoa(c.RateBurst) }},
		durOpt("read-timeout", "time to read a whole request", &c.ReadTimeout),
		durOpt("write-timeout", "time to write a whole response", &c.WriteTimeout),
		durOpt("idle-timeout", "time an idle keep-alive connection is kept", &c.IdleTimeout),
		durOpt("shutdown-timeout", "time in-flight requests get to finish on SIGTERM", &c.ShutdownTimeout),
		durOpt("key-cache-ttl", "how long a verified API key is cached (bounds how late another replica sees a revocation)", &c.KeyCacheTTL),
		strOpt("cluster-change", "change heuristics clustering adds to the multi-input rule: none (default), default, all, or a list of onetime,type,optimal,round,locktime,reuse,peel", &c.ClusterChange),
		{name: "session-secret", help: "secret that signs web UI session cookies together with each key's digest (at least 32 characters; the same on every replica; also TRAWL_SESSION_SECRET_FILE)", secret: true,
			set: func(s string) error { c.SessionSecret = s; return nil }, get: func() string { return c.SessionSecret }},
	}
}

func strOpt(name, help string, p *string) option {
	return option{name: name, help: help, set: func(s string) error { *p = s; return nil }, get: func() string { return *p }}
}

func durOpt(name, help string, p *time.Duration) option {
	return option{name: name, help: help,
		set: func(s string) (err error) { *p, err = time.ParseDuration(s); return },
		get: func() string { return p.String() }}
}

// IsOption reports whether name is a configuration option (or --config).
func IsOption(name string) bool {
	if name == "config" {
		return true
	}
	var c Config
	for _, o := range c.options() {
		if o.name == name {
			return true
		}
	}
	return false
}

// EnvName returns the environment variable of an option.
func EnvName(name string) string {
	return "TRAWL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Loader collects flag values during flag parsing and applies all layers.
type Loader struct {
	flags   [][2]string
	cfgFile string
}

// RegisterFlags adds every option, and --config, to fs.
func (l *Loader) RegisterFlags(fs *flag.FlagSet) {
	var c Config
	def := Default()
	defOpts := def.options()
	for i, o := range c.options() {
		name := o.name
		fs.Func(name, o.help+" (default "+quoteDefault(defOpts[i])+")", func(s string) error {
			l.flags = append(l.flags, [2]string{name, s})
			return nil
		})
	}
	fs.StringVar(&l.cfgFile, "config", "", "config `file` of name = value lines (also TRAWL_CONFIG)")
}

func quoteDefault(o option) string {
	if v := o.get(); v != "" {
		return strconv.Quote(v)
	}
	return "none"
}

// Loaded is a configuration with the origin of each value.
type Loaded struct {
	Config
	Sources map[string]Source
	File    string
}

// Load builds the configuration: defaults, file, environment, flags.
// lookupEnv is os.LookupEnv in production.
func (l *Loader) Load(lookupEnv func(string) (string, bool)) (*Loaded, error) {
	out := &Loaded{Config: Default(), Sources: map[string]Source{}}
	opts := out.Config.options()
	byName := map[string]option{}
	for _, o := range opts {
		byName[o.name] = o
		out.Sources[o.name] = FromDefault
	}
	file := l.cfgFile
	if file == "" {
		file, _ = lookupEnv("TRAWL_CONFIG")
	}
	if file != "" {
		out.File = file
		if err := applyFile(file, byName, out.Sources); err != nil {
			return nil, err
		}
	}
	for _, o := range opts {
		env := EnvName(o.name)
		if v, ok := lookupEnv(env); ok {
			if err := o.set(v); err != nil {
				return nil, fmt.Errorf("config: %s=%q: %w", env, redactIf(o, v), cleanErr(err))
			}
			out.Sources[o.name] = FromEnv
		}
		if o.secret {
			if path, ok := lookupEnv(env + "_FILE"); ok {
				b, err := os.ReadFile(path)
				if err != nil {
					return nil, fmt.Errorf("config: %s_FILE: %w", env, err)
				}
				o.set(strings.TrimSpace(string(b)))
				out.Sources[o.name] = FromEnv
			}
		}
	}
	for _, f := range l.flags {
		o := byName[f[0]]
		if err := o.set(f[1]); err != nil {
			return nil, fmt.Errorf("config: --%s %q: %w", f[0], redactIf(o, f[1]), cleanErr(err))
		}
		out.Sources[f[0]] = FromFlag
	}
	if err := out.Config.Validate(); err != nil {
		return nil, err
	}
	return out, nil
}

func applyFile(path string, byName map[string]option, src map[string]Source) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return fmt.Errorf("config: %s:%d: want `name = value`", path, n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		o, ok := byName[k]
		if !ok {
			return fmt.Errorf("config: %s:%d: unknown option %q", path, n, k)
		}
		if err := o.set(v); err != nil {
			return fmt.Errorf("config: %s:%d: %s: %w", path, n, k, cleanErr(err))
		}
		src[k] = FromFile
	}
	return sc.Err()
}

func cleanErr(err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return ne.Err
	}
	return err
}

func redactIf(o option, v string) string {
	if o.secret {
		return Redact(o.name, v)
	}
	return v
}

// Validate checks the configuration and says what to fix.
func (c *Config) Validate() error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if c.DataDir == "" {
		bad("data: must not be empty")
	}
	if c.DB != "" {
		u, err := url.Parse(c.DB)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("db: want a URL like postgres://user@host:5432/trawl")
		}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen: want host:port, e.g. 127.0.0.1:8080 or :8080")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		bad("tls-cert and tls-key: give both or neither")
	}
	for _, f := range []struct{ name, path string }{{"tls-cert", c.TLSCert}, {"tls-key", c.TLSKey}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				bad("%s: %v", f.name, err)
			}
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("log-format: want text or json, not %q", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level: want debug, info, warn or error, not %q", c.LogLevel)
	}
	if c.MaxBody < 1024 {
		bad("max-body: want at least 1024 bytes")
	}
	if c.RateLimit < 0 {
		bad("rate-limit: must not be negative")
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		bad("rate-burst: want at least 1 when rate-limit is set")
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"read-timeout", c.ReadTimeout}, {"write-timeout", c.WriteTimeout}, {"idle-timeout", c.IdleTimeout}, {"shutdown-timeout", c.ShutdownTimeout}} {
		if d.v <= 0 {
			bad("%s: must be positive", d.name)
		}
	}
	if c.KeyCacheTTL < 0 {
		bad("key-cache-ttl: must not be negative")
	}
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		bad("session-secret: use at least 32 characters (a random string)")
	}
	if len(problems) > 0 {
		return errors.New("config: " + strings.Join(problems, "; "))
	}
	return nil
}

// Redact hides the secret part of an option's value: the password of a URL,
// or all of any other secret.
func Redact(name, v string) string {
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		}
		q := u.Query()
		for _, k := range []string{"password", "sslpassword"} {
			if q.Has(k) {
				q.Set(k, "REDACTED")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return "REDACTED"
}

// Entry is one line of `trawl config show`.
type Entry struct {
	Name   string `json:"name"`
	Env    string `json:"env"`
	Value  string `json:"value"`
	Source Source `json:"source"`
	Help   string `json:"help"`
}

// Entries lists every option with its value (secrets redacted) and source.
func (l *Loaded) Entries() []Entry {
	var out []Entry
	for _, o := range l.Config.options() {
		v := o.get()
		if o.secret {
			v = Redact(o.name, v)
		}
		out = append(out, Entry{Name: o.name, Env: EnvName(o.name), Value: v, Source: l.Sources[o.name], Help: o.help})
	}
	return out
}
