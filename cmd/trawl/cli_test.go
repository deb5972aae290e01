package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/sqlitestore"
)

func TestCLIUsageErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		args    []string
		code    int
		mention string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"group without subcommand", []string{"admin"}, 2, "needs a subcommand"},
		{"unknown flag", []string{"admin", "org", "list", "--colour"}, 2, "-colour"},
		{"missing org name", []string{"admin", "org", "create", "--data", dir}, 2, "want exactly one argument"},
		{"bad org name", []string{"admin", "org", "create", "Not Valid", "--data", dir}, 2, "organization name"},
		{"missing role", []string{"admin", "key", "create", "--org", "x", "--data", dir}, 2, "--org and --role are required"},
		{"unknown org", []string{"admin", "key", "create", "--org", "nope", "--role", "admin", "--data", dir}, 1, `no organization named "nope"`},
		{"bad role", []string{"admin", "user", "create", "--org", "nope", "--email", "a@b.example", "--role", "boss", "--data", dir}, 2, "unknown role"},
		{"revoke unknown", []string{"admin", "key", "revoke", "key_nope", "--data", dir}, 1, "no key"},
		{"bad config", []string{"config", "show", "--log-format", "xml"}, 2, "log-format"},
		{"bad db url", []string{"admin", "org", "list", "--db", "mysql://x/y"}, 2, "db: want a URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, code := cli(t, c.args...)
			if code != c.code || !strings.Contains(errOut, c.mention) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, c.code, c.mention)
			}
		})
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	var walk func(c *command, path []string)
	walk = func(c *command, path []string) {
		out, errOut, code := cli(t, append(path[1:], "--help")...)
		if code != 0 || !strings.Contains(out, c.summary) {
			t.Errorf("%v --help: exit %d, out %q, err %q", path, code, out, errOut)
		}
		for _, s := range c.subs {
			walk(s, append(path, s.name))
		}
	}
	walk((&Main{}).commands(), []string{"trawl"})
}

func TestAdminJSONOutput(t *testing.T) {
	dir := t.TempDir()
	cli(t, "admin", "org", "create", "beta", "--data", dir)
	cli(t, "admin", "org", "create", "alpha", "--title", "Alpha FIU", "--data", dir)
	cli(t, "admin", "user", "create", "--org", "alpha", "--email", "A@Alpha.example", "--role", "analyst", "--data", dir)
	var k createdKey
	mustJSON(t, &k, "admin", "key", "create", "--org", "alpha", "--role", "analyst", "--user", "a@alpha.example", "--data", dir)
	if !strings.HasPrefix(k.Token, "trawl_"+k.Key.ID+"_") {
		t.Fatalf("token %q does not carry key id %q", k.Token, k.Key.ID)
	}
	out, _, code := cli(t, "admin", "org", "list", "--json", "--data", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("org list: want 2 JSON lines, got %q", out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["name"] != "alpha" || first["title"] != "Alpha FIU" {
		t.Fatalf("first line %q: %v", lines[0], err)
	}
	out, _, _ = cli(t, "admin", "key", "list", "--json", "--data", dir)
	if strings.Contains(out, k.Token[len(k.Token)-20:]) || strings.Contains(out, "hash") {
		t.Fatalf("key list reveals secret material: %s", out)
	}
	out, _, _ = cli(t, "admin", "user", "list", "--org", "alpha", "--data", dir)
	if !strings.Contains(out, "a@alpha.example") || !strings.Contains(out, "analyst") {
		t.Fatalf("user table: %s", out)
	}
}

func TestConfigShow(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "trawl.conf")
	os.WriteFile(conf, []byte("listen = 127.0.0.1:9999\ndb = postgres://trawl:s3cret@db.example:5432/trawl\n"), 0o600)
	var out, errb syncBuffer
	m := &Main{Stdout: &out, Stderr: &errb, LookupEnv: func(k string) (string, bool) {
		if k == "TRAWL_LOG_LEVEL" {
			return "debug", true
		}
		return "", false
	}}
	if code := m.Run(context.Background(), []string{"config", "show", "--config", conf, "--rate-limit", "3", "--json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "s3cret") {
		t.Fatal("config show prints the database password")
	}
	got := map[string][2]string{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var e struct{ Name, Value, Source string }
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		got[e.Name] = [2]string{e.Value, e.Source}
	}
	want := map[string][2]string{
		"listen":     {"127.0.0.1:9999", "file"},
		"log-level":  {"debug", "env"},
		"rate-limit": {"3", "flag"},
		"data":       {"./trawl-data", "default"},
		"db":         {"postgres://trawl:REDACTED@db.example:5432/trawl", "file"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}

func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	in := start(t, "demo", "--data", dir, "--json")
	var info demoInfo
	deadline := time.Now().Add(5 * time.Second)
	for json.Unmarshal([]byte(in.stdout.String()), &info) != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if info.URL != in.url || len(info.Keys) != 3 {
		t.Fatalf("demo output: %+v (stdout %q)", info, in.stdout.String())
	}
	r := do(t, nil, "GET", in.url+"/api/v1/orgs", info.Keys["hub"], nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"fiu"`) || !strings.Contains(string(r.body), `"exchange"`) {
		t.Fatalf("orgs as hub admin: %d %s", r.status, r.body)
	}
	r = do(t, nil, "GET", in.url+"/api/v1/whoami", info.Keys["exchange"], nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"org":"exchange"`) {
		t.Fatalf("whoami as exchange: %d %s", r.status, r.body)
	}
	r = do(t, nil, "GET", in.url+"/taxii2/hub/collections/"+info.Collection+"/", info.Keys["exchange"], nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"can_write":true`) {
		t.Fatalf("the exchange's view of the demo collection: %d %s", r.status, r.body)
	}
	// The exchange screens an address the FIU shared from the simulated theft.
	if info.Shared == 0 || info.Example == "" || info.StolenBTC <= 0 {
		t.Fatalf("demo theft: %+v", info)
	}
	r = do(t, nil, "POST", in.url+"/api/v1/screen", info.Keys["exchange"], strings.NewReader(`{"addresses":["`+info.Example+`"]}`))
	if r.status != 200 || !strings.Contains(string(r.body), `"listed":true`) || !strings.Contains(string(r.body), `"tlp":"amber"`) {
		t.Fatalf("the exchange screens the thief's address: %d %s", r.status, r.body)
	}
	if _, err := os.Stat(filepath.Join(dir, sqlitestore.FileName)); err != nil {
		t.Fatalf("demo store not in --data: %v", err)
	}
}

func TestDemoRefusesForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious.txt"), []byte("keep me"), 0o600)
	_, errOut, code := cli(t, "demo", "--data", dir, "--listen", "127.0.0.1:0")
	if code != 2 || !strings.Contains(errOut, "not a demo directory") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "precious.txt")); err != nil || string(b) != "keep me" {
		t.Fatal("the demo touched a directory that is not its own")
	}
}

// TestSIGTERM runs the real binary and stops it as an orchestrator does.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "trawl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--log-format", "json")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var url string
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("--log-format json wrote a non-JSON line: %q", sc.Text())
		}
		if line["msg"] == "listening" {
			url = line["url"].(string)
			break
		}
	}
	if r := do(t, nil, "GET", url+"/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	var stopped bool
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"msg":"stopped"`) {
			stopped = true
		}
	}
	if err := cmd.Wait(); err != nil || !stopped {
		t.Fatalf("after SIGTERM: %v, clean stop logged: %v", err, stopped)
	}
}
