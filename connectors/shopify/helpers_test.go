package shopify

import (
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
)

const (
	testStore  = "jsmith.myshopify.com"
	testSecret = "shpss_0123456789abcdef"
	orderFile  = "order_450789469.rest-2026-07.json"
	refundFile = "refund_509562969.rest-2026-07.json"
)

// The fixtures are years old and eventtime refuses an event dated more
// than 400 days from the server clock, so a delivery is received an hour
// after the created_at of the fixture its topic carries: orderNow for
// orders, refundNow for refunds. Tests of the window set Now themselves.
var (
	orderNow  = time.Date(2008, 1, 10, 17, 0, 0, 123_000_000, time.UTC)  // order_450789469: 2008-01-10T11:00:00-05:00
	refundNow = time.Date(2025, 4, 2, 17, 38, 15, 123_000_000, time.UTC) // refund_509562969: 2025-04-02T11:38:15-05:00
)

// nowFor is the clock of a delivery of topic.
func nowFor(topic string) time.Time {
	if topic == TopicRefundsCreate {
		return refundNow
	}
	return orderNow
}

func newPlatform(t testing.TB) *Platform {
	t.Helper()
	cfg := Config{Topics: webhooktest.Topics(t), Hasher: webhooktest.Hasher(t)}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(cfg)
}

func delivery(topic string, body []byte) webhook.Delivery {
	h := http.Header{}
	if topic != "" {
		h.Set(headerTopic, topic)
	}
	h.Set(headerDomain, testStore)
	return webhook.Delivery{Store: webhook.Store{ID: testStore, Secret: testSecret}, Header: h, Body: body, Now: nowFor(topic)}
}

func ptr[T any](v T) *T { return &v }
