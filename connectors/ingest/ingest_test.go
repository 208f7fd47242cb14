package ingest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/heldsway/heldsway/connectors/edge"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/ingest"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/pipeline/broker"
	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
)

const (
	token      = "ingest-test-token"
	shopDomain = "acme.myshopify.com"
	shopSecret = "shpss_ingest_test"
)

var hashKey = []byte("0123456789abcdef0123456789abcdef")

// testTimeout bounds each wait of these tests: HELDSWAY_TEST_TIMEOUT (a Go
// duration), default 2m, generous for the race detector on a loaded
// machine.
func testTimeout(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv("HELDSWAY_TEST_TIMEOUT")
	if v == "" {
		return 2 * time.Minute
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("HELDSWAY_TEST_TIMEOUT=%q: want a positive Go duration", v)
	}
	return d
}

func validConfig() ingest.Config {
	topics, _ := schemas.NewTopics("in")
	return ingest.Config{
		HTTP:     edge.Config{Addr: "127.0.0.1:0"},
		Conn:     kafka.Conn{Brokers: []string{"127.0.0.1:9092"}},
		Topics:   topics,
		APIToken: token,
		HashKey:  hashKey,
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*ingest.Config)
		ok   bool
	}{
		{"defaults", func(*ingest.Config) {}, true},
		{"no brokers", func(c *ingest.Config) { c.Conn = kafka.Conn{} }, false},
		{"no topics", func(c *ingest.Config) { c.Topics = schemas.Topics{} }, false},
		{"no token", func(c *ingest.Config) { c.APIToken = "" }, false},
		{"short hash key", func(c *ingest.Config) { c.HashKey = []byte("short") }, false},
		{"bad http address", func(c *ingest.Config) { c.HTTP.Addr = "nowhere" }, false},
		{"unknown platform", func(c *ingest.Config) { c.Stores = map[string]ingest.Stores{"magento": {}} }, false},
		{"sync without stores", func(c *ingest.Config) { c.Sync = &ingest.Sync{} }, false},
		{"negative publish timeout", func(c *ingest.Config) { c.PublishTimeout = -time.Second }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mod(&c)
			before := c
			if err := before.Validate(); err == nil && (before.PublishTimeout != 0 || before.Serde != nil || before.Logger != nil) {
				t.Fatalf("Validate changed the config: %+v", before)
			}
			c.EnsureDefaults()
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ingest.ErrConfig) {
				t.Fatalf("Validate() = %v, want it to wrap ErrConfig", err)
			}
			if err == nil && (c.PublishTimeout != ingest.DefaultPublishTimeout || c.RegistryWait != ingest.DefaultRegistryWait ||
				c.WebhookTolerance != ingest.DefaultWebhookTolerance || c.StripeAPI != ingest.DefaultStripeAPI ||
				c.PaddleAPI != ingest.DefaultPaddleAPI || c.Serde == nil || c.Logger == nil) {
				t.Fatalf("defaults not applied: %+v", c)
			}
		})
	}
}

// TestIntegrationRun runs ingest as heldsway ingest does, against the
// embedded broker over TCP: a code made through the admin API is served
// by the click redirect and found in a conversion, a signed webhook with an
// unusable body is answered 2xx and dead-lettered with its reason, a
// forged one is refused, a platform without stores answers 503, and Run
// returns once its context ends, with the port closed.
func TestIntegrationRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout(t))
	defer cancel()
	b, err := broker.Start(broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cfg := validConfig()
	cfg.Conn = kafka.Conn{Brokers: []string{b.Addr()}}
	cfg.Stores = map[string]ingest.Stores{"shopify": {Webhooks: []webhook.Store{{ID: shopDomain, Secret: shopSecret}}}}
	cfg.Destinations = map[string]string{"default": "https://shop.example/"}
	cfg.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	cl, err := cfg.Conn.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kafka.EnsureTopics(ctx, cl, cfg.Topics, kafka.TopicSpec{Partitions: 2}); err != nil {
		t.Fatal(err)
	}

	in, err := ingest.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Listen(); err != nil {
		in.Close()
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- in.Run(rctx) }()
	defer func() { stop(); <-done }()
	base := "http://" + in.Addr()

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(method, path, body string, header map[string]string) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	bearer := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	shopify := func(body, secret string) map[string]string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return map[string]string{
			"Content-Type":          "application/json",
			"X-Shopify-Topic":       "orders/paid",
			"X-Shopify-Shop-Domain": shopDomain,
			"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(m.Sum(nil)),
		}
	}
	visitor := identity.NewVisitorID()

	steps := []struct {
		name           string
		method, path   string
		body           string
		header         map[string]string
		status         int
		bodyHas, locIs string
	}{
		{"healthz", "GET", "/healthz", "", nil, http.StatusOK, "", ""},
		{"admin API without token", "GET", "/v1/codes", "", nil, http.StatusUnauthorized, "", ""},
		{"admin API creates a code", "PUT", "/v1/codes/sarah10", `{"affiliate_id":"aff_sarah","discount_value":10}`, bearer, http.StatusCreated, "SARAH10", ""},
		{"click redirect on the new code", "GET", "/c/sarah10", "", nil, http.StatusFound, "", "https://shop.example/"},
		{"conversion with the code", "POST", "/v1/conversions",
			`{"order_id":"1001","currency":"EUR","subtotal":5990,"discount":599,"codes":["sarah10"],"visitor_id":"` + visitor + `","occurred_at":"` + time.Now().UTC().Format(time.RFC3339) + `"}`,
			bearer, http.StatusAccepted, "event_id", ""},
		{"signed webhook, unusable body", "POST", "/webhooks/shopify", `{"id":"not an order"}`, shopify(`{"id":"not an order"}`, shopSecret), http.StatusOK, "", ""},
		{"forged webhook", "POST", "/webhooks/shopify", `{"id":1}`, shopify(`{"id":1}`, "wrong-secret"), http.StatusUnauthorized, "", ""},
		{"platform without stores", "POST", "/webhooks/paddle", `{}`, nil, http.StatusServiceUnavailable, "", ""},
	}
	for _, s := range steps {
		st, body, h := call(s.method, s.path, s.body, s.header)
		if st != s.status || !strings.Contains(body, s.bodyHas) || (s.locIs != "" && !strings.HasPrefix(h.Get("Location"), s.locIs)) {
			t.Fatalf("%s: %s %s = %d %q (Location %q); want %d containing %q, Location starting %q", s.name, s.method, s.path, st, body, h.Get("Location"), s.status, s.bodyHas, s.locIs)
		}
	}

	// What Kafka holds: the code, the click, the order and the dead letter.
	cons, err := cfg.Conn.NewClient(kgo.ConsumeTopics(cfg.Topics.Codes, cfg.Topics.Clicks, cfg.Topics.Orders, cfg.Topics.DeadLetter),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	var (
		code   *schemas.Code
		click  *schemas.Click
		order  *schemas.Order
		letter *schemas.DeadLetter
	)
	for code == nil || click == nil || order == nil || letter == nil {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("before timeout read code %v, click %v, order %v, dead letter %v", code != nil, click != nil, order != nil, letter != nil)
		}
		for _, r := range fs.Records() {
			v, err := cfg.Serde.DecodeAny(r.Value)
			if err != nil {
				t.Fatalf("decoding %s record: %v", r.Topic, err)
			}
			switch x := v.(type) {
			case *schemas.Code:
				code = x
			case *schemas.Click:
				click = x
			case *schemas.Order:
				order = x
			case *schemas.DeadLetter:
				letter = x
			}
		}
	}
	if code.Code != "SARAH10" || code.AffiliateID != "aff_sarah" {
		t.Errorf("code record: %+v", code)
	}
	if click.Code == nil || *click.Code != "SARAH10" || click.AffiliateID == nil || *click.AffiliateID != "aff_sarah" {
		t.Errorf("click record: %+v", click)
	}
	if order.OrderID != "1001" || len(order.Codes) != 1 || order.Codes[0].Code != "SARAH10" || order.Customer.Key != visitor {
		t.Errorf("order record: %+v", order)
	}
	if !strings.Contains(letter.Source, "shopify") || letter.Reason == "" || !bytes.Equal(letter.Value, []byte(`{"id":"not an order"}`)) {
		t.Errorf("dead letter: source %q reason %q value %q", letter.Source, letter.Reason, letter.Value)
	}

	stop()
	select {
	case err := <-done:
		done <- err // for the deferred wait
		if err != nil {
			t.Fatalf("Run returned %v after its context ended", err)
		}
	case <-time.After(testTimeout(t)):
		t.Fatal("Run did not return after its context ended")
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still answers after Run returned")
	}
}
