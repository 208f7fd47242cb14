package woocommerce

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

// parse returns the order (nil if none) and refunds a delivery maps to.
func parse(t *testing.T, topic string, body []byte) (*schemas.Order, []*schemas.Refund) {
	t.Helper()
	return parseAt(t, topic, body, testNow)
}

// parseAt is parse of a delivery received at now.
func parseAt(t *testing.T, topic string, body []byte, now time.Time) (*schemas.Order, []*schemas.Refund) {
	t.Helper()
	res, err := newPlatform(t).Parse(deliveryAt(topic, body, now))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if res.Ignored != "" {
		t.Fatalf("Parse ignored: %s", res.Ignored)
	}
	var o *schemas.Order
	var refunds []*schemas.Refund
	for i, ev := range res.Events {
		switch v := ev.Value.(type) {
		case *schemas.Order:
			if i != 0 || ev.Topic != "test.orders.v1" || ev.Key != v.Customer.Key {
				t.Fatalf("order event %d topic %q key %q", i, ev.Topic, ev.Key)
			}
			o = v
		case *schemas.Refund:
			if ev.Topic != "test.refunds.v1" || ev.Key != "woocommerce/"+testStore+"/"+v.OrderID {
				t.Fatalf("refund event topic %q key %q", ev.Topic, ev.Key)
			}
			refunds = append(refunds, v)
		default:
			t.Fatalf("event value %T", v)
		}
	}
	return o, refunds
}

func parseOrder(t *testing.T, topic string, body []byte) *schemas.Order {
	t.Helper()
	o, _ := parse(t, topic, body)
	if o == nil {
		t.Fatal("no order published")
	}
	return o
}

// TestOrderFixtures maps WooCommerce's documented orders, field by field.
func TestOrderFixtures(t *testing.T) {
	h := webhooktest.Hasher(t)
	hash := func(email string) *string { s := h.Email(email); return &s }
	tests := []struct {
		file, topic string
		want        *schemas.Order
	}{
		{couponFile, TopicOrderCreated, &schemas.Order{
			OrderID: "963", Currency: "USD",
			Subtotal: 6000, Discount: 3000, Shipping: 0, Tax: 120, Total: 3120, // 60.00 - 30.00 + 1.20
			Codes: []schemas.AppliedCode{{Code: "30$OFF", Amount: 3000}},
			Customer: schemas.Customer{
				Key:        "e:" + *hash("scrambled@scrambled.com"),
				EmailHash:  hash("scrambled@scrambled.com"),
				CustomerID: ptr("11"),
			},
			OccurredAt: time.Date(2018, 4, 3, 23, 5, 12, 0, time.UTC),
		}},
		{refundedFile, TopicOrderUpdated, &schemas.Order{
			OrderID: "324", Currency: "USD",
			Subtotal: 25020, Discount: 0, Shipping: 5425, Tax: 0, Total: 30445,
			Codes: []schemas.AppliedCode{},
			Customer: schemas.Customer{
				Key:        "e:" + *hash("thuy.copeland+pamela-nguyen-orders@automattic.com"),
				EmailHash:  hash("thuy.copeland+pamela-nguyen-orders@automattic.com"),
				CustomerID: ptr("1"),
			},
			OccurredAt: time.Date(2019, 6, 6, 17, 17, 55, 0, time.UTC),
		}},
		{docsFile, TopicOrderCreated, &schemas.Order{
			OrderID: "727", Currency: "USD",
			Subtotal: 1800, Discount: 0, Shipping: 1000, Tax: 135, Total: 2935,
			Codes: []schemas.AppliedCode{},
			Customer: schemas.Customer{ // customer_id 0: a guest
				Key:       "e:" + *hash("john.doe@example.com"),
				EmailHash: hash("john.doe@example.com"),
			},
			OccurredAt: time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			w := tt.want
			w.EventID = schemas.ID("woocommerce", testStore, w.OrderID, "paid")
			w.Platform = "woocommerce"
			w.StoreID = testStore
			w.SourceEvent = tt.topic
			w.ReceivedAt = testNow
			if tt.file == refundedFile {
				w.ReceivedAt = refundedNow
			}
			got, _ := parseAt(t, tt.topic, webhooktest.Fixture(t, tt.file), w.ReceivedAt)
			if got == nil {
				t.Fatal("no order published")
			}
			webhooktest.JSONEqual(t, got, w)
			if got.Subtotal-got.Discount+got.Shipping+got.Tax != got.Total {
				t.Errorf("subtotal - discount + shipping + tax != total")
			}
			if s := fmt.Sprintf("%+v", *got); strings.Contains(s, "@") {
				t.Errorf("published order contains a clear email: %s", s)
			}
		})
	}
}

// TestOrderEventID: every delivery of a paid order has one event id, so
// order.updated repeats dedup downstream.
func TestOrderEventID(t *testing.T) {
	body := webhooktest.Fixture(t, couponFile)
	created := parseOrder(t, TopicOrderCreated, body)
	updated := parseOrder(t, TopicOrderUpdated, body)
	completed := parseOrder(t, TopicOrderUpdated, webhooktest.Mutate(t, body, func(m map[string]any) { m["status"] = "completed" }))
	if created.EventID != updated.EventID || updated.EventID != completed.EventID {
		t.Fatal("deliveries of one paid order have different event ids")
	}
	if created.SourceEvent != TopicOrderCreated || updated.SourceEvent != TopicOrderUpdated {
		t.Fatal("SourceEvent is not the topic")
	}
}

func TestOrderPaidRule(t *testing.T) {
	for _, tt := range []struct {
		status   string
		datePaid any
		paid     bool
	}{
		{"processing", nil, true},
		{"completed", nil, true},
		{"refunded", nil, true},
		{"shipped", "2020-01-01T00:00:00", true}, // a plugin's status, paid
		{"shipped", nil, false},
		{"pending", nil, false},
		{"on-hold", nil, false},
		{"failed", nil, false},
		{"cancelled", "2020-01-01T00:00:00", false},
		{"checkout-draft", nil, false},
		{"trash", nil, false},
		{"", "2020-01-01T00:00:00", false},
	} {
		t.Run(tt.status, func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, couponFile), func(m map[string]any) {
				m["status"] = tt.status
				m["date_paid_gmt"] = tt.datePaid
			})
			res, err := newPlatform(t).Parse(delivery(TopicOrderUpdated, body))
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Events) == 1; got != tt.paid || (res.Ignored == "") != tt.paid {
				t.Fatalf("published = %v (ignored %q), want %v", got, res.Ignored, tt.paid)
			}
		})
	}
}

func TestOrderVisitor(t *testing.T) {
	v1, v2 := identity.NewVisitorID(), identity.NewVisitorID()
	c2 := identity.NewClickID(v2)
	meta := func(kv ...any) []any {
		var out []any
		for i := 0; i+1 < len(kv); i += 2 {
			out = append(out, map[string]any{"id": i, "key": kv[i], "value": kv[i+1]})
		}
		return out
	}
	emailKey := "e:" + webhooktest.Hasher(t).Email("scrambled@scrambled.com")
	entry := "https://shop.example/landing?hs_vid=" + v1 + "&hs_cid=" + c2
	tests := []struct {
		name                    string
		meta                    []any
		visitor, click, landing string
		key                     string
	}{
		{"none", nil, "", "", "", emailKey},
		{"hidden meta", meta("_heldsway_vid", v1, "_heldsway_cid", c2), v1, c2, "", v1},
		{"plain meta", meta("heldsway_vid", v1, "heldsway_cid", c2), v1, c2, "", v1},
		{"click only", meta("_heldsway_cid", c2), "", c2, "", v2},
		{"order attribution landing", meta("_wc_order_attribution_session_entry", entry), v1, c2, entry, v1},
		{"meta beats landing", meta("_heldsway_vid", v2, "_wc_order_attribution_session_entry", entry), v2, c2, entry, v2},
		{"landing scrubbed", meta("_wc_order_attribution_session_entry", "https://u:p@shop.example/landing?email=jane%40example.com&hs_vid="+v1+"&utm_source=nl#jane@example.com"),
			v1, "", "https://shop.example/landing?hs_vid=" + v1 + "&utm_source=nl", v1},
		{"garbage dropped", meta("_heldsway_vid", "nope", "_heldsway_cid", []any{1, 2}), "", "", "", emailKey},
		{"object value", meta("_heldsway_vid", map[string]any{"v": v1}), "", "", "", emailKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, couponFile), func(m map[string]any) { m["meta_data"] = tt.meta })
			o := parseOrder(t, TopicOrderUpdated, body)
			webhooktest.JSONEqual(t, []any{o.Customer.VisitorID, o.Customer.ClickID, o.LandingURL, o.Customer.Key},
				[]any{checkout.Optional(tt.visitor), checkout.Optional(tt.click), checkout.Optional(tt.landing), tt.key})
		})
	}
}

func TestOrderFirstOrderMeta(t *testing.T) {
	for _, tt := range []struct {
		value any
		want  *bool
	}{{nil, nil}, {"yes", ptr(true)}, {"1", ptr(true)}, {"TRUE", ptr(true)}, {"no", ptr(false)}, {"0", ptr(false)}, {"maybe", nil}, {1, nil}} {
		t.Run(fmt.Sprint(tt.value), func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, couponFile), func(m map[string]any) {
				if tt.value != nil {
					m["meta_data"] = []any{map[string]any{"key": "_heldsway_first_order", "value": tt.value}}
				}
			})
			webhooktest.JSONEqual(t, parseOrder(t, TopicOrderUpdated, body).Customer.FirstOrder, tt.want)
		})
	}
}

func TestOrderCodes(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, couponFile), func(m map[string]any) {
		m["coupon_lines"] = []any{
			map[string]any{"code": "sarah10", "discount": "20"},
			map[string]any{"code": "SARAH10", "discount": "5.5"},
			map[string]any{"code": "bad code", "discount": "4.5"},
		}
	})
	webhooktest.JSONEqual(t, parseOrder(t, TopicOrderUpdated, body).Codes, []schemas.AppliedCode{{Code: "SARAH10", Amount: 2550}})
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
		{name: "malformed JSON", body: []byte(`{"id": 963, "status": "processing"`), want: "decoding order.updated body"},
		{name: "form body", body: []byte(`webhook_id=abc`), want: "decoding order.updated body"},
		{name: "missing id", edit: del("id"), want: "order id is missing"},
		{name: "negative id", edit: set("id", -3), want: "not a non-negative integer"},
		{name: "unknown currency", edit: set("currency", "BTC"), is: money.ErrCurrency},
		{name: "bad line subtotal", edit: set("line_items", []any{map[string]any{"subtotal": "abc"}}), is: money.ErrAmount},
		{name: "missing line subtotal", edit: set("line_items", []any{map[string]any{"total": "1.00"}}), want: "line_items[0].subtotal is missing"},
		{name: "bad total", edit: set("total", "31,20"), is: money.ErrAmount},
		{name: "missing total", edit: del("total"), want: "total is missing"},
		{name: "negative discount", edit: set("discount_total", "-30.00"), want: "negative"},
		{name: "bad coupon discount", edit: set("coupon_lines", []any{map[string]any{"code": "X", "discount": "1.001"}}), is: money.ErrAmount},
		{name: "bad date", edit: set("date_created_gmt", "03/04/2018"), want: "date_created_gmt"},
		{name: "no date", edit: del("date_created_gmt"), want: "date_created is missing"},
		{name: "date_created_gmt 11 minutes ahead", edit: set("date_created_gmt", "2018-04-04T00:16:15"),
			want: "date_created_gmt: 2018-04-04T00:16:15Z is outside [now-400d, now+10m]: more than 10 minutes ahead of the server clock 2018-04-04T00:05:14Z"},
		{name: "date_created_gmt in 9999", edit: set("date_created_gmt", "9999-12-31T23:59:59"), want: "more than 10 minutes ahead"},
		{name: "date_created_gmt 401 days back", edit: set("date_created_gmt", "2017-02-26T00:00:00"),
			want: "date_created_gmt: 2017-02-26T00:00:00Z is outside [now-400d, now+10m]: more than 400 days before"},
		{name: "date_created fallback in 1970", edit: func(m map[string]any) { delete(m, "date_created_gmt"); m["date_created"] = "1970-01-01T00:00:00" },
			want: "date_created: 1970-01-01T00:00:00Z is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil {
				body = webhooktest.Mutate(t, webhooktest.Fixture(t, couponFile), tt.edit)
			}
			_, err := newPlatform(t).Parse(delivery(TopicOrderUpdated, body))
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

func TestOrderDateCreatedFallback(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, refundedFile), func(m map[string]any) {
		delete(m, "date_created_gmt")
		m["date_created"] = "2019-06-06T10:00:00"
	})
	if got, _ := parseAt(t, TopicOrderUpdated, body, refundedNow); got == nil || !got.OccurredAt.Equal(time.Date(2019, 6, 6, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("OccurredAt = %v", got)
	}
}
