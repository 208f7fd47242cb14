package shopify_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/schemas"
)

func ExamplePlatform_Parse() {
	topics, _ := schemas.NewTopics("heldsway")
	hasher, _ := identity.NewHasher([]byte("example-hash-key-0123"))
	p := shopify.New(shopify.Config{Topics: topics, Hasher: hasher})

	body := []byte(`{"id": 1001, "currency": "eur", "financial_status": "paid",
		"created_at": "2026-03-01T10:00:00+01:00",
		"total_line_items_price": "59.90", "total_discounts": "5.99",
		"total_tax": "0.00", "total_price": "53.91",
		"discount_codes": [{"code": "sarah10", "amount": "5.99", "type": "percentage"}],
		"note_attributes": [{"name": "_heldsway_vid", "value": "vabcdefghijklmnopqrstuvwxyz"}]}`)
	h := http.Header{}
	h.Set("X-Shopify-Topic", "orders/paid")
	res, err := p.Parse(webhook.Delivery{Store: webhook.Store{ID: "shop.myshopify.com"}, Header: h, Body: body,
		Now: time.Date(2026, 3, 1, 9, 0, 5, 0, time.UTC)}) // the server clock: the order must be within 400 days of it
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := res.Events[0]
	o := ev.Value.(*schemas.Order)
	fmt.Println(ev.Topic, ev.Key)
	fmt.Println(o.Currency, o.Subtotal, o.Discount, o.Total, o.Codes[0].Code, o.Codes[0].Amount)
	fmt.Println(o.OccurredAt)
	// Output:
	// heldsway.orders.v1 vabcdefghijklmnopqrstuvwxyz
	// EUR 5990 599 5391 SARAH10 599
	// 2026-03-01 09:00:00 +0000 UTC
}
