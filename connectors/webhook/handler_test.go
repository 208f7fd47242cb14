package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/publish"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
	"github.com/heldsway/heldsway/schemas"
)

// watchedBody records whether the handler read the request body.
type watchedBody struct {
	r    *strings.Reader
	read bool
}

func (b *watchedBody) Read(p []byte) (int, error) { b.read = true; return b.r.Read(p) }
func (b *watchedBody) Close() error               { return nil }

// nothingPublished fails the test if an event is published.
type nothingPublished struct{ t *testing.T }

func (p nothingPublished) Publish(_ context.Context, events ...publish.Event) error {
	if len(events) > 0 {
		p.t.Errorf("published %d events", len(events))
	}
	return nil
}

// TestRefusedBeforeBody: a webhook without its platform's signature header
// is answered 401 (saying which header is missing) without its body being
// read, so a slow unsigned sender holds nothing; a signed one is read.
// WooCommerce's unsigned creation ping, short enough to be one, is read
// and accepted.
func TestRefusedBeforeBody(t *testing.T) {
	topics, _ := schemas.NewTopics("wh")
	hasher, _ := identity.NewHasher([]byte("0123456789abcdef-hash"))
	tests := []struct {
		name     string
		platform webhook.Platform
		header   map[string]string
		body     string
		want     int
		reason   string
		read     bool
	}{
		{"shopify unsigned", shopify.New(shopify.Config{Topics: topics, Hasher: hasher}), nil, `{"id":1}`, 401, "missing X-Shopify-Hmac-Sha256 header", false},
		{"shopify signed", shopify.New(shopify.Config{Topics: topics, Hasher: hasher}), map[string]string{"X-Shopify-Hmac-Sha256": b64hmac("other", []byte(`{"id":1}`))}, `{"id":1}`, 401, "HMAC does not match", true},
		{"woocommerce unsigned", woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher}), nil, `{"id":1,"status":"processing","line_items":[]}`, 401, "missing X-WC-Webhook-Signature header", false},
		{"woocommerce ping", woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher}), nil, `webhook_id=12`, 200, "", true},
		{"stripe unsigned", stripe.New(stripe.Config{Topics: topics, Hasher: hasher}), nil, `{"id":"evt_1"}`, 401, "missing Stripe-Signature header", false},
		{"paddle unsigned", paddle.New(paddle.Config{Topics: topics, Hasher: hasher}), nil, `{"event_id":"evt_1"}`, 401, "missing Paddle-Signature header", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &webhook.Handler{Platform: tt.platform, Stores: []webhook.Store{{ID: "s", Secret: "secret"}}, Now: func() time.Time { return campaignNow },
				Publisher: nothingPublished{t}}
			body := &watchedBody{r: strings.NewReader(tt.body)}
			r := httptest.NewRequest(http.MethodPost, "/webhooks/x", body)
			r.ContentLength = int64(len(tt.body))
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want || !strings.Contains(rec.Body.String(), tt.reason) {
				t.Errorf("answered %d %s, want %d with %q", rec.Code, rec.Body.String(), tt.want, tt.reason)
			}
			if body.read != tt.read {
				t.Errorf("body read: %v, want %v", body.read, tt.read)
			}
		})
	}
}

// TestBadSignatureWarningRateLimited: a stream of bad signatures logs one
// warning per WarnEvery, and the next one says how many were suppressed.
func TestBadSignatureWarningRateLimited(t *testing.T) {
	core, logs := observer.New(zap.WarnLevel)
	topics, _ := schemas.NewTopics("wh")
	hasher, _ := identity.NewHasher([]byte("0123456789abcdef-hash"))
	now := campaignNow
	h := &webhook.Handler{Platform: shopify.New(shopify.Config{Topics: topics, Hasher: hasher}),
		Stores: []webhook.Store{{ID: "s", Secret: "secret"}}, Now: func() time.Time { return now }, Logger: zap.New(core)}
	send := func(signed bool) {
		r := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", strings.NewReader("{}"))
		if signed {
			r.Header.Set("X-Shopify-Hmac-Sha256", b64hmac("wrong", []byte("{}")))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("bad signature answered %d", rec.Code)
		}
	}
	for i := range 50 {
		send(i%2 == 0)
	}
	if n := logs.FilterMessage("webhook rejected").Len(); n != 1 {
		t.Fatalf("%d warnings for 50 bad signatures within a minute, want 1", n)
	}
	now = now.Add(time.Minute)
	send(true)
	got := logs.FilterMessage("webhook rejected").All()
	if len(got) != 2 {
		t.Fatalf("%d warnings after a minute, want 2", len(got))
	}
	if s := got[1].ContextMap()["suppressed"]; s != int64(49) {
		t.Errorf("second warning reports %v suppressed, want 49", s)
	}
}
