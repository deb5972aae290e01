package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertsBetweenOrganizations: an FIU alerts an exchange about
// addresses named by its indicators; the rule of DESIGN.md holds on every
// path (REST and CLI, SQLite and PostgreSQL).
func TestAlertsBetweenOrganizations(t *testing.T) {
	stores(t, func(t *testing.T, sa []string) {
		for _, org := range []string{"fiu", "exchange", "stranger"} {
			cli(t, append([]string{"admin", "org", "create", org}, sa...)...)
		}
		keys := map[string]string{}
		dir := t.TempDir()
		keyFile := map[string]string{}
		for _, org := range []string{"fiu", "exchange", "stranger"} {
			var k createdKey
			mustJSON(t, &k, append([]string{"admin", "key", "create", "--org", org, "--role", "analyst"}, sa...)...)
			keys[org] = k.Token
			keyFile[org] = filepath.Join(dir, org+".key")
			os.WriteFile(keyFile[org], []byte(k.Token+"\n"), 0o600)
		}
		cli(t, append([]string{"admin", "group", "create", "asia", "--org", "fiu", "--members", "exchange"}, sa...)...)
		var coll struct{ ID string }
		mustJSON(t, &coll, append([]string{"admin", "collection", "create", "--title", "shared", "--org", "fiu"}, sa...)...)
		cli(t, append([]string{"admin", "collection", "grant", coll.ID, "--org", "exchange", "--read"}, sa...)...)
		in := start(t, append([]string{"serve"}, sa...)...)
		r := post(t, in.url+"/taxii2/hub/collections/"+coll.ID+"/objects/", keys["fiu"], envelope(
			marked(1, "", tlpAmber),
			marked(2, "", tlpAmberStrict),
			marked(3, `,"x_trawl_sharing_group":"asia"`, tlpGreen),
			marked(4, "", tlpClear),
		))
		if r.json(t)["success_count"] != 4.0 {
			t.Fatalf("post: %s", r.body)
		}
		id := func(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }
		send := func(from string, args ...string) (string, string, int) {
			return cli(t, append([]string{"alert", "send", "--url", in.url, "--key-file", keyFile[from], "--address", "btc:bc1qdeposit", "--json"}, args...)...)
		}
		// Raised: the exchange may read the AMBER indicator.
		out, errOut, code := send("fiu", "--to", "exchange", "--source", id(1), "--note", "freeze the deposit")
		if code != 0 {
			t.Fatalf("alert send: %d %s", code, errOut)
		}
		var a struct{ ID, Marking, Status string }
		var full map[string]any
		json.Unmarshal([]byte(out), &full)
		a.ID, a.Marking, a.Status = full["id"].(string), full["marking"].(string), full["status"].(string)
		if a.Marking != "amber" || a.Status != "new" || full["to_org_name"] != "exchange" {
			t.Fatalf("alert: %s", out)
		}
		// Refused: a stranger may not read the source; AMBER+STRICT stays with
		// the FIU; a marking wider than the source's; a source the raiser may
		// not read is reported missing.
		for _, c := range []struct {
			from string
			args []string
			want string
		}{
			{"fiu", []string{"--to", "stranger", "--source", id(1)}, "may not read source"},
			{"fiu", []string{"--to", "exchange", "--source", id(2)}, "may not read source"},
			{"fiu", []string{"--to", "exchange", "--source", id(1), "--marking", "clear"}, "wider than the sources' amber"},
			{"stranger", []string{"--to", "exchange", "--source", id(1)}, "no object"},
			{"fiu", []string{"--to", "exchange", "--source", "indicator--nope"}, "not a STIX id"},
		} {
			if _, errOut, code := send(c.from, c.args...); code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("%s %v: exit %d %q, want %q", c.from, c.args, code, errOut, c.want)
			}
		}
		// The addressee lists and acknowledges; the raiser sees it; the
		// stranger gets the answer of a missing alert.
		list := func(org string, args ...string) []map[string]any {
			out, errOut, code := cli(t, append([]string{"alert", "list", "--url", in.url, "--key-file", keyFile[org], "--json"}, args...)...)
			if code != 0 {
				t.Fatalf("list: %s", errOut)
			}
			var as []map[string]any
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				if l == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("not a JSON line: %q", l)
				}
				as = append(as, m)
			}
			return as
		}
		if as := list("exchange", "--box", "inbox"); len(as) != 1 || as[0]["id"] != a.ID || as[0]["note"] != "freeze the deposit" {
			t.Fatalf("exchange inbox: %v", as)
		}
		if as := list("fiu", "--box", "sent"); len(as) != 1 {
			t.Fatalf("fiu sent: %v", as)
		}
		if as := list("stranger"); len(as) != 0 {
			t.Fatalf("stranger lists %v", as)
		}
		missing := "alert--00000000-0000-4000-8000-000000000000"
		hidden := do(t, nil, "GET", in.url+"/api/v1/alerts/"+a.ID, keys["stranger"], nil)
		absent := do(t, nil, "GET", in.url+"/api/v1/alerts/"+missing, keys["stranger"], nil)
		if hidden.status != 404 || absent.status != 404 || strings.ReplaceAll(string(hidden.body), a.ID, "X") != strings.ReplaceAll(string(absent.body), missing, "X") {
			t.Fatalf("hidden %d %s vs missing %d %s", hidden.status, hidden.body, absent.status, absent.body)
		}
		if r := do(t, nil, "POST", in.url+"/api/v1/alerts/"+a.ID+"/ack", keys["stranger"], nil); r.status != 404 {
			t.Fatalf("stranger ack: %d", r.status)
		}
		if r := do(t, nil, "POST", in.url+"/api/v1/alerts/"+a.ID+"/ack", keys["fiu"], nil); r.status != 403 {
			t.Fatalf("raiser ack: %d %s", r.status, r.body)
		}
		var acked map[string]any
		mustJSON(t, &acked, "alert", "ack", a.ID, "--url", in.url, "--key-file", keyFile["exchange"])
		if acked["status"] != "acknowledged" || acked["acknowledged_by"] == "" || acked["acknowledged_at"] == nil {
			t.Fatalf("ack: %v", acked)
		}
		if as := list("exchange", "--status", "new"); len(as) != 0 {
			t.Fatalf("new after ack: %v", as)
		}
		mustJSON(t, &acked, "alert", "ack", a.ID, "--close", "--url", in.url, "--key-file", keyFile["fiu"])
		if acked["status"] != "closed" {
			t.Fatalf("close: %v", acked)
		}

		// An alert from a source restricted to a sharing group stops
		// reaching the addressee the moment it leaves the group.
		out, errOut, code = send("fiu", "--to", "exchange", "--source", id(3), "--source", id(4))
		if code != 0 {
			t.Fatalf("group alert: %s", errOut)
		}
		json.Unmarshal([]byte(out), &full)
		gid := full["id"].(string)
		if full["marking"] != "green" {
			t.Fatalf("marking of GREEN+CLEAR sources: %v", full["marking"])
		}
		if r := do(t, nil, "GET", in.url+"/api/v1/alerts/"+gid, keys["exchange"], nil); r.status != 200 {
			t.Fatalf("member reads: %d", r.status)
		}
		if _, e, code := cli(t, append([]string{"admin", "group", "remove", "asia", "--org", "exchange"}, sa...)...); code != 0 {
			t.Fatal(e)
		}
		if r := do(t, nil, "GET", in.url+"/api/v1/alerts/"+gid, keys["exchange"], nil); r.status != 404 {
			t.Fatalf("removed member still reads the alert: %d", r.status)
		}
		if as := list("exchange"); len(as) != 1 || as[0]["id"] != a.ID {
			t.Fatalf("removed member lists: %v", as)
		}
		if r := do(t, nil, "GET", in.url+"/api/v1/alerts/"+gid, keys["fiu"], nil); r.status != 200 {
			t.Fatalf("raiser lost its alert: %d", r.status)
		}
	})
}
