package woocommerce

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

func FuzzWooOrder(f *testing.F) {
	for _, name := range []string{couponFile, refundedFile, docsFile} {
		f.Add(webhooktest.Fixture(f, name))
	}
	f.Add([]byte("webhook_id=1"))
	f.Add([]byte(`{"id":1,"status":"completed","currency":"eur","total":"10","date_created_gmt":"2018-04-03T00:00:00","refunds":[{"id":2,"total":"-10"},{"id":"3","total":"-1"}]}`))
	p := newPlatform(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := p.Parse(delivery(TopicOrderUpdated, body))
		if err != nil {
			if !errors.Is(err, webhook.ErrPayload) {
				t.Fatalf("error %v does not wrap ErrPayload", err)
			}
			return
		}
		var net int64 = -1
		var credited int64
		for _, ev := range res.Events {
			switch v := ev.Value.(type) {
			case *schemas.Order:
				if v.EventID == "" || v.OrderID == "" || ev.Key == "" || ev.Key != v.Customer.Key {
					t.Fatalf("order without ids or key: %+v", v)
				}
				if _, _, err := money.Currency(v.Currency); err != nil {
					t.Fatalf("order currency %q", v.Currency)
				}
				for _, a := range []int64{v.Subtotal, v.Discount, v.Shipping, v.Tax, v.Total} {
					if a < 0 || a > money.Max {
						t.Fatalf("order amount %d out of range", a)
					}
				}
				if v.Customer.VisitorID != nil && !identity.ValidVisitorID(*v.Customer.VisitorID) {
					t.Fatalf("invalid visitor id %q published", *v.Customer.VisitorID)
				}
				if v.Customer.EmailHash != nil && strings.Contains(*v.Customer.EmailHash, "@") {
					t.Fatal("clear email published")
				}
				net = max(v.Subtotal-v.Discount, 0)
			case *schemas.Refund:
				if v.EventID == "" || v.RefundID == "" || v.Amount < 0 || v.Total < 0 || v.Amount > v.Total {
					t.Fatalf("bad refund: %+v", v)
				}
				credited += v.Amount
			default:
				t.Fatalf("event value %T", v)
			}
		}
		if net >= 0 && credited > net {
			t.Fatalf("refund amounts %d exceed the order's net %d", credited, net)
		}
	})
}
