package shopify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/checkout"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

func parseRefund(t *testing.T, body []byte) *schemas.Refund {
	t.Helper()
	res, err := newPlatform(t).Parse(delivery(TopicRefundsCreate, body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if res.Ignored != "" || len(res.Events) != 1 {
		t.Fatalf("Parse = %+v, want one event", res)
	}
	ev := res.Events[0]
	r, ok := ev.Value.(*schemas.Refund)
	if !ok {
		t.Fatalf("event value %T, want *schemas.Refund", ev.Value)
	}
	if ev.Topic != "test.refunds.v1" || ev.Key != "shopify/"+testStore+"/"+r.OrderID {
		t.Fatalf("event topic %q key %q", ev.Topic, ev.Key)
	}
	return r
}

// TestRefundFixture maps Shopify's documented refund, field by field.
func TestRefundFixture(t *testing.T) {
	got := parseRefund(t, webhooktest.Fixture(t, refundFile))
	want := &schemas.Refund{
		EventID:    schemas.ID("shopify", testStore, "refund", "509562969"),
		RefundID:   "509562969",
		OrderID:    "450789469",
		Platform:   "shopify",
		StoreID:    testStore,
		Currency:   "USD",
		Amount:     19566 + 19567, // line subtotals, after discount, without tax
		Total:      20900,         // the successful refund transaction
		Full:       false,
		Reason:     ptr("it broke during shipping"),
		OccurredAt: time.Date(2025, 4, 2, 16, 38, 15, 0, time.UTC),
		ReceivedAt: refundNow,
	}
	webhooktest.JSONEqual(t, got, want)
	if again := parseRefund(t, webhooktest.Fixture(t, refundFile)); again.EventID != got.EventID {
		t.Error("a redelivery has a different event id")
	}
}

func TestRefundAmounts(t *testing.T) {
	tx := func(kind, status, amount, cur string) map[string]any {
		return map[string]any{"kind": kind, "status": status, "amount": amount, "currency": cur}
	}
	tests := []struct {
		name          string
		edit          func(m map[string]any)
		amount, total int64
	}{
		{"only successful refund transactions", func(m map[string]any) {
			m["transactions"] = []any{tx("refund", "success", "10.00", "USD"), tx("refund", "failure", "99.00", "USD"),
				tx("refund", "pending", "5.00", "USD"), tx("capture", "success", "7.00", "USD"), tx("refund", "success", "0.50", "")}
		}, 39133, 1050},
		{"no transactions", func(m map[string]any) { m["transactions"] = []any{} }, 39133, 0},
		{"presentment currency transaction: shop-money parts", func(m map[string]any) {
			m["transactions"] = []any{tx("refund", "success", "300.00", "CAD")}
			m["refund_shipping_lines"] = []any{map[string]any{
				"subtotal_amount_set": map[string]any{"shop_money": map[string]any{"amount": "5.00", "currency_code": "USD"}},
				"tax_amount_set":      map[string]any{"shop_money": map[string]any{"amount": "0.30", "currency_code": "USD"}},
			}}
		}, 39133, 39133 + 796 + 500 + 30},
		{"no line items", func(m map[string]any) { m["refund_line_items"] = []any{} }, 0, 20900},
		{"number subtotal without set", func(m map[string]any) {
			m["refund_line_items"] = []any{map[string]any{"subtotal": 12.5, "total_tax": 0.75}}
		}, 1250, 20900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseRefund(t, webhooktest.Mutate(t, webhooktest.Fixture(t, refundFile), tt.edit))
			if r.Amount != tt.amount || r.Total != tt.total {
				t.Fatalf("amount %d total %d, want %d %d", r.Amount, r.Total, tt.amount, tt.total)
			}
		})
	}
}

func TestRefundReason(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	r := parseRefund(t, webhooktest.Mutate(t, webhooktest.Fixture(t, refundFile), func(m map[string]any) { m["note"] = long }))
	if len(*r.Reason) > checkout.MaxReason || !strings.HasPrefix(long, *r.Reason) || len(*r.Reason) != 1024 {
		t.Fatalf("reason of %d bytes not cut on a rune boundary at 1 KiB", len(*r.Reason))
	}
	r = parseRefund(t, webhooktest.Mutate(t, webhooktest.Fixture(t, refundFile), func(m map[string]any) { m["note"] = nil }))
	if r.Reason != nil {
		t.Fatalf("null note gave reason %q", *r.Reason)
	}
}

func TestRefundErrors(t *testing.T) {
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	del := func(k string) func(map[string]any) { return func(m map[string]any) { delete(m, k) } }
	tests := []struct {
		name string
		body []byte
		edit func(map[string]any)
		want string
		is   error
	}{
		{name: "malformed JSON", body: []byte(`{"id":`), want: "decoding refunds/create body"},
		{name: "missing id", edit: del("id"), want: "refund id is missing"},
		{name: "missing order id", edit: del("order_id"), want: "order_id is missing"},
		{name: "no currency", edit: func(m map[string]any) {
			m["refund_line_items"] = []any{}
			delete(m, "total_duties_set")
			m["transactions"] = []any{map[string]any{"kind": "refund", "status": "success", "amount": "1.00"}}
		}, want: "no money set or transaction names one"},
		{name: "unknown currency", edit: func(m map[string]any) {
			m["refund_line_items"] = []any{map[string]any{"subtotal_set": map[string]any{"shop_money": map[string]any{"amount": "1.00", "currency_code": "ZZZ"}}}}
		}, is: money.ErrCurrency},
		{name: "bad line subtotal", edit: set("refund_line_items", []any{map[string]any{"subtotal": "1.2.3"}}), is: money.ErrAmount},
		{name: "missing line subtotal", edit: set("refund_line_items", []any{map[string]any{"quantity": 1}}), want: "refund_line_items[0].subtotal is missing"},
		{name: "bad transaction", edit: set("transactions", []any{map[string]any{"kind": "refund", "status": "success", "amount": "-3.00", "currency": "USD"}}), want: "negative"},
		{name: "bad created_at", edit: set("created_at", "2025-13-01T00:00:00Z"), want: "created_at"},
		{name: "created_at an hour ahead", edit: set("created_at", refundNow.Add(time.Hour).Format(time.RFC3339)), want: "more than 10 minutes ahead of the server clock"},
		{name: "created_at in 1970", edit: set("created_at", "1970-01-01T00:00:00Z"), want: "created_at: 1970-01-01T00:00:00Z is outside [now-400d, now+10m]: more than 400 days before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil {
				body = webhooktest.Mutate(t, webhooktest.Fixture(t, refundFile), tt.edit)
			}
			_, err := newPlatform(t).Parse(delivery(TopicRefundsCreate, body))
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
