package schemas

import "time"

func ptr[T any](v T) *T { return &v }

var (
	t0 = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC)
	t1 = t0.Add(1500 * time.Millisecond)
)

// Records with every optional field set.

func fullClick() *Click {
	return &Click{
		EventID: "ev-click-1", ClickID: "clk_1", VisitorID: "vis_1",
		Code: ptr("SUMMER10"), AffiliateID: ptr("aff_1"), DestinationID: ptr("dst_1"),
		LandingURL: ptr("https://shop.example/p/1?hs=clk_1"), Referrer: ptr("https://blog.example/"),
		PageType: ptr("product"), IPHash: ptr("ab12"), UserAgent: ptr("Mozilla/5.0"),
		IsBot: true, BotReason: ptr("headless"), Source: "redirect",
		OccurredAt: t0, ReceivedAt: t1,
	}
}

func fullOrder() *Order {
	return &Order{
		EventID: "ev-order-1", OrderID: "1001", Platform: "shopify", StoreID: "shop.example",
		SourceEvent: "orders/paid", Currency: "EUR",
		Subtotal: 10000, Discount: 1000, Shipping: 495, Tax: 1710, Total: 11205,
		Codes: []AppliedCode{
			{Code: "SUMMER10", Amount: 1000, RemoteID: ptr("promo_1")},
			{Code: "FREESHIP", Amount: 0},
		},
		Customer: Customer{
			Key: "vis_1", VisitorID: ptr("vis_1"), ClickID: ptr("clk_1"), EmailHash: ptr("e3b0"),
			CustomerID: ptr("cus_1"), FirstOrder: ptr(true),
		},
		Subscription:  &Subscription{ID: "sub_1", Cycle: 2, StartedAt: ptr(t0.AddDate(0, -1, 0))},
		LandingURL:    ptr("https://shop.example/?hs=clk_1"),
		CodeAppliedAt: ptr(t0.Add(-time.Minute)),
		OccurredAt:    t0, ReceivedAt: t1,
	}
}

func fullRefund() *Refund {
	return &Refund{
		EventID: "ev-refund-1", RefundID: "r1", OrderID: "1001", Platform: "shopify", StoreID: "shop.example",
		Currency: "EUR", Amount: 9000, Total: 11205, Full: true, Reason: ptr("damaged"), CustomerKey: ptr("vis_1"),
		OccurredAt: t0, ReceivedAt: t1,
	}
}

func fullCode() *Code {
	return &Code{
		EventID: "ev-code-1", Code: "SUMMER10", DisplayCode: "summer10", CouponID: "cpn_1", AffiliateID: "aff_1",
		AffiliateName: ptr("Ann"), DiscountType: "percent", DiscountValue: 1000, Currency: ptr("EUR"),
		Status: "active", ValidFrom: ptr(t0), ValidUntil: ptr(t0.AddDate(0, 1, 0)), MaxUses: ptr(int64(500)),
		OncePerCustomer: true, MinOrder: ptr(int64(2000)), FirstOrderOnly: true,
		AllowedAffiliates: []string{"aff_1", "aff_2"}, RequiresClick: true,
		Commission: &CommissionRule{Type: "percent", Value: 1500, Currency: ptr("EUR"), RecurringMonths: 12},
		Platforms: []PlatformSync{
			{Platform: "shopify", StoreID: "shop.example", RemoteID: ptr("gid://1"), Status: "synced", LastError: ptr("none"), SyncedAt: ptr(t1)},
			{Platform: "stripe", StoreID: "acct_1", Status: "pending"},
		},
		Version: 7, UpdatedAt: t1,
	}
}

func fullAttribution() *Attribution {
	return &Attribution{
		EventID: "ev-attr-1", OrderID: "1001", Platform: "shopify", StoreID: "shop.example", Version: 2,
		Status: "approved", Rule: "split", Method: "split", AffiliateID: ptr("aff_1"), Code: ptr("SUMMER10"),
		ClickID: ptr("clk_1"), CustomerKey: "vis_1", Currency: "EUR", OrderTotal: 11205, NetAmount: 9000,
		Commission: 1350, Reasons: []string{"code_applied", "click_in_window"},
		Shares: []Share{
			{AffiliateID: "aff_1", Code: ptr("SUMMER10"), ClickID: ptr("clk_1"), WeightBP: 6000, Commission: 810},
			{AffiliateID: "aff_2", WeightBP: 4000, Commission: 540},
		},
		Touches: []Touch{
			{Kind: "code", AffiliateID: ptr("aff_1"), Code: ptr("SUMMER10"), At: t0, Qualified: true, Won: true, Reason: ptr("coupon_priority")},
			{Kind: "click", ClickID: ptr("clk_2"), At: t0.Add(-time.Hour)},
		},
		OrderOccurredAt: t0, DecidedAt: t1,
	}
}

func fullAdjustment() *Adjustment {
	return &Adjustment{
		EventID: "ev-adj-1", OrderID: "1001", Platform: "shopify", StoreID: "shop.example", RefundID: ptr("r1"),
		AffiliateID: "aff_1", Code: ptr("SUMMER10"), Amount: -810, Currency: "EUR", Reason: "refund",
		AttributionVersion: 2, OccurredAt: t0, DecidedAt: t1,
	}
}

func fullFlag() *Flag {
	return &Flag{
		EventID: "ev-flag-1", Type: "code_without_click", Severity: "review", OrderID: ptr("1001"),
		Platform: ptr("shopify"), StoreID: ptr("shop.example"), Code: ptr("SUMMER10"), AffiliateID: ptr("aff_1"),
		Evidence: map[string]string{"clicks_in_window": "0", "window": "720h"}, OccurredAt: t0, DetectedAt: t1,
	}
}

func fullDeadLetter() *DeadLetter {
	return &DeadLetter{
		EventID: "ev-dl-1", Source: "heldsway.orders.v1", Stage: "process", Partition: ptr(int32(3)),
		Offset: ptr(int64(123456789)), Key: []byte("vis_1"), Value: []byte{0xC3, 0x01, 0xff}, Reason: "decoding order: truncated",
		OccurredAt: t0,
	}
}

// allFull returns one fully populated record of every type.
func allFull() []any {
	return []any{fullClick(), fullOrder(), fullRefund(), fullCode(), fullAttribution(), fullAdjustment(), fullFlag(), fullDeadLetter()}
}

// allEmpty returns the zero record of every type.
func allEmpty() []any {
	return []any{&Click{}, &Order{}, &Refund{}, &Code{}, &Attribution{}, &Adjustment{}, &Flag{}, &DeadLetter{}}
}
