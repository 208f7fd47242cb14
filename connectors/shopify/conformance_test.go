package shopify

import (
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestPlatformConformance runs the webhook platform conformance suite
// over Shopify's real order payload.
func TestPlatformConformance(t *testing.T) {
	order := webhooktest.Fixture(t, orderFile)
	header := func(topic string) http.Header {
		return http.Header{headerTopic: {topic}, headerDomain: {testStore}}
	}
	webhooktest.Run(t, webhooktest.Platform{
		New: func(t testing.TB, topics schemas.Topics) webhook.Platform {
			return New(Config{Topics: topics, Hasher: webhooktest.Hasher(t)})
		},
		Store: webhook.Store{ID: testStore, Secret: testSecret},
		Sign: func(h http.Header, secret string, body []byte, _ time.Time) {
			h.Set(headerHMAC, webhooktest.HMACBase64(secret, body))
		},
		Usable:   webhooktest.Request{Header: header(TopicOrdersPaid), Body: order, At: orderNow},
		Refund:   webhooktest.Request{Header: header(TopicRefundsCreate), Body: webhooktest.Fixture(t, refundFile), At: refundNow},
		Unusable: webhooktest.Request{Header: header(TopicOrdersPaid), Body: webhooktest.Mutate(t, order, func(m map[string]any) { m["currency"] = "ZZZ" }), At: orderNow},
		Ignored:  webhooktest.Request{Header: header("products/update"), Body: []byte(`{"id":1}`), At: orderNow},
	})
}
