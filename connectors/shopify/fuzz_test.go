package shopify

import (
	"errors"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// checkResult fails on any Parse outcome that breaks the package's
// guarantees: errors wrap ErrPayload; events are well formed.
func checkResult(t *testing.T, res webhook.Result, err error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, webhook.ErrPayload) {
			t.Fatalf("error %v does not wrap ErrPayload", err)
		}
		return
	}
	for _, ev := range res.Events {
		switch v := ev.Value.(type) {
		case *schemas.Order:
			if v.EventID == "" || v.OrderID == "" || ev.Key != v.Customer.Key || ev.Key == "" {
				t.Fatalf("order without ids or key: %+v", v)
			}
			if _, _, err := money.Currency(v.Currency); err != nil {
				t.Fatalf("order currency %q", v.Currency)
			}
			for _, a := range []int64{v.Subtotal, v.Discount, v.Shipping, v.Tax, v.Total} {
				if a < 0 || a > money.Max {
					t.Fatalf("order amount %d out of range: %+v", a, v)
				}
			}
			if v.Customer.VisitorID != nil && !identity.ValidVisitorID(*v.Customer.VisitorID) {
				t.Fatalf("invalid visitor id %q published", *v.Customer.VisitorID)
			}
			if v.Customer.EmailHash != nil && strings.Contains(*v.Customer.EmailHash, "@") {
				t.Fatalf("clear email published")
			}
		case *schemas.Refund:
			if v.EventID == "" || v.RefundID == "" || v.OrderID == "" {
				t.Fatalf("refund without ids: %+v", v)
			}
			if v.Amount < 0 || v.Total < 0 {
				t.Fatalf("negative refund: %+v", v)
			}
		default:
			t.Fatalf("event value %T", v)
		}
	}
}

func fuzzParse(f *testing.F, topic string, seeds ...[]byte) {
	for _, s := range seeds {
		f.Add(s)
	}
	p := newPlatform(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := p.Parse(delivery(topic, body))
		checkResult(t, res, err)
	})
}

func FuzzShopifyOrder(f *testing.F) {
	fuzzParse(f, TopicOrdersPaid, webhooktest.Fixture(f, orderFile), []byte(`{"id":1,"currency":"usd","total_price":"1","total_line_items_price":"1","created_at":"2008-01-10T16:00:00Z"}`))
}

func FuzzShopifyRefund(f *testing.F) {
	fuzzParse(f, TopicRefundsCreate, webhooktest.Fixture(f, refundFile), []byte(`{"id":1,"order_id":2,"created_at":"2025-04-02T16:00:00Z","transactions":[{"kind":"refund","status":"success","amount":"1","currency":"EUR"}]}`))
}
