package stripe

import (
	"reflect"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
)

// TestInvoiceSubscription: only billing_reason subscription_create says an
// invoice is a subscription's first payment (cycle 1, started at the
// invoice's creation); every other reason leaves cycle and start unknown
// but always names the subscription.
func TestInvoiceSubscription(t *testing.T) {
	created := time.Unix(1234567890, 0).UTC()
	first := &schemas.Subscription{ID: "sub_1", Cycle: 1, StartedAt: &created}
	unknown := &schemas.Subscription{ID: "sub_1"}
	paid := func(reason string, more func(o map[string]any)) func(o map[string]any) {
		return func(o map[string]any) {
			o["status"] = "paid"
			if reason != "" {
				o["billing_reason"] = reason
			} else {
				delete(o, "billing_reason")
			}
			o["currency"] = "usd"
			o["subtotal"] = 1000
			o["total"] = 1000
			o["parent"] = map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": "sub_1"}}
			if more != nil {
				more(o)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(o map[string]any)
		want   *schemas.Subscription
	}{
		{"subscription_create", paid("subscription_create", nil), first},
		{"subscription_cycle (renewal)", paid("subscription_cycle", nil), unknown},
		{"subscription_update", paid("subscription_update", nil), unknown},
		{"subscription_threshold", paid("subscription_threshold", nil), unknown},
		{"subscription (before 2018)", paid("subscription", nil), unknown},
		{"quote_accept", paid("quote_accept", nil), unknown},
		{"no billing_reason", paid("", nil), unknown},
		{"legacy subscription field", paid("subscription_cycle", func(o map[string]any) {
			o["parent"] = nil
			o["subscription"] = map[string]any{"id": "sub_1", "object": "subscription"}
		}), unknown},
		{"first invoice created out of range", paid("subscription_create", func(o map[string]any) { o["created"] = 1 << 41 }),
			&schemas.Subscription{ID: "sub_1", Cycle: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := newTestPlatform(t, nil).Parse(delivery(body(t, "invoice.paid", "fixtures3.invoice.json", tc.mutate)))
			if err != nil {
				t.Fatal(err)
			}
			if got := orderOf(t, res).Subscription; !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("subscription\n got %s\nwant %s", webhooktest.Dump(got), webhooktest.Dump(tc.want))
			}
		})
	}
}
