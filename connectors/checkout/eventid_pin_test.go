package checkout_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/conversion"
	"github.com/heldsway/heldsway/connectors/identity"
	"github.com/heldsway/heldsway/connectors/paddle"
	"github.com/heldsway/heldsway/connectors/shopify"
	"github.com/heldsway/heldsway/connectors/stripe"
	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/woocommerce"
	"github.com/heldsway/heldsway/schemas"
)

// TestEventIDsOfFixtures pins the event ids the platforms give the real
// payloads committed with them (copies of the platforms' own fixtures).
// Event ids are idempotency keys already stored in Kafka and ClickHouse:
// a refactor that changes one makes a redelivery a second event, so
// these values must never be edited to make a change pass.
func TestEventIDsOfFixtures(t *testing.T) {
	topics, hasher := platformEnv(t, "pin")
	shop := shopify.New(shopify.Config{Topics: topics, Hasher: hasher})
	woo := woocommerce.New(woocommerce.Config{Topics: topics, Hasher: hasher})
	str := stripe.New(stripe.Config{Topics: topics, Hasher: hasher, Promotions: stripe.StaticCodes{"promo_spring": "spring10"}})
	pad := paddle.New(paddle.Config{Topics: topics, Hasher: hasher, Discounts: paddle.StaticCodes{}})

	shopOrder := fixture(t, "shopify", "order_450789469.rest-2026-07.json")
	shopRefund := fixture(t, "shopify", "refund_509562969.rest-2026-07.json")
	shopAt := time.Date(2008, 1, 10, 17, 0, 0, 0, time.UTC)
	shopRefundAt := time.Date(2025, 4, 2, 17, 38, 15, 0, time.UTC)
	shopHeader := func(topic string) http.Header {
		return http.Header{"X-Shopify-Topic": {topic}, "X-Shopify-Shop-Domain": {"shop.myshopify.com"}}
	}
	wooHeader := func(topic string) http.Header {
		return http.Header{"X-Wc-Webhook-Topic": {topic}, "X-Wc-Webhook-Source": {"https://shop.example/"}}
	}
	wooAt := time.Date(2018, 4, 4, 0, 5, 14, 0, time.UTC)
	wooRefundAt := time.Date(2019, 6, 6, 18, 18, 38, 0, time.UTC)
	stripeAt := time.Unix(1234567890, 0).UTC().Add(time.Hour)
	stripeEvent := func(typ, file string, edit func(map[string]any)) []byte {
		ev := object(t, fixture(t, "stripe", "fixtures3.event.json"))
		obj := object(t, fixture(t, "stripe", file))
		if edit != nil {
			edit(obj)
		}
		ev["type"] = typ
		ev["data"] = map[string]any{"object": obj}
		return encode(t, ev)
	}
	paidSession := func(m map[string]any) {
		m["payment_status"], m["status"], m["currency"] = "paid", "complete", "usd"
		m["amount_subtotal"], m["amount_total"] = 5000, 4500
		m["total_details"] = map[string]any{"amount_discount": 500, "amount_shipping": 0, "amount_tax": 0}
		m["discounts"] = []any{map[string]any{"coupon": "co_1", "promotion_code": "promo_spring"}}
	}
	paddleNote := func(typ, file, at string, edit func(map[string]any)) []byte {
		data := object(t, fixture(t, "paddle", file))
		if edit != nil {
			edit(data)
		}
		return encode(t, map[string]any{"event_id": "evt_01pin", "event_type": typ, "occurred_at": at, "notification_id": "ntf_01", "data": data})
	}
	paddleTxnAt := time.Date(2024, 4, 12, 11, 18, 49, 0, time.UTC)
	paddleAdjAt := time.Date(2024, 4, 15, 9, 48, 20, 0, time.UTC)

	tests := []struct {
		name  string
		p     webhook.Platform
		store string
		h     http.Header
		body  []byte
		now   time.Time
		want  []string
	}{
		{"shopify orders/create", shop, "shop.myshopify.com", shopHeader("orders/create"), shopOrder, shopAt, []string{"202b98adec8ac7012900d6b9031cae93"}},
		{"shopify orders/paid", shop, "shop.myshopify.com", shopHeader("orders/paid"), shopOrder, shopAt, []string{"07af3c9071f5ce0db96f052bce5df426"}},
		{"shopify orders/updated", shop, "shop.myshopify.com", shopHeader("orders/updated"), shopOrder, shopAt, []string{"e658e13506d7167bd8de39bedd72e2fa"}},
		{"shopify refunds/create", shop, "shop.myshopify.com", shopHeader("refunds/create"), shopRefund, shopRefundAt, []string{"46a2b5bf93438f2845ed34718aca491b"}},
		{"woocommerce order.created", woo, "https://shop.example/", wooHeader("order.created"), fixture(t, "woocommerce", "order_963_with_coupon_lines.json"), wooAt, []string{"6d6011b202d3e6d4e11a4f346e44f6ab"}},
		{"woocommerce order.updated", woo, "https://shop.example/", wooHeader("order.updated"), fixture(t, "woocommerce", "order_963_with_coupon_lines.json"), wooAt, []string{"6d6011b202d3e6d4e11a4f346e44f6ab"}},
		{"woocommerce refunded order.updated", woo, "https://shop.example/", wooHeader("order.updated"), fixture(t, "woocommerce", "order_324_partially_refunded.json"), wooRefundAt, []string{"844f7c3a5c76b66f14b57a403975aac5", "c07b23436b42c6ec03e9b4c70eaf0bbe", "61a84f3245f7e3d5c700662d1c1c1a37"}},
		{"stripe checkout.session.completed", str, "acct_1", nil, stripeEvent("checkout.session.completed", "fixtures3.checkout.session.json", paidSession), stripeAt, []string{"eefad478be8230edceac4c9e1cabf0da"}},
		{"stripe invoice.paid", str, "acct_1", nil, stripeEvent("invoice.paid", "fixtures3.invoice.json", func(m map[string]any) {
			m["status"], m["billing_reason"], m["currency"], m["subtotal"], m["total"] = "paid", "subscription_create", "usd", 1000, 1000
			m["parent"] = map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": "sub_1"}}
		}), stripeAt, []string{"dd4e1e810e2e0eb55fe7e3e12b74e31c"}},
		{"stripe charge.refunded", str, "acct_1", nil, stripeEvent("charge.refunded", "fixtures3.charge.json", func(m map[string]any) {
			m["refunds"] = map[string]any{"data": []any{object(t, fixture(t, "stripe", "fixtures3.refund.json"))}}
		}), stripeAt, []string{"f324fb153c020083739a2ca10dc7206f"}},
		{"stripe refund.created", str, "acct_1", nil, stripeEvent("refund.created", "fixtures3.refund.json", nil), stripeAt, []string{"f324fb153c020083739a2ca10dc7206f"}},
		{"paddle transaction.completed", pad, "paddle-main", nil, paddleNote("transaction.completed", "notification_data.transaction.completed.json", "2024-04-12T10:18:49.621022Z", nil), paddleTxnAt, []string{"4811edc59e48e35f7bc285c26b8ddebe"}},
		{"paddle adjustment.updated", pad, "paddle-main", nil, paddleNote("adjustment.updated", "notification_data.adjustment.created.json", "2024-04-15T08:48:20.239695Z", func(d map[string]any) { d["status"] = "approved" }), paddleAdjAt, []string{"01ca2151eba76b8d5261504604531389"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := tt.p.Parse(webhook.Delivery{Store: webhook.Store{ID: tt.store}, Header: tt.h, Body: tt.body, Now: tt.now})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range res.Events {
				got = append(got, idOf(t, ev.Value))
			}
			if !equal(got, tt.want) {
				t.Errorf("event ids %q, want %q (ignored %q)", got, tt.want, res.Ignored)
			}
		})
	}
}

// TestEventIDsOfConversions pins the conversion API's event ids.
func TestEventIDsOfConversions(t *testing.T) {
	_, hasher := platformEnv(t, "pin")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sub := int64(5000)
	for _, tt := range []struct {
		name string
		req  conversion.OrderRequest
		want string
	}{
		{"default store", conversion.OrderRequest{OrderID: "A-1001", Currency: "USD", Subtotal: &sub}, "7da4b3656ade952a32ffd71c51474b9b"},
		{"named store", conversion.OrderRequest{OrderID: "A-1001", StoreID: "eu", Currency: "EUR", Subtotal: &sub}, "1033b4c06dc8fda51e4f4351a4589acd"},
	} {
		o, err := tt.req.ToOrder(hasher, now)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if o.EventID != tt.want {
			t.Errorf("%s: event id %q, want %q", tt.name, o.EventID, tt.want)
		}
	}
	amt := int64(1200)
	for _, tt := range []struct {
		name string
		req  conversion.RefundRequest
		want string
	}{
		{"default store", conversion.RefundRequest{RefundID: "R-7", OrderID: "A-1001", Currency: "USD", Amount: &amt}, "fc7d46b9d45af211537284b95d541d6a"},
		{"named store", conversion.RefundRequest{RefundID: "R-7", OrderID: "A-1001", StoreID: "eu", Currency: "EUR", Amount: &amt}, "40e688bf18ef94ed6cf88e3965cbedbd"},
	} {
		rf, err := tt.req.ToRefund(now)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if rf.EventID != tt.want {
			t.Errorf("%s: event id %q, want %q", tt.name, rf.EventID, tt.want)
		}
	}
}

func idOf(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case *schemas.Order:
		return x.EventID
	case *schemas.Refund:
		return x.EventID
	}
	t.Fatalf("event value %T", v)
	return ""
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fixture reads a payload committed with a platform package.
func fixture(t *testing.T, platform, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", platform, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func object(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// platformEnv returns the topics (named with prefix) and the identity
// hasher the platforms are built with in these tests. The hasher's key is
// part of what the pinned event ids and customer keys hash.
func platformEnv(t *testing.T, prefix string) (schemas.Topics, *identity.Hasher) {
	t.Helper()
	topics, err := schemas.NewTopics(prefix)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := identity.NewHasher([]byte("0123456789abcdef-hash"))
	if err != nil {
		t.Fatal(err)
	}
	return topics, hasher
}
