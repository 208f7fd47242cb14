package stripe

import (
	"net/http"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestPlatformConformance runs the webhook platform conformance suite
// over Stripe's fixture event and checkout session.
func TestPlatformConformance(t *testing.T) {
	webhooktest.Run(t, webhooktest.Platform{
		New: func(t testing.TB, topics schemas.Topics) webhook.Platform {
			return New(Config{Topics: topics, Hasher: webhooktest.Hasher(t), Promotions: &fakeCodes{codes: map[string]string{testPromo: "fall20"}}})
		},
		Store: webhook.Store{ID: testStore, Secret: testSecret},
		Sign: func(h http.Header, secret string, b []byte, at time.Time) {
			h.Set(SignatureHeader, Sign(secret, at, b))
		},
		Tolerance: 5 * time.Minute,
		Usable:    webhooktest.Request{Body: body(t, "checkout.session.completed", "fixtures3.checkout.session.json", paidSession), At: testNow},
		Refund:    webhooktest.Request{Body: body(t, "refund.created", "fixtures3.refund.json", nil), At: testNow},
		Unusable: webhooktest.Request{Body: body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
			paidSession(o)
			o["currency"] = "zzz"
		}), At: testNow},
		Ignored: webhooktest.Request{Body: body(t, "customer.created", "fixtures3.checkout.session.json", nil), At: testNow},
	})
}
