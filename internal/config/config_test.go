package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, file string, env map[string]string, args ...string) (*Loaded, error) {
	t.Helper()
	var l Loader
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	l.RegisterFlags(fs)
	if file != "" {
		p := filepath.Join(t.TempDir(), "trawl.conf")
		if err := os.WriteFile(p, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", p}, args...)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return l.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
}

func TestLayersApplyInOrder(t *testing.T) {
	file := "# comment\nlisten = 127.0.0.1:9000\nlog-level = warn\nrate-limit = 5\nread-timeout = \"7s\"\n"
	env := map[string]string{"TRAWL_LOG_LEVEL": "error", "TRAWL_RATE_LIMIT": "6"}
	got, err := load(t, file, env, "--rate-limit", "7")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		got  any
		want any
		src  Source
	}{
		{"listen", got.Listen, "127.0.0.1:9000", FromFile},
		{"log-level", got.LogLevel, "error", FromEnv},
		{"rate-limit", got.RateLimit, 7.0, FromFlag},
		{"read-timeout", got.ReadTimeout, 7 * time.Second, FromFile},
		{"data", got.DataDir, "./trawl-data", FromDefault},
	}
	for _, c := range cases {
		if c.got != c.want || got.Sources[c.name] != c.src {
			t.Errorf("%s = %v from %s, want %v from %s", c.name, c.got, got.Sources[c.name], c.want, c.src)
		}
	}
}

func TestSecretFromFileAndRedaction(t *testing.T) {
	p := filepath.Join(t.TempDir(), "db")
	os.WriteFile(p, []byte("postgres://trawl:hunter2@db.internal:5432/trawl?sslmode=require\n"), 0o600)
	got, err := load(t, "", map[string]string{"TRAWL_DB_FILE": p})
	if err != nil {
		t.Fatal(err)
	}
	if got.DB != "postgres://trawl:hunter2@db.internal:5432/trawl?sslmode=require" {
		t.Fatalf("db = %q", got.DB)
	}
	for _, e := range got.Entries() {
		if strings.Contains(e.Value, "hunter2") {
			t.Fatalf("config show reveals the password: %+v", e)
		}
		if e.Name == "db" && !strings.Contains(e.Value, "trawl:REDACTED@db.internal") {
			t.Fatalf("db shown as %q; want the URL with its password redacted", e.Value)
		}
	}
	if r := Redact("db", "postgres://h/x?password=hunter2"); strings.Contains(r, "hunter2") {
		t.Fatalf("password query parameter shown: %s", r)
	}
}

func TestErrorsNameWhatToFix(t *testing.T) {
	cases := []struct {
		name string
		file string
		env  map[string]string
		args []string
		want string
	}{
		{"bad duration flag", "", nil, []string{"--read-timeout", "soon"}, "--read-timeout"},
		{"bad number env", "", map[string]string{"TRAWL_MAX_BODY": "lots"}, nil, "TRAWL_MAX_BODY"},
		{"unknown file key", "listne = :80\n", nil, nil, `trawl.conf:1: unknown option "listne"`},
		{"file line without =", "\n\nlisten\n", nil, nil, "trawl.conf:3"},
		{"log format", "", nil, []string{"--log-format", "xml"}, "log-format: want text or json"},
		{"listen", "", nil, []string{"--listen", "8080"}, "listen: want host:port"},
		{"tls half", "", nil, []string{"--tls-cert", "/nonexistent"}, "give both or neither"},
		{"db scheme", "", nil, []string{"--db", "mysql://x/y"}, "db: want a URL"},
		{"tiny body", "", nil, []string{"--max-body", "10"}, "max-body"},
		{"negative timeout", "", nil, []string{"--idle-timeout", "-1s"}, "idle-timeout: must be positive"},
		{"short session secret", "", map[string]string{"TRAWL_SESSION_SECRET": "hunter2"}, nil, "session-secret: use at least 32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.file, c.env, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v; want it to mention %q", err, c.want)
			}
		})
	}
}

func TestBadSecretValueIsNotEchoed(t *testing.T) {
	_, err := load(t, "", nil, "--db", "postgres://u:topsecret@/")
	if err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("err = %v", err)
	}
}
