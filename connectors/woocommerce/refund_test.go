package woocommerce

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
	"github.com/heldsway/heldsway/connectors/webhook/webhooktest"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/money"
)

// TestRefundFixture maps the refunds[] of WooCommerce's partially refunded
// order, field by field. The order has no tax, so each refund's total is
// merchandise (8.10 and 16.20 are one and two units of a 8.10 item).
func TestRefundFixture(t *testing.T) {
	o, got := parseAt(t, TopicOrderUpdated, webhooktest.Fixture(t, refundedFile), refundedNow)
	if o == nil {
		t.Fatal("the completed order was not published with its refunds")
	}
	key := o.Customer.Key
	at := time.Date(2019, 6, 6, 17, 18, 38, 0, time.UTC) // date_modified_gmt
	want := []*schemas.Refund{
		{
			EventID: schemas.ID("woocommerce", testStore, "refund", "547"), RefundID: "547", OrderID: "324",
			Platform: "woocommerce", StoreID: testStore, Currency: "USD", Amount: 810, Total: 810,
			CustomerKey: &key, OccurredAt: at, ReceivedAt: refundedNow,
		},
		{
			EventID: schemas.ID("woocommerce", testStore, "refund", "549"), RefundID: "549", OrderID: "324",
			Platform: "woocommerce", StoreID: testStore, Currency: "USD", Amount: 1620, Total: 1620,
			Reason: ptr("Sold out"), CustomerKey: &key, OccurredAt: at, ReceivedAt: refundedNow,
		},
	}
	webhooktest.JSONEqual(t, got, want)

	_, again := parseAt(t, TopicOrderUpdated, webhooktest.Fixture(t, refundedFile), refundedNow)
	for i := range again {
		if again[i].EventID != got[i].EventID {
			t.Fatal("a repeated order.updated gives other refund event ids")
		}
	}
}

func TestRefundAmounts(t *testing.T) {
	refund := func(id int, total string) map[string]any {
		return map[string]any{"id": id, "reason": "", "total": total}
	}
	type want struct {
		id            string
		amount, total int64
		full          bool
	}
	// The coupon order: net = 60.00 - 30.00 = 30.00, cart tax 1.20,
	// total 31.20.
	tests := []struct {
		name    string
		refunds []any
		want    []want
	}{
		{"item with its tax", []any{refund(10, "-10.40")}, []want{{"10", 1000, 1040, false}}},
		{"rounded half up", []any{refund(10, "-0.13")}, []want{{"10", 13, 13, false}}}, // 0.13*30/31.2 = 0.125
		{"full refund is exactly net", []any{refund(10, "-31.20")}, []want{{"10", 3000, 3120, true}}},
		{"in id order, capped at net", []any{refund(12, "-20.80"), refund(9, "-20.80")},
			[]want{{"9", 2000, 2080, false}, {"12", 1000, 2080, true}}},
		{"numeric id order", []any{refund(100, "-1.04"), refund(99, "-1.04")},
			[]want{{"99", 100, 104, false}, {"100", 100, 104, false}}},
		{"duplicate entry once", []any{refund(5, "-1.04"), refund(5, "-1.04")}, []want{{"5", 100, 104, false}}},
		{"positive total read as magnitude", []any{refund(5, "1.04")}, []want{{"5", 100, 104, false}}},
		{"zero refund", []any{refund(5, "0.00")}, []want{{"5", 0, 0, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, couponFile), func(m map[string]any) { m["refunds"] = tt.refunds })
			_, rs := parse(t, TopicOrderUpdated, body)
			var got []want
			for _, r := range rs {
				got = append(got, want{r.RefundID, r.Amount, r.Total, r.Full})
			}
			webhooktest.JSONEqual(t, got, tt.want)
		})
	}
}

// TestRefundOfUnpaidOrder: a cancelled order carrying refunds publishes
// the refunds but not the order.
func TestRefundOfUnpaidOrder(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, refundedFile), func(m map[string]any) { m["status"] = "cancelled" })
	o, rs := parseAt(t, TopicOrderUpdated, body, refundedNow)
	if o != nil || len(rs) != 2 {
		t.Fatalf("order %v, %d refunds; want no order and 2 refunds", o, len(rs))
	}
}

func TestRefundOccurredAtDefaultsToNow(t *testing.T) {
	body := webhooktest.Mutate(t, webhooktest.Fixture(t, refundedFile), func(m map[string]any) { delete(m, "date_modified_gmt") })
	if _, rs := parseAt(t, TopicOrderUpdated, body, refundedNow); !rs[0].OccurredAt.Equal(refundedNow) {
		t.Fatalf("OccurredAt = %v, want the delivery time", rs[0].OccurredAt)
	}
}

func TestRefundErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		refunds []any
		want    string
		is      error
	}{
		{"missing id", []any{map[string]any{"total": "-1.00"}}, "refunds[0].id is missing", nil},
		{"missing total", []any{map[string]any{"id": 3}}, "refunds[0].total is missing", nil},
		{"bad total", []any{map[string]any{"id": 3, "total": "-1.0.0"}}, "refunds[0].total", money.ErrAmount},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := webhooktest.Mutate(t, webhooktest.Fixture(t, refundedFile), func(m map[string]any) { m["refunds"] = tt.refunds })
			_, err := newPlatform(t).Parse(deliveryAt(TopicOrderUpdated, body, refundedNow))
			if !errors.Is(err, webhook.ErrPayload) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want ErrPayload saying %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("Parse error = %v, want %v", err, tt.is)
			}
		})
	}
}

func TestProrate(t *testing.T) {
	for _, tt := range []struct{ x, num, den, want int64 }{
		{1040, 3000, 3120, 1000},
		{1, 1, 2, 1}, // 0.5 rounds up
		{1, 1, 3, 0},
		{money.Max, money.Max, money.Max, money.Max},
		{5, 0, 10, 0},
		{5, 10, 0, 0},
	} {
		if got := prorate(tt.x, tt.num, tt.den); got != tt.want {
			t.Errorf("prorate(%d, %d, %d) = %d, want %d", tt.x, tt.num, tt.den, got, tt.want)
		}
	}
}

// TestRefundTimeWindow: each event is checked against its own time. A
// refund of an order created before the window is published without the
// order (which every earlier delivery carried under the same event id);
// anything ahead of the clock refuses the delivery.
func TestRefundTimeWindow(t *testing.T) {
	base := webhooktest.Fixture(t, refundedFile) // created 2019-06-06T17:17:55, modified 17:18:38
	tests := []struct {
		name    string
		edit    func(m map[string]any)
		order   bool
		refunds int
		want    string // error, when not ""
	}{
		{"both in the window", func(map[string]any) {}, true, 2, ""},
		{"order created 401 days back: refunds only", func(m map[string]any) { m["date_created_gmt"] = "2018-05-01T00:00:00" }, false, 2, ""},
		{"cancelled order created long ago: refunds only", func(m map[string]any) {
			m["status"], m["date_created_gmt"] = "cancelled", "2001-01-01T00:00:00"
		}, false, 2, ""},
		{"order created ahead", func(m map[string]any) { m["date_created_gmt"] = "2019-06-06T19:00:00" }, false, 0,
			"date_created_gmt: 2019-06-06T19:00:00Z is outside [now-400d, now+10m]: more than 10 minutes ahead"},
		{"refunds modified ahead", func(m map[string]any) { m["date_modified_gmt"] = "9999-01-01T00:00:00" }, false, 0,
			"date_modified_gmt: 9999-01-01T00:00:00Z is outside [now-400d, now+10m]: more than 10 minutes ahead"},
		{"refunds and order before the window", func(m map[string]any) {
			m["date_created_gmt"], m["date_modified_gmt"] = "1970-01-01T00:00:00", "1970-01-02T00:00:00"
		}, false, 0, "date_modified_gmt: 1970-01-02T00:00:00Z is outside [now-400d, now+10m]: more than 400 days before"},
		{"paid order before the window without refunds", func(m map[string]any) {
			m["date_created_gmt"], m["refunds"] = "2018-05-01T00:00:00", []any{}
		}, false, 0, "date_created_gmt: 2018-05-01T00:00:00Z is outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := newPlatform(t).Parse(deliveryAt(TopicOrderUpdated, webhooktest.Mutate(t, base, tt.edit), refundedNow))
			if tt.want != "" {
				if !errors.Is(err, webhook.ErrPayload) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Parse = %+v, %v; want ErrPayload saying %q", res, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			order, refunds := false, 0
			for _, ev := range res.Events {
				switch ev.Value.(type) {
				case *schemas.Order:
					order = true
				case *schemas.Refund:
					refunds++
				}
			}
			if order != tt.order || refunds != tt.refunds {
				t.Fatalf("order published %v with %d refunds, want %v with %d", order, refunds, tt.order, tt.refunds)
			}
		})
	}
}
