package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/internal/webhook"
)

// TestWebhookEndToEnd: an exchange's admin registers a webhook on a
// running hub; an FIU raises an alert to it; the exchange's receiver gets
// it signed, once; a plain-http URL off loopback is refused.
func TestWebhookEndToEnd(t *testing.T) {
	sa := []string{"--data", t.TempDir()}
	for _, org := range []string{"fiu", "exchange"} {
		cli(t, append([]string{"admin", "org", "create", org}, sa...)...)
	}
	var fiuKey, exAdmin createdKey
	mustJSON(t, &fiuKey, append([]string{"admin", "key", "create", "--org", "fiu", "--role", "analyst"}, sa...)...)
	mustJSON(t, &exAdmin, append([]string{"admin", "key", "create", "--org", "exchange", "--role", "admin"}, sa...)...)
	var coll struct{ ID string }
	mustJSON(t, &coll, append([]string{"admin", "collection", "create", "--title", "shared", "--org", "fiu"}, sa...)...)
	cli(t, append([]string{"admin", "collection", "grant", coll.ID, "--org", "exchange", "--read"}, sa...)...)
	in := start(t, append([]string{"serve", "--webhook-allow-http-loopback", "--public-url", "https://hub.example"}, sa...)...)
	post(t, in.url+"/taxii2/hub/collections/"+coll.ID+"/objects/", fiuKey.Token, envelope(marked(1, "", tlpAmber)))

	var mu sync.Mutex
	var bodies []string
	var secret string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature), b, time.Now()); err != nil {
			t.Errorf("receiver: %v", err)
		}
		bodies = append(bodies, string(b))
	}))
	defer rcv.Close()
	reg := func(url string) response {
		return do(t, nil, "POST", in.url+"/api/v1/webhooks", exAdmin.Token, strings.NewReader(`{"url":"`+url+`","events":["alert"]}`), "Content-Type", "application/json")
	}
	if r := reg("http://hooks.example/x"); r.status != 400 || !strings.Contains(string(r.body), "loopback") {
		t.Fatalf("http off loopback: %d %s", r.status, r.body)
	}
	r := reg(rcv.URL)
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	var created struct {
		Webhook struct{ ID string }
		Secret  string
	}
	json.Unmarshal(r.body, &created)
	mu.Lock()
	secret = created.Secret
	mu.Unlock()
	if l := do(t, nil, "GET", in.url+"/api/v1/webhooks", exAdmin.Token, nil); l.status != 200 || strings.Contains(string(l.body), created.Secret) || !strings.Contains(string(l.body), created.Webhook.ID) {
		t.Fatalf("list: %d %s", l.status, l.body)
	}
	if l := do(t, nil, "GET", in.url+"/api/v1/webhooks/"+created.Webhook.ID, fiuKey.Token, nil); l.status != 403 && l.status != 404 {
		t.Fatalf("another org reads the webhook: %d", l.status)
	}
	var a map[string]any
	mustJSON(t, &a, "alert", "send", "--url", in.url, "--key-file", writeKey(t, fiuKey.Token), "--to", "exchange", "--source", "indicator--00000000-0000-4000-8000-000000000001", "--address", "btc:bc1qdeposit")
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(bodies) > 0 })
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || !strings.Contains(bodies[0], a["id"].(string)) || !strings.Contains(bodies[0], `"content":"full"`) {
		t.Fatalf("received: %v", bodies)
	}
}

func writeKey(t *testing.T, key string) string {
	f := t.TempDir() + "/key"
	if err := writeFileAtomic(f, []byte(key)); err != nil {
		t.Fatal(err)
	}
	return f
}
