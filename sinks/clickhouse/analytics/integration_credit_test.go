package analytics_test

import (
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/sinks/clickhouse"
	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
)

// TestRollupCreditsRefundsByAmount: an order won by a click on a code's
// link counts for the code (attributed by click) although the code was
// not applied; pending commission stays apart from approved; the refund
// rate by amount is the refunded share of net sales (35 of 75 is not
// 100%); a refund beyond an order's net amount is capped at it.
func TestRollupCreditsRefundsByAmount(t *testing.T) {
	e := newEnv(t)
	day := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	code, aff := "SARAH10", "aff-sarah"
	var rows []clickhouse.Row
	n := int64(0)
	add := func(rec any) {
		n++
		rows = append(rows, clickhouse.Row{Record: rec, Partition: 0, Offset: n})
	}
	add(schemas.Code{EventID: "code-1", Code: code, DisplayCode: code, CouponID: "c", AffiliateID: aff,
		DiscountType: "percent", DiscountValue: 1000, Status: "active", Version: 1, UpdatedAt: day.Add(-time.Hour)})
	order := func(id string, sub int64, codes []schemas.AppliedCode) {
		add(schemas.Order{EventID: "o-" + id, OrderID: id, Platform: "api", StoreID: "s", SourceEvent: "conversion",
			Currency: "EUR", Subtotal: sub, Total: sub, Codes: codes, Customer: schemas.Customer{Key: "k-" + id},
			OccurredAt: day, ReceivedAt: day})
	}
	attribution := func(id, method, status string, commission int64) {
		add(schemas.Attribution{EventID: "a-" + id, OrderID: id, Platform: "api", StoreID: "s", Version: 1,
			Status: status, Rule: "coupon_priority", Method: method, AffiliateID: &aff, Code: &code, CustomerKey: "k-" + id,
			Currency: "EUR", OrderTotal: 7500, NetAmount: 7500, Commission: commission, OrderOccurredAt: day, DecidedAt: day})
	}
	refund := func(id, order string, amount int64) {
		add(schemas.Refund{EventID: "r-" + id, RefundID: id, OrderID: order, Platform: "api", StoreID: "s",
			Currency: "EUR", Amount: amount, Total: amount, OccurredAt: day.Add(time.Hour), ReceivedAt: day.Add(time.Hour)})
	}
	// o1: the code applied, partly refunded: 3500 of 7500.
	order("o1", 7500, []schemas.AppliedCode{{Code: code}})
	attribution("o1", "code", "approved", 750)
	refund("r1", "o1", 3500)
	// o2: won by a click on the code's link; no code applied; in review.
	order("o2", 7500, nil)
	attribution("o2", "click", "pending_review", 750)
	// o3: the code applied, refunded 9000 of a 5000 net: capped.
	order("o3", 5000, []schemas.AppliedCode{{Code: code}})
	attribution("o3", "code", "approved", 500)
	refund("r3", "o3", 9000)
	e.write(t, rows)
	e.refresh(t, analytics.RefreshOptions{Full: true})

	got, err := e.client.Codes(e.ctx, analytics.Query{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("rows %+v, want one for %s", got, code)
	}
	s := got[0]
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"orders (redemptions)", s.Orders, uint64(2)},
		{"attributed", s.Attributed, uint64(3)},
		{"by code", s.AttributedCode, uint64(2)},
		{"by click", s.AttributedClick, uint64(1)},
		{"approved commission", s.Commission, int64(1250)},
		{"pending commission", s.CommissionPending, int64(750)},
		{"net sales", s.Net, int64(12500)},
		{"refunded (capped)", s.Refunded, int64(3500 + 5000)},
		{"refund rate by order", s.RefundRate, 1.0},
		{"refund rate by amount", s.RefundAmountRate, float64(8500) / 12500},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	affs := analytics.ByAffiliate(got)
	if len(affs) != 1 || affs[0].AffiliateID != aff || affs[0].Attributed != 3 || affs[0].CommissionPending != 750 || affs[0].Codes != 1 {
		t.Errorf("per affiliate %+v", affs)
	}
}
