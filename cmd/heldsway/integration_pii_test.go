package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// piiCanary is the distinctive local part of the email the PII test puts
// into every URL field; it must appear nowhere HeldSway stores data.
const piiCanary = "pii-canary-5e1f0d"

// TestIntegrationPIIInURLs runs `heldsway up` (embedded broker, ingest,
// processor) and puts a distinctive email into every URL field the edge
// takes, in the query string, the fragment, the userinfo and the path:
// Shopify's landing_site and referring_site, the Referer of /c/{code}, the
// landing_url and referrer of /v1/clicks and the landing_url of
// /v1/conversions (and, as the buyer's email, into the fields that are
// hashed). Once the processor has attributed the orders and the stack has
// stopped, the email is nowhere in the data directory (the broker's data,
// the processor's state) or the process's log, in clear or
// percent-encoded; and the data directory's broker and state trees are
// 0700 directories of 0600 files. It also checks that --metrics-addr moves
// /metrics off the HTTP address.
func TestIntegrationPIIInURLs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	dataDir := t.TempDir()
	httpAddr, kafkaAddr, metricsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	const token, shopSecret = "tok-pii", "shpss_pii_secret"
	env := []string{"HELDSWAY_API_TOKEN=" + token, "HELDSWAY_HASH_KEY=0123456789abcdef-pii", "HELDSWAY_SHOPIFY_SECRET=" + shopSecret}
	up := start(t, env, "up", "--data-dir", dataDir, "--http-addr", httpAddr, "--kafka-listen", kafkaAddr,
		"--clickhouse", "none", "--log-format", "json", "--partitions", "2", "--destination", "default=https://shop.example/",
		"--metrics-addr", metricsAddr)
	waitHealthy(t, up, httpAddr)
	base := "http://" + httpAddr
	// --metrics-addr: /metrics there, not on the internet-facing address.
	for addr, want := range map[string]int{httpAddr: http.StatusNotFound, metricsAddr: http.StatusOK} {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s/metrics: %d, want %d", addr, resp.StatusCode, want)
		}
	}
	email := piiCanary + "@example.com"
	esc := url.QueryEscape(email)
	// Every place a URL can carry it.
	withPII := func(u string) string {
		return strings.Replace(u, "://", "://"+piiCanary+":pw@", 1) + "/account/" + email + "?utm_source=nl&email=" + esc + "&e=" + email + "#" + email
	}
	send := func(req *http.Request, want int) string {
		t.Helper()
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", req.Method, req.URL.Path, resp.StatusCode, b, want)
		}
		return resp.Header.Get("Location")
	}
	api := func(method, path, ctype, body string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", ctype)
		send(req, want)
	}

	api(http.MethodPost, "/v1/codes/import?atomic=1", "text/csv", "code,affiliate_id,discount_value,commission_type,commission_value\nPII10,aff-pii,10,percent,10\n", http.StatusOK)

	// A shopper's click, referred from a webmail page.
	creq, _ := http.NewRequest(http.MethodGet, base+"/c/pii10", nil)
	creq.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	creq.Header.Set("Referer", withPII("https://mail.example"))
	loc, err := url.Parse(send(creq, http.StatusFound))
	if err != nil {
		t.Fatal(err)
	}
	visitor := loc.Query().Get("hs_vid")

	// A server-side tracker's click.
	click, _ := json.Marshal(map[string]any{"clicks": []any{map[string]any{
		"id": "pii-click-1", "visitor_id": visitor, "code": "PII10",
		"landing_url": withPII("https://shop.example/landing"), "referrer": withPII("https://news.example/issue"),
	}}})
	api(http.MethodPost, "/v1/clicks", "application/json", string(click), http.StatusAccepted)

	// A custom checkout's order.
	conv, _ := json.Marshal(map[string]any{"order_id": "pii-order-1", "currency": "EUR", "subtotal": 5000, "codes": []string{"PII10"},
		"visitor_id": visitor, "customer": map[string]any{"email": email}, "landing_url": withPII("https://shop.example/checkout")})
	api(http.MethodPost, "/v1/conversions", "application/json", string(conv), http.StatusAccepted)

	// A Shopify order.
	fixture, err := os.ReadFile(filepath.Join("..", "..", "connectors", "shopify", "testdata", "order_450789469.rest-2026-07.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(fixture))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	m["id"], m["name"], m["financial_status"] = 7001, "#PII1", "paid"
	m["created_at"], m["processed_at"] = now, now
	m["email"], m["contact_email"] = email, email
	m["landing_site"] = strings.TrimPrefix(withPII("https://x"), "https://"+piiCanary+":pw@x") // a path, as Shopify sends it
	m["referring_site"] = withPII("https://search.example/q")
	m["customer"].(map[string]any)["email"] = email
	delete(m, "refunds")
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(shopSecret))
	mac.Write(body)
	sreq, _ := http.NewRequest(http.MethodPost, base+"/webhooks/shopify", bytes.NewReader(body))
	sreq.Header.Set("Content-Type", "application/json")
	sreq.Header.Set("X-Shopify-Topic", "orders/paid")
	sreq.Header.Set("X-Shopify-Shop-Domain", "pii.myshopify.com")
	sreq.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	send(sreq, http.StatusOK)

	// The processor has attributed both orders: what it keeps is written.
	topics, _ := schemas.NewTopics("heldsway")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for len(readTopic(t, kafkaAddr, topics.Attributions)) < 2 {
		if ctx.Err() != nil {
			t.Fatalf("the two orders were not attributed within 90s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The scrubbed URLs kept what attribution needs.
	orders := readTopic(t, kafkaAddr, topics.Orders)
	if len(orders) != 2 || !bytes.Contains(orders[0].Value, []byte("utm_source=nl")) && !bytes.Contains(orders[1].Value, []byte("utm_source=nl")) {
		t.Errorf("orders on Kafka: %d, without the allowlisted utm_source", len(orders))
	}
	if err := up.stop(t); err != nil {
		t.Fatalf("heldsway up after SIGTERM: %v", err)
	}

	needles := [][]byte{[]byte(piiCanary), []byte(strings.ReplaceAll(piiCanary, "-", "%2D"))}
	found := 0
	err = filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if i := bytes.Index(b, n); i >= 0 {
				found++
				t.Errorf("%s holds the email (%q)", p, b[max(0, i-60):min(len(b), i+60)])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if i := strings.Index(up.out.String(), piiCanary); i >= 0 {
		t.Errorf("the log holds the email: %q", up.out.String()[max(0, i-200):min(up.out.Len(), i+100)])
	}

	// Data at rest is private.
	for _, sub := range []string{"kafka", "state"} {
		root := filepath.Join(dataDir, sub)
		n := 0
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			want := os.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if d.Type().IsRegular() || d.IsDir() {
				n++
				if info.Mode().Perm() != want {
					t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("walking %s: %v", root, err)
		}
		if n < 3 {
			t.Errorf("%s: only %d entries", root, n)
		}
	}
}
