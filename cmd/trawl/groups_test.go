package main

import (
	"strings"
	"testing"
)

// TestSharingGroupsOverREST: a hub admin manages sharing groups and a
// collection owner restricts its collection over REST, with the CLI's
// checks; each change takes effect on the very next request, on TAXII and
// REST reads; every change is in the audit log with what it did.
func TestSharingGroupsOverREST(t *testing.T) {
	stores(t, func(t *testing.T, sa []string) {
		cli(t, append([]string{"admin", "org", "create", "hub", "--operator"}, sa...)...)
		for _, org := range []string{"fiu", "exchange", "bank"} {
			cli(t, append([]string{"admin", "org", "create", org}, sa...)...)
		}
		keys := map[string]string{}
		for _, k := range [][2]string{{"hub", "admin"}, {"fiu", "admin"}, {"exchange", "analyst"}, {"bank", "analyst"}} {
			var c createdKey
			mustJSON(t, &c, append([]string{"admin", "key", "create", "--org", k[0], "--role", k[1]}, sa...)...)
			keys[k[0]] = c.Token
		}
		var coll struct{ ID string }
		mustJSON(t, &coll, append([]string{"admin", "collection", "create", "--title", "shared", "--org", "fiu"}, sa...)...)
		for _, org := range []string{"exchange", "bank"} {
			cli(t, append([]string{"admin", "collection", "grant", coll.ID, "--org", org, "--read"}, sa...)...)
		}
		in := start(t, append([]string{"serve"}, sa...)...)
		objURL := in.url + "/taxii2/hub/collections/" + coll.ID + "/objects/"
		if r := post(t, objURL, keys["fiu"], envelope(marked(1, "", tlpGreen))); r.status != 202 {
			t.Fatalf("post: %s", r.body)
		}
		api := in.url + "/api/v1"
		send := func(method, url, key, body string) response {
			t.Helper()
			return do(t, nil, method, url, key, strings.NewReader(body), "Content-Type", "application/json")
		}
		sees := func(org string) (taxiiOK, restOK bool) {
			t.Helper()
			a := do(t, nil, "GET", objURL, keys[org], nil)
			b := do(t, nil, "GET", api+"/objects?collection="+coll.ID, keys[org], nil)
			return a.status == 200 && len(idsIn(t, a.body)) == 1, b.status == 200 && strings.Contains(string(b.body), "indicator--")
		}

		// Only hub admins manage groups; what to fix is named.
		if r := send("POST", api+"/groups", keys["fiu"], `{"name":"asia","org":"fiu"}`); r.status != 403 {
			t.Errorf("an org admin creates a group: %d %s", r.status, r.body)
		}
		for _, c := range []struct{ body, want string }{
			{`{"name":"Asia!","org":"fiu"}`, "name"},
			{`{"name":"asia"}`, "org"},
			{`{"name":"asia","org":"nobody"}`, "nobody"},
			{`{"name":"asia","org":"fiu","members":["ghost"]}`, "ghost"},
		} {
			if r := send("POST", api+"/groups", keys["hub"], c.body); r.status/100 != 4 || !strings.Contains(string(r.body), c.want) {
				t.Errorf("create %s: %d %s (want a 4xx naming %q)", c.body, r.status, r.body, c.want)
			}
		}
		r := send("POST", api+"/groups", keys["hub"], `{"name":"asia","org":"fiu","members":["exchange"]}`)
		if r.status != 201 || !strings.Contains(string(r.body), `"member_names":["`) {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if r := send("POST", api+"/groups", keys["hub"], `{"name":"asia","org":"fiu"}`); r.status != 409 {
			t.Errorf("a second group named asia: %d %s", r.status, r.body)
		}
		if r := do(t, nil, "GET", api+"/groups", keys["hub"], nil); r.status != 200 || !strings.Contains(string(r.body), `"name":"asia"`) {
			t.Errorf("list: %d %s", r.status, r.body)
		}

		// Restricting: the owner's admin may, another org may not; a reader
		// that cannot see the collection gets the same 404 as for a missing one.
		if r := send("PUT", api+"/collections/"+coll.ID+"/group", keys["bank"], `{"group":"asia"}`); r.status != 403 {
			t.Errorf("the bank restricts the FIU's collection: %d %s", r.status, r.body)
		}
		if r := send("PUT", api+"/collections/"+coll.ID+"/group", keys["fiu"], `{"group":"nope"}`); r.status != 404 || !strings.Contains(string(r.body), "nope") {
			t.Errorf("restrict to a missing group: %d %s", r.status, r.body)
		}
		if r := send("PUT", api+"/collections/"+coll.ID+"/group", keys["fiu"], `{"group":"asia"}`); r.status != 200 {
			t.Fatalf("restrict: %d %s", r.status, r.body)
		}
		if a, b := sees("exchange"); !a || !b {
			t.Errorf("the exchange, a member, reads: taxii %v, rest %v", a, b)
		}
		if a, b := sees("bank"); a || b {
			t.Errorf("the bank, not a member, reads: taxii %v, rest %v", a, b)
		}
		hidden := do(t, nil, "GET", api+"/objects?collection="+coll.ID, keys["bank"], nil)
		missing := do(t, nil, "GET", api+"/objects?collection=no-such-collection", keys["bank"], nil)
		if hidden.status != 404 || strings.ReplaceAll(string(hidden.body), coll.ID, "C") != strings.ReplaceAll(string(missing.body), "no-such-collection", "C") {
			t.Errorf("a collection the bank may not see: %d %s; a missing one: %s", hidden.status, hidden.body, missing.body)
		}

		// Membership changes take effect on the next request.
		if r := send("PUT", api+"/groups/asia/members/bank", keys["hub"], ""); r.status != 200 {
			t.Fatalf("add: %d %s", r.status, r.body)
		}
		if a, b := sees("bank"); !a || !b {
			t.Errorf("the bank, added, reads: taxii %v, rest %v", a, b)
		}
		if r := send("DELETE", api+"/groups/asia/members/exchange", keys["hub"], ""); r.status != 200 {
			t.Fatalf("remove: %d %s", r.status, r.body)
		}
		if a, b := sees("exchange"); a || b {
			t.Errorf("the exchange, removed, still reads: taxii %v, rest %v", a, b)
		}

		// A group that restricts a collection is not deleted.
		if r := send("DELETE", api+"/groups/asia", keys["hub"], ""); r.status != 409 || !strings.Contains(string(r.body), "restriction") {
			t.Errorf("delete a group in use: %d %s", r.status, r.body)
		}
		if r := send("DELETE", api+"/collections/"+coll.ID+"/group", keys["fiu"], ""); r.status != 200 {
			t.Fatalf("unrestrict: %d %s", r.status, r.body)
		}
		if a, b := sees("exchange"); !a || !b {
			t.Errorf("the exchange after the restriction is lifted: taxii %v, rest %v", a, b)
		}
		if r := send("DELETE", api+"/groups/asia", keys["hub"], ""); r.status != 204 {
			t.Errorf("delete: %d %s", r.status, r.body)
		}
		if r := do(t, nil, "GET", api+"/groups/asia", keys["hub"], nil); r.status != 404 {
			t.Errorf("a deleted group: %d %s", r.status, r.body)
		}

		// The CLI deletes with the same check.
		cli(t, append([]string{"admin", "group", "create", "temp", "--org", "fiu"}, sa...)...)
		cli(t, append([]string{"admin", "collection", "restrict", coll.ID, "--group", "temp"}, sa...)...)
		if _, errOut, code := cli(t, append([]string{"admin", "group", "delete", "temp"}, sa...)...); code == 0 || !strings.Contains(errOut, "restriction") {
			t.Errorf("CLI delete of a group in use: exit %d, %s", code, errOut)
		}
		cli(t, append([]string{"admin", "collection", "restrict", coll.ID, "--group", ""}, sa...)...)
		var del struct{ Deleted string }
		mustJSON(t, &del, append([]string{"admin", "group", "delete", "temp", "--json"}, sa...)...)
		if del.Deleted != "temp" {
			t.Errorf("CLI delete: %+v", del)
		}

		out, _, code := cli(t, append([]string{"audit", "export"}, sa...)...)
		if code != 0 {
			t.Fatal("audit export failed")
		}
		for _, want := range []string{"sharing group create asia", "add member bank", "remove member exchange", "restricted to sharing group grp_", "restriction lifted", "sharing group delete asia"} {
			if !strings.Contains(out, want) {
				t.Errorf("the audit log has no %q", want)
			}
		}
	})
}
