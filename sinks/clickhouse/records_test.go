package clickhouse

import (
	"fmt"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// Fixtures: fully populated records, every optional field set, so
// round trips cover every column.

var t0 = time.Date(2026, 3, 14, 15, 9, 26, 535_000_000, time.UTC)

func ptr[V any](v V) *V { return &v }

func sampleOrder(i int) schemas.Order {
	id := fmt.Sprintf("order-%d", i)
	return schemas.Order{
		EventID:     schemas.ID("shopify", "shop.example", id, "orders/paid"),
		OrderID:     id,
		Platform:    "shopify",
		StoreID:     "shop.example",
		SourceEvent: "orders/paid",
		Currency:    "EUR",
		Subtotal:    10000,
		Discount:    1500,
		Shipping:    499,
		Tax:         1900,
		Total:       10899,
		Codes: []schemas.AppliedCode{
			{Code: "SPRING15", Amount: 1000, RemoteID: ptr("gid://1")},
			{Code: "FREESHIP", Amount: 500},
		},
		Customer: schemas.Customer{
			Key: "v:visitor-1", VisitorID: ptr("visitor-1"), ClickID: ptr("click-1"),
			EmailHash: ptr("e-hash"), CustomerID: ptr("cust-1"), FirstOrder: ptr(true),
		},
		Subscription:  &schemas.Subscription{ID: "sub-1", Cycle: 2, StartedAt: ptr(t0.Add(-30 * 24 * time.Hour))},
		LandingURL:    ptr("https://shop.example/?ref=aff"),
		CodeAppliedAt: ptr(t0.Add(-time.Minute)),
		OccurredAt:    t0,
		ReceivedAt:    t0.Add(2 * time.Second),
	}
}

func sampleClick() schemas.Click {
	return schemas.Click{
		EventID: "click-1", ClickID: "click-1", VisitorID: "visitor-1",
		Code: ptr("SPRING15"), AffiliateID: ptr("aff-1"), DestinationID: ptr("dest-1"),
		LandingURL: ptr("https://shop.example/"), Referrer: ptr("https://blog.example/"),
		PageType: ptr("landing"), IPHash: ptr("ip-hash"), UserAgent: ptr("Mozilla/5.0"),
		IsBot: true, BotReason: ptr("ua"), Source: "redirect",
		OccurredAt: t0, ReceivedAt: t0.Add(time.Millisecond),
	}
}

func sampleRefund() schemas.Refund {
	return schemas.Refund{
		EventID: schemas.ID("shopify", "shop.example", "refund-1"), RefundID: "refund-1", OrderID: "order-1",
		Platform: "shopify", StoreID: "shop.example", Currency: "EUR", Amount: 8500, Total: 10899,
		Full: true, Reason: ptr("customer"), CustomerKey: ptr("v:visitor-1"),
		OccurredAt: t0.Add(time.Hour), ReceivedAt: t0.Add(time.Hour + time.Second),
	}
}

func sampleCode(version int64) schemas.Code {
	return schemas.Code{
		EventID: schemas.ID("SPRING15", fmt.Sprint(version)), Code: "SPRING15", DisplayCode: "Spring15",
		CouponID: "coupon-1", AffiliateID: "aff-1", AffiliateName: ptr("Anna"),
		DiscountType: "percent", DiscountValue: 1500, Currency: ptr("EUR"), Status: "active",
		ValidFrom: ptr(t0.Add(-24 * time.Hour)), ValidUntil: ptr(t0.Add(24 * time.Hour)),
		MaxUses: ptr(int64(100)), OncePerCustomer: true, MinOrder: ptr(int64(2000)),
		FirstOrderOnly: true, AllowedAffiliates: []string{"aff-2"}, RequiresClick: true,
		Commission: &schemas.CommissionRule{Type: "percent", Value: 1000, Currency: ptr("EUR"), RecurringMonths: 3},
		Platforms: []schemas.PlatformSync{
			{Platform: "shopify", StoreID: "shop.example", RemoteID: ptr("gid://1"), Status: "synced", SyncedAt: ptr(t0)},
			{Platform: "stripe", StoreID: "acct_1", Status: "failed", LastError: ptr("rate limited")},
		},
		Version: version, UpdatedAt: t0,
	}
}

func sampleAttribution(version int32) schemas.Attribution {
	return schemas.Attribution{
		EventID: schemas.ID("shopify", "shop.example", "order-1", fmt.Sprint(version)),
		OrderID: "order-1", Platform: "shopify", StoreID: "shop.example", Version: version,
		Status: "approved", Rule: "split", Method: "split",
		AffiliateID: ptr("aff-1"), Code: ptr("SPRING15"), ClickID: ptr("click-1"),
		CustomerKey: "v:visitor-1", Currency: "EUR", OrderTotal: 10899, NetAmount: 8500,
		Commission: 850 * int64(version), Reasons: []string{"code", "click"},
		Shares: []schemas.Share{
			{AffiliateID: "aff-1", Code: ptr("SPRING15"), WeightBP: 6000, Commission: 510},
			{AffiliateID: "aff-2", ClickID: ptr("click-1"), WeightBP: 4000, Commission: 340},
		},
		Touches: []schemas.Touch{
			{Kind: "code", AffiliateID: ptr("aff-1"), Code: ptr("SPRING15"), At: t0, Qualified: true, Won: true},
			{Kind: "click", AffiliateID: ptr("aff-2"), ClickID: ptr("click-1"), At: t0.Add(-time.Hour), Qualified: true, Reason: ptr("split")},
		},
		OrderOccurredAt: t0, DecidedAt: t0.Add(time.Second),
	}
}

func sampleAdjustment() schemas.Adjustment {
	return schemas.Adjustment{
		EventID: schemas.ID("order-1", "refund-1", "aff-1"), OrderID: "order-1", Platform: "shopify",
		StoreID: "shop.example", RefundID: ptr("refund-1"), AffiliateID: "aff-1", Code: ptr("SPRING15"),
		Amount: -850, Currency: "EUR", Reason: "refund", AttributionVersion: 1,
		OccurredAt: t0.Add(time.Hour), DecidedAt: t0.Add(time.Hour + time.Second),
	}
}

func sampleFlag() schemas.Flag {
	return schemas.Flag{
		EventID: schemas.ID("code_leak", "SPRING15"), Type: "code_leak", Severity: "review",
		OrderID: ptr("order-1"), Platform: ptr("shopify"), StoreID: ptr("shop.example"),
		Code: ptr("SPRING15"), AffiliateID: ptr("aff-1"),
		Evidence:   map[string]string{"site": "coupons.example", "first_seen": "2026-03-14"},
		OccurredAt: t0, DetectedAt: t0.Add(time.Minute),
	}
}

func sampleDeadLetter() schemas.DeadLetter {
	return schemas.DeadLetter{
		EventID: schemas.ID("heldsway.orders.v1", "0", "7"), Source: "heldsway.orders.v1", Stage: "process",
		Partition: ptr(int32(0)), Offset: ptr(int64(7)), Key: []byte("k"), Value: []byte{0xc3, 0x01, 0xff},
		Reason: "decoding: truncated", OccurredAt: t0,
	}
}

// sampleRecords has one populated record per table, in table order.
func sampleRecords() []any {
	return []any{
		sampleClick(), sampleOrder(1), sampleRefund(), sampleCode(1), sampleAttribution(1),
		sampleAdjustment(), sampleFlag(), sampleDeadLetter(),
	}
}
