package woocommerce

import (
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
)

const (
	testStore    = "https://example.com/"
	testSecret   = "wc-secret-0123456789"
	couponFile   = "order_963_with_coupon_lines.json"
	refundedFile = "order_324_partially_refunded.json"
	docsFile     = "docs_order_create.response.json"
)

// The fixtures are years old and eventtime refuses an event dated more
// than 400 days from the server clock, so a fixture is delivered an hour
// after its date_modified_gmt: testNow for the coupon order (the docs
// order, a year older, is still within 400 days of it), refundedNow for
// the refunded one. Tests of the window set Now themselves.
var (
	testNow     = time.Date(2018, 4, 4, 0, 5, 14, 123_000_000, time.UTC)   // order_963: 2018-04-03T23:05:14
	refundedNow = time.Date(2019, 6, 6, 18, 18, 38, 123_000_000, time.UTC) // order_324: 2019-06-06T17:18:38
)

func newPlatform(t testing.TB) *Platform {
	t.Helper()
	cfg := Config{Topics: webhooktest.Topics(t), Hasher: webhooktest.Hasher(t)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(cfg)
}

func delivery(topic string, body []byte) webhook.Delivery {
	return deliveryAt(topic, body, testNow)
}

// deliveryAt is a delivery received at now.
func deliveryAt(topic string, body []byte, now time.Time) webhook.Delivery {
	h := http.Header{}
	if topic != "" {
		h.Set(headerTopic, topic)
	}
	h.Set(headerSource, testStore)
	return webhook.Delivery{Store: webhook.Store{ID: testStore, Secret: testSecret}, Header: h, Body: body, Now: now}
}

func ptr[T any](v T) *T { return &v }
