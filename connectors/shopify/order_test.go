package shopify

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

func parseOrder(t *testing.T, topic string, body []byte) *schemas.Order {
	t.Helper()
	res, err := newPlatform(t).Parse(delivery(topic, body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if res.Ignored != "" || len(res.Events) != 1 {
		t.Fatalf("Parse = %+v, want one event", res)
	}
	ev := res.Events[0]
	o, ok := ev.Value.(*schemas.Order)
	if !ok {
		t.Fatalf("event value %T, want *schemas.Order", ev.Value)
	}
	if ev.Topic != "test.orders.v1" || ev.Key != o.Customer.Key {
		t.Fatalf("event topic %q key %q, want test.orders.v1 keyed by %q", ev.Topic, ev.Key, o.Customer.Key)
	}
	return o
}

// TestOrderFixture maps Shopify's documented order, field by field.
func TestOrderFixture(t *testing.T) {
	emailHash := webhooktest.Hasher(t).Email("bob.norman@mail.example.com")
	for _, topic := range []string{TopicOrdersPaid, TopicOrdersCreate} {
		t.Run(topic, func(t *testing.T) {
			// financial_status partially_refunded: published on create too.
			got := parseOrder(t, topic, webhooktest.Fixture(t, orderFile))
			want := &schemas.Order{
				EventID:     schemas.ID("shopify", testStore, "450789469", topic),
				OrderID:     "450789469",
				Platform:    "shopify",
				StoreID:     testStore,
				SourceEvent: topic,
				Currency:    "USD",
				Subtotal:    59700, // total_line_items_price, before the discount
				Discount:    1000,
				Shipping:    0,
				Tax:         1194,
				Total:       59894,
				Codes:       []schemas.AppliedCode{{Code: "TENOFF", Amount: 1000}},
				Customer: schemas.Customer{
					Key:        "e:" + emailHash,
					EmailHash:  &emailHash,
					CustomerID: ptr("207119551"),
				},
				// landing_site without its query: "source" is not allowlisted.
				LandingURL: ptr("http://www.example.com"),
				OccurredAt: time.Date(2008, 1, 10, 16, 0, 0, 0, time.UTC),
				ReceivedAt: orderNow,
			}
			webhooktest.JSONEqual(t, got, want)
			if got.Subtotal-got.Discount+got.Shipping+got.Tax != got.Total {
				t.Errorf("subtotal - discount + shipping + tax != total")
			}
		})
	}
}

func TestOrderNeverPublishesClearEmail(t *testing.T) {
	o := parseOrder(t, TopicOrdersPaid, webhooktest.Fixture(t, orderFile))
	if s := fmt.Sprintf("%+v %+v", *o, *o.Customer.EmailHash); strings.Contains(strings.ToLower(s), "bob.norman") {
		t.Fatalf("published order contains the clear email: %s", s)
	}
}

func TestOrderEventIDs(t *testing.T) {
	body := webhooktest.Fixture(t, orderFile)
	created := parseOrder(t, TopicOrdersCreate, body)
	paid := parseOrder(t, TopicOrdersPaid, body)
	again := parseOrder(t, TopicOrdersPaid, body)
	if created.EventID == paid.EventID {
		t.Error("orders/create and orders/paid share an event id")
	}
	if created.OrderID != paid.OrderID {
		t.Error("orders/create and orders/paid have different order ids")
	}
	if paid.EventID != again.EventID {
		t.Error("a redelivery has a different event id")
	}
	// orders/updated: each update (updated_at) is its own event, with the
	// order's current money; a redelivery of one update is the same.
	edited := webhooktest.Mutate(t, body, func(m map[string]any) {
		m["updated_at"], m["total_line_items_price"], m["total_price"] = "2026-11-23T10:00:00-05:00", "100.00", "100.00"
	})
	upd := parseOrder(t, TopicOrdersUpdated, body)
	upd2 := parseOrder(t, TopicOrdersUpdated, edited)
	if upd.EventID == paid.EventID || upd.EventID == upd2.EventID || parseOrder(t, TopicOrdersUpdated, edited).EventID != upd2.EventID {
		t.Error("orders/updated event ids: want one per updated_at, stable across redeliveries")
	}
	if upd2.OrderID != paid.OrderID || upd2.Subtotal != 10000 || upd2.Subtotal == paid.Subtotal {
		t.Errorf("orders/updated: order %s subtotal %d, want the same order with the edited subtotal", upd2.OrderID, upd2.Subtotal)
	}
	d := delivery(TopicOrdersPaid, body)
	d.Store.ID = "other.myshopify.com"
	res, err := newPlatform(t).Parse(d)
	if err != nil {
		t.Fatal(err)
	}
	if res.Events[0].Value.(*schemas.Order).EventID == paid.EventID {
		t.Error("the same order id in another store has the same event id")
	}
}

// TestOrderPaidRule: orders/paid is always published; orders/create only
// once the money is captured.
func TestOrderPaidRule(t *testing.T) {
	for _, tt := range []struct {
		topic, status string
		published     bool
	}{
		{TopicOrdersCreate, "paid", true},
		{TopicOrdersCreate, "partially_refunded", true},
		{TopicOrdersCreate, "refunded", true},
		{TopicOrdersCreate, "pending", false},
		{TopicOrdersCreate, "authorized", false},
		{TopicOrdersCreate, "partially_paid", false},
		{TopicOrdersCreate, "voided", false},
		{TopicOrdersCreate, "", false},
		{TopicOrdersPaid, "paid", true},
		{TopicOrdersPaid, "pending", true},
	} {
		t.Run(tt.topic+"/"+tt.status, func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) { m["financial_status"] = tt.status })
			res, err := newPlatform(t).Parse(delivery(tt.topic, body))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Events) == 1 && res.Ignored == ""; got != tt.published {
				t.Fatalf("published = %v (ignored %q), want %v", got, res.Ignored, tt.published)
			}
		})
	}
}

func TestOrderVisitor(t *testing.T) {
	v1, v2 := identity.NewVisitorID(), identity.NewVisitorID()
	c2 := identity.NewClickID(v2)
	attrs := func(kv ...string) []any {
		var out []any
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, map[string]any{"name": kv[i], "value": kv[i+1]})
		}
		return out
	}
	emailKey := "e:" + webhooktest.Hasher(t).Email("bob.norman@mail.example.com")
	tests := []struct {
		name           string
		attrs          []any
		landing        any
		visitor, click string
		key            string
	}{
		{"none", attrs("colour", "green"), "http://www.example.com?source=abc", "", "", emailKey},
		{"cart attributes", attrs("heldsway_vid", v1, "heldsway_cid", c2), nil, v1, c2, v1},
		{"hidden attributes", attrs("_heldsway_vid", v1, "_heldsway_cid", c2), nil, v1, c2, v1},
		{"click only", attrs("_heldsway_cid", c2), nil, "", c2, v2},
		{"landing query", nil, "https://shop.example/?utm_source=x&hs_vid=" + v1 + "&hs_cid=" + c2, v1, c2, v1},
		{"landing path", nil, "/products/hat?hs_cid=" + c2 + "#top", "", c2, v2},
		{"attribute beats landing", attrs("heldsway_vid", v2), "/?hs_vid=" + v1, v2, "", v2},
		{"garbage dropped", attrs("heldsway_vid", "robert'); DROP", "heldsway_cid", "x.y"), "/?hs_vid=%zz", "", "", emailKey},
		{"non-string value", []any{map[string]any{"name": "heldsway_vid", "value": 42}}, nil, "", "", emailKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) {
				m["note_attributes"] = tt.attrs
				m["landing_site"] = tt.landing
			})
			o := parseOrder(t, TopicOrdersPaid, body)
			webhooktest.JSONEqual(t, []any{o.Customer.VisitorID, o.Customer.ClickID, o.Customer.Key},
				[]any{checkout.Optional(tt.visitor), checkout.Optional(tt.click), tt.key})
		})
	}
}

// TestOrderLandingScrubbed: landing_site is published without what may
// identify the buyer (see package urlscrub).
func TestOrderLandingScrubbed(t *testing.T) {
	for _, tt := range []struct{ in, want any }{
		{"/products/hat?utm_source=nl&email=jane%40example.com&gclid=g1#jane@example.com", "/products/hat?utm_source=nl&gclid=g1"},
		{"https://u:p@shop.example/account/jane@example.com?token=t", "https://shop.example/account/-"},
		{"mailto:jane@example.com", nil},
	} {
		body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) { m["landing_site"] = tt.in })
		o := parseOrder(t, TopicOrdersPaid, body)
		var want *string
		if s, ok := tt.want.(string); ok {
			want = &s
		}
		webhooktest.JSONEqual(t, o.LandingURL, want)
	}
}

func TestOrderFirstOrder(t *testing.T) {
	for _, tt := range []struct {
		count any
		want  *bool
	}{{nil, nil}, {0, nil}, {1, ptr(true)}, {2, ptr(false)}, {17, ptr(false)}} {
		t.Run(fmt.Sprint(tt.count), func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) {
				c := m["customer"].(map[string]any)
				if tt.count != nil {
					c["orders_count"] = tt.count
				}
			})
			webhooktest.JSONEqual(t, parseOrder(t, TopicOrdersPaid, body).Customer.FirstOrder, tt.want)
		})
	}
}

func TestOrderCodes(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) {
		m["discount_codes"] = []any{
			map[string]any{"code": "tenoff", "amount": "6.00", "type": "fixed_amount"},
			map[string]any{"code": " TenOff ", "amount": "4.00", "type": "fixed_amount"},
			map[string]any{"code": "two words", "amount": "1.00", "type": "fixed_amount"},
			map[string]any{"code": "ＳＨＩＰ", "amount": "0.00", "type": "shipping"},
		}
	})
	webhooktest.JSONEqual(t, parseOrder(t, TopicOrdersPaid, body).Codes, []schemas.AppliedCode{
		{Code: "TENOFF", Amount: 1000},
		{Code: "SHIP", Amount: 0},
	})
}

func TestOrderAmounts(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) {
		delete(m, "total_shipping_price_set")
		m["shipping_lines"] = []any{map[string]any{"price": "5"}, map[string]any{"price": "1.0"}}
		m["currency"] = "jpy"
		m["total_line_items_price"] = "597"
		m["total_discounts"] = "10"
		m["total_tax"] = "12"
		m["total_price"] = "605"
		m["discount_codes"] = []any{map[string]any{"code": "TENOFF", "amount": "10.0"}}
	})
	o := parseOrder(t, TopicOrdersPaid, body)
	webhooktest.JSONEqual(t, []any{o.Currency, o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total, o.Codes[0].Amount},
		[]any{"JPY", 597, 10, 6, 12, 605, 10})
}

func TestOrderErrors(t *testing.T) {
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	tests := []struct {
		name string
		body []byte
		edit func(map[string]any)
		want string
		is   error
	}{
		{name: "malformed JSON", body: []byte(`{"id": 1,`), want: "decoding orders/paid body"},
		{name: "not an object", body: []byte(`[1,2]`), want: "decoding orders/paid body"},
		{name: "null body", body: []byte(`null`), want: "order id is missing"},
		{name: "missing id", edit: del("id"), want: "order id is missing"},
		{name: "fractional id", edit: set("id", 1.5), want: "not a non-negative integer"},
		{name: "unknown currency", edit: set("currency", "XXZ"), is: money.ErrCurrency},
		{name: "missing currency", edit: del("currency"), is: money.ErrCurrency},
		{name: "bad amount", edit: set("total_price", "12,00"), is: money.ErrAmount},
		{name: "too precise", edit: set("total_tax", "1.005"), is: money.ErrAmount},
		{name: "negative", edit: set("total_discounts", "-1.00"), want: "total_discounts: -1.00 is negative"},
		{name: "amount of wrong type", edit: set("total_price", true), want: "neither a string nor a number"},
		{name: "missing total", edit: del("total_price"), want: "total_price is missing"},
		{name: "missing subtotal", edit: del("total_line_items_price"), want: "total_line_items_price is missing"},
		{name: "bad code amount", edit: set("discount_codes", []any{map[string]any{"code": "X", "amount": "ten"}}), is: money.ErrAmount},
		{name: "bad created_at", edit: set("created_at", "yesterday"), want: "created_at"},
		{name: "no time", edit: func(m map[string]any) { delete(m, "created_at"); delete(m, "processed_at") }, want: "created_at is missing"},
		{name: "huge", edit: set("total_price", "99999999999999999999"), is: money.ErrAmount},
		{name: "created_at 11 minutes ahead", edit: set("created_at", orderNow.Add(11*time.Minute).Format(time.RFC3339)),
			want: "created_at: 2008-01-10T17:11:00Z is outside [now-400d, now+10m]: more than 10 minutes ahead of the server clock 2008-01-10T17:00:00Z"},
		{name: "created_at in 9999", edit: set("created_at", "9999-12-31T23:59:59Z"), want: "more than 10 minutes ahead"},
		{name: "created_at 401 days back", edit: set("created_at", orderNow.AddDate(0, 0, -401).Format(time.RFC3339)),
			want: "created_at: 2006-12-05T17:00:00Z is outside [now-400d, now+10m]: more than 400 days before"},
		{name: "processed_at fallback out of range", edit: func(m map[string]any) { delete(m, "created_at"); m["processed_at"] = "1970-01-01T00:00:00Z" },
			want: "processed_at: 1970-01-01T00:00:00Z is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil {
				body = webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), tt.edit)
			}
			_, err := newPlatform(t).Parse(delivery(TopicOrdersPaid, body))
			if !errors.Is(err, webhook.ErrPayload) {
				t.Fatalf("Parse error = %v, want ErrPayload", err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("Parse error = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %q, want it to say %q", err, tt.want)
			}
		})
	}
}

func TestOrderProcessedAtFallback(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, orderFile), func(m map[string]any) {
		delete(m, "created_at")
		m["processed_at"] = "2024-02-29T23:59:59.9999+01:00"
	})
	d := delivery(TopicOrdersPaid, body)
	d.Now = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	res, err := newPlatform(t).Parse(d)
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("Parse = %+v, %v", res, err)
	}
	o := res.Events[0].Value.(*schemas.Order)
	if want := time.Date(2024, 2, 29, 22, 59, 59, 999_000_000, time.UTC); !o.OccurredAt.Equal(want) {
		t.Fatalf("OccurredAt = %v, want %v", o.OccurredAt, want)
	}
}
