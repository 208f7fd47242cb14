package woocommerce

import (
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestPlatformConformance runs the webhook platform conformance suite
// over WooCommerce's real order payload.
func TestPlatformConformance(t *testing.T) {
	order := webhooktest.Fixture(t, couponFile)
	header := func(topic string) http.Header {
		return http.Header{headerTopic: {topic}, headerSource: {testStore}}
	}
	webhooktest.Run(t, webhooktest.Platform{
		New: func(t testing.TB, topics schemas.Topics) webhook.Platform {
			return New(Config{Topics: topics, Hasher: webhooktest.Hasher(t)})
		},
		Store: webhook.Store{ID: testStore, Secret: testSecret},
		Sign: func(h http.Header, secret string, body []byte, _ time.Time) {
			h.Set(headerSignature, webhooktest.HMACBase64(secret, body))
		},
		Usable:   webhooktest.Request{Header: header(TopicOrderCreated), Body: order, At: testNow},
		Refund:   webhooktest.Request{Header: header(TopicOrderUpdated), Body: webhooktest.Fixture(t, refundedFile), At: refundedNow},
		Unusable: webhooktest.Request{Header: header(TopicOrderCreated), Body: webhooktest.Mutate(t, order, func(m map[string]any) { m["currency"] = "ZZZ" }), At: testNow},
		Ignored:  webhooktest.Request{Header: header("product.updated"), Body: []byte(`{"id":1}`), At: testNow},
	})
}
