package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/internal/sqlitestore"
	"github.com/trawlhq/trawl/internal/sqlstore"
)

// TestAuditLog: every key use and admin action lands in the hash chain,
// reads of non-CLEAR objects name the objects, and an edit made behind the
// hub's back is found and named.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	h := setupHub(t, []string{"--data", dir})
	post(t, h.objectsURL(), h.ownerKey, envelope(marked(1, "", tlpAmber), marked(2, "", tlpClear)))
	do(t, nil, "GET", h.objectsURL(), h.readerKey, nil)
	do(t, nil, "GET", h.url+"/taxii2/hub/collections/", "trawl_key_aaaaaaaaaaaaaaaa_wrong", nil)

	do(t, nil, "GET", h.url+"/taxii2/hub/collections/"+h.coll+"/manifest/", h.readerKey, nil)

	// Each entry is stored before its response is sent: no waiting here.
	o, _, code := cli(t, "audit", "export", "--data", dir)
	if code != 0 {
		t.Fatal("export failed")
	}
	out := o
	var sawCLI, sawPost, sawRead, sawManifest, sawBadKey bool
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e struct{ Actor, Action, Detail, Hash string }
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Hash == "" {
			t.Fatalf("export line %q: %v", line, err)
		}
		readsOne := strings.Contains(e.Detail, "indicator--00000000-0000-4000-8000-000000000001") && !strings.Contains(e.Detail, "000000000002")
		sawCLI = sawCLI || (e.Actor == "cli" && e.Action == "trawl admin collection grant")
		sawPost = sawPost || strings.HasPrefix(e.Action, "POST /taxii2/hub/collections/{coll}/objects/")
		sawRead = sawRead || (strings.HasPrefix(e.Action, "GET /taxii2/hub/collections/{coll}/objects/") && readsOne)
		sawManifest = sawManifest || (strings.HasPrefix(e.Action, "GET /taxii2/hub/collections/{coll}/manifest/") && readsOne)
		sawBadKey = sawBadKey || strings.HasPrefix(e.Actor, "invalid-key@")
	}
	if !sawCLI || !sawPost || !sawRead || !sawManifest || !sawBadKey {
		t.Fatalf("entries missing right after the responses: cli %v, post %v, read %v, manifest %v, bad key %v\n%s", sawCLI, sawPost, sawRead, sawManifest, sawBadKey, out)
	}
	if strings.Contains(out, "trawl_key_") {
		t.Fatal("a key secret is in the audit log")
	}
	var v struct {
		Checked int
		OK      bool
	}
	mustJSON(t, &v, "audit", "verify", "--data", dir)
	if !v.OK || v.Checked < 12 {
		t.Fatalf("fresh log: %+v", v)
	}

	// Tamper behind the hub's back.
	db, err := sqlitestore.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// The block that holds entry 3, with that entry's actor changed.
	var first int64
	var block []byte
	if err := db.AuditSQL().QueryRow(`SELECT first_seq, entries FROM audit_blocks WHERE first_seq <= 3 ORDER BY first_seq DESC LIMIT 1`).Scan(&first, &block); err != nil {
		t.Fatal(err)
	}
	es, err := sqlstore.DecodeAuditBlock(block)
	if err != nil {
		t.Fatal(err)
	}
	es[3-first].Actor = "someone-else"
	if block, err = sqlstore.EncodeAuditBlock(es); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AuditSQL().Exec(`UPDATE audit_blocks SET entries = $1 WHERE first_seq = $2`, block, first); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, errOut, code := cli(t, "audit", "verify", "--data", dir)
	if code != 1 || !strings.Contains(out, "entry 3: edited") || !strings.Contains(errOut, "tampered") {
		t.Fatalf("verify after tampering: exit %d\n%s%s", code, out, errOut)
	}
}
