package paddle

import (
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestPlatformConformance runs the webhook platform conformance suite
// over Paddle's SDK event payloads.
func TestPlatformConformance(t *testing.T) {
	webhooktest.Run(t, webhooktest.Platform{
		New: func(t testing.TB, topics schemas.Topics) webhook.Platform {
			return New(Config{Topics: topics, Discounts: &fakeDiscounts{codes: map[string]string{"dsc_01hszn66dvmdaatbhxd7fqbht3": "abcde12345"}}})
		},
		Store: webhook.Store{ID: testStore, Secret: testSecret},
		Sign: func(h http.Header, secret string, b []byte, at time.Time) {
			h.Set(SignatureHeader, Sign(secret, at, b))
		},
		Tolerance: 5 * time.Minute,
		Usable:    webhooktest.Request{Body: notify(t, "transaction.completed", "event.transaction.completed.json", nil), At: testNow},
		Refund: webhooktest.Request{Body: notify(t, "adjustment.updated", "notification_data.adjustment.created.json", func(d map[string]any) {
			d["status"] = "approved"
		}), At: testNow},
		Unusable: webhooktest.Request{Body: notify(t, "transaction.completed", "event.transaction.completed.json", func(d map[string]any) {
			d["currency_code"] = "GB"
		}), At: testNow},
		Ignored: webhooktest.Request{Body: notify(t, "customer.created", "event.transaction.completed.json", nil), At: testNow},
	})
}
