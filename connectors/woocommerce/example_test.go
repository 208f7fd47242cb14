package woocommerce_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
	"github.com/heldsway/heldsway/schemas"
)

// A refund arrives as order.updated: the order (same event id as when it
// became paid) and one Refund per refunds[] entry.
func ExamplePlatform_Parse() {
	topics, _ := schemas.NewTopics("heldsway")
	hasher, _ := identity.NewHasher([]byte("example-hash-key-0123"))
	p := woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher})

	body := []byte(`{"id": 77, "status": "completed", "currency": "USD",
		"date_created_gmt": "2026-03-01T10:00:00", "date_modified_gmt": "2026-03-05T08:30:00",
		"line_items": [{"subtotal": "40.00"}, {"subtotal": "10.00"}],
		"discount_total": "10.00", "cart_tax": "4.00", "total_tax": "4.00",
		"shipping_total": "5.00", "total": "49.00",
		"coupon_lines": [{"code": "sarah10", "discount": "10.00"}],
		"billing": {"email": "Buyer@Example.com"},
		"refunds": [{"id": 81, "reason": "damaged", "total": "-11.00"}]}`)
	h := http.Header{}
	h.Set("X-WC-Webhook-Topic", "order.updated")
	res, err := p.Parse(webhook.Delivery{Store: webhook.Store{ID: "https://shop.example"}, Header: h, Body: body,
		Now: time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)}) // the server clock: the order must be within 400 days of it
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range res.Events {
		switch v := ev.Value.(type) {
		case *schemas.Order:
			fmt.Println("order", v.OrderID, v.Subtotal, v.Discount, v.Shipping, v.Tax, v.Total, v.Codes[0].Code)
		case *schemas.Refund:
			fmt.Println("refund", v.RefundID, "amount", v.Amount, "total", v.Total, "key", ev.Key)
		}
	}
	// Output:
	// order 77 5000 1000 500 400 4900 SARAH10
	// refund 81 amount 1000 total 1100 key woocommerce/https://shop.example/77
}
