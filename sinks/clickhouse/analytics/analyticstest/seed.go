// Package analyticstest generates a deterministic affiliate dataset for
// tests of the rollups, the report and the dashboard: codes, clicks,
// orders (some with two events, some with two codes, in two currencies),
// refunds, attribution revisions, commission adjustments and fraud flags.
package analyticstest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/sinks/clickhouse"
)

// First is the dataset's first day; it spans Days days.
var First = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Days is how many days the dataset spans.
const Days = 14

// Codes are the dataset's codes and their affiliates. LEAKY is leaked:
// many redemptions, hardly any clicks, code_leak and code_without_click
// flags.
var Codes = map[string]string{
	"ANNA10": "aff-anna",
	"BOB20":  "aff-bob",
	"CLARA5": "aff-clara",
	"LEAKY":  "aff-leo",
}

// codeOrder fixes iteration order.
var codeOrder = []string{"ANNA10", "BOB20", "CLARA5", "LEAKY"}

// Dataset is the records in two waves: Initial, and Late, which arrives
// after a first rollup refresh: refunds and attribution revisions of
// earlier orders, an order event that moves an order to an earlier day,
// and more clicks.
type Dataset struct {
	Initial, Late []clickhouse.Row
}

// All returns Initial then Late.
func (d Dataset) All() []clickhouse.Row {
	return append(append([]clickhouse.Row(nil), d.Initial...), d.Late...)
}

func ptr[V any](v V) *V { return &v }

// New generates the dataset; the same seed gives the same records.
func New(seed uint64) Dataset {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var d Dataset
	offset := int64(0)
	add := func(late bool, rec any) {
		offset++
		row := clickhouse.Row{Record: rec, Partition: int32(offset % 3), Offset: offset}
		if late {
			d.Late = append(d.Late, row)
		} else {
			d.Initial = append(d.Initial, row)
		}
	}

	for i, c := range codeOrder {
		add(false, schemas.Code{
			EventID: schemas.ID(c, "1"), Code: c, DisplayCode: c, CouponID: "coupon-" + c,
			AffiliateID: Codes[c], DiscountType: "percent", DiscountValue: 1000, Status: "active",
			Version: 1, UpdatedAt: First.Add(-time.Duration(i+1) * time.Hour),
		})
	}

	type placed struct {
		o    schemas.Order
		code string
	}
	var orders []placed
	orderSeq := 0
	for day := range Days {
		base := First.AddDate(0, 0, day)
		for _, code := range codeOrder {
			// Clicks: LEAKY gets almost none.
			n := 8 + r.IntN(12)
			if code == "LEAKY" {
				n = r.IntN(2)
			}
			for k := range n {
				id := fmt.Sprintf("click-%s-%d-%d", code, day, k)
				bot := r.IntN(10) == 0
				add(false, schemas.Click{
					EventID: id, ClickID: id, VisitorID: fmt.Sprintf("v-%s-%d", code, r.IntN(40)),
					Code: ptr(code), AffiliateID: ptr(Codes[code]), IsBot: bot, Source: "redirect",
					OccurredAt: base.Add(time.Duration(r.IntN(86400)) * time.Second), ReceivedAt: base,
				})
			}
			// Orders.
			m := 1 + r.IntN(4)
			if code == "LEAKY" {
				m = 3 + r.IntN(4)
			}
			for range m {
				orderSeq++
				id := fmt.Sprintf("order-%d", orderSeq)
				cur, platform, store := "EUR", "shopify", "shop.example"
				if code == "BOB20" && orderSeq%3 == 0 {
					cur, platform, store = "USD", "stripe", "acct_1"
				}
				sub := int64(2000 + r.IntN(20000))
				disc := sub / 10
				codes := []schemas.AppliedCode{{Code: code, Amount: disc}}
				if code == "ANNA10" && orderSeq%4 == 0 {
					codes = append(codes, schemas.AppliedCode{Code: "FREESHIP", Amount: 0})
				}
				at := base.Add(time.Duration(3600+r.IntN(70000)) * time.Second)
				o := schemas.Order{
					EventID: schemas.ID(platform, store, id, "paid"), OrderID: id, Platform: platform, StoreID: store,
					SourceEvent: "paid", Currency: cur, Subtotal: sub, Discount: disc, Total: sub - disc,
					Codes: codes, Customer: schemas.Customer{Key: "c:" + id}, OccurredAt: at, ReceivedAt: at.Add(time.Second),
				}
				add(false, o)
				// Some orders also have a create event a little earlier,
				// across midnight for one in seven.
				if orderSeq%5 == 0 {
					c := o
					c.EventID, c.SourceEvent = schemas.ID(platform, store, id, "create"), "create"
					c.OccurredAt = at.Add(-10 * time.Minute)
					if orderSeq%7 == 0 {
						c.OccurredAt = base.Add(-5 * time.Minute) // the day before
					}
					c.ReceivedAt = c.OccurredAt.Add(time.Second)
					c.Total -= 100 // the paid event, received later, wins
					add(false, c)
				}
				orders = append(orders, placed{o: o, code: code})
			}
		}
	}

	for i, p := range orders {
		o := p.o
		method := "code"
		if i%6 == 0 {
			method = "click"
		}
		att := func(version int32, status string, commission int64, shares []schemas.Share) schemas.Attribution {
			return schemas.Attribution{
				EventID: schemas.ID(o.Platform, o.StoreID, o.OrderID, fmt.Sprint(version)),
				OrderID: o.OrderID, Platform: o.Platform, StoreID: o.StoreID, Version: version,
				Status: status, Rule: "coupon_priority", Method: method, AffiliateID: ptr(Codes[p.code]), Code: ptr(p.code),
				CustomerKey: o.Customer.Key, Currency: o.Currency, OrderTotal: o.Total, NetAmount: o.Subtotal - o.Discount,
				Commission: commission, Shares: shares, OrderOccurredAt: o.OccurredAt, DecidedAt: o.OccurredAt.Add(time.Second),
			}
		}
		commission := (o.Subtotal - o.Discount) / 10
		status := "approved"
		if p.code == "LEAKY" && i%2 == 0 {
			status = "pending_review"
		}
		var shares []schemas.Share
		if p.code == "CLARA5" && i%3 == 0 {
			method = "split"
			shares = []schemas.Share{
				{AffiliateID: Codes["CLARA5"], Code: ptr("CLARA5"), WeightBP: 7000, Commission: commission * 7 / 10},
				{AffiliateID: Codes["ANNA10"], Code: ptr("ANNA10"), WeightBP: 3000, Commission: commission - commission*7/10},
			}
		}
		add(false, att(1, status, commission, shares))
		// Revisions: one in five gets a second version, late for some.
		if i%5 == 1 {
			add(i%10 == 1, att(2, "approved", commission+50, shares))
		}
		if p.code == "LEAKY" && i%4 == 3 {
			add(true, att(3, "rejected", 0, nil))
		}
		// Refunds: one in eight, some partial twice, some late.
		if i%8 == 3 {
			late := i%16 == 3
			for k := range 1 + i%2 {
				rid := fmt.Sprintf("refund-%s-%d", o.OrderID, k)
				amount := o.Total / 2
				add(late, schemas.Refund{
					EventID: schemas.ID(o.Platform, o.StoreID, rid), RefundID: rid, OrderID: o.OrderID,
					Platform: o.Platform, StoreID: o.StoreID, Currency: o.Currency, Amount: amount, Total: o.Total,
					OccurredAt: o.OccurredAt.Add(48 * time.Hour), ReceivedAt: o.OccurredAt.Add(48 * time.Hour),
				})
				add(late, schemas.Adjustment{
					EventID: schemas.ID(o.OrderID, rid, Codes[p.code]), OrderID: o.OrderID, Platform: o.Platform,
					StoreID: o.StoreID, RefundID: ptr(rid), AffiliateID: Codes[p.code], Code: ptr(p.code),
					Amount: -commission / 2, Currency: o.Currency, Reason: "partial_refund", AttributionVersion: 1,
					OccurredAt: o.OccurredAt.Add(48 * time.Hour), DecidedAt: o.OccurredAt.Add(48 * time.Hour),
				})
			}
		}
		// Flags.
		if p.code == "LEAKY" && i%3 != 0 {
			add(false, schemas.Flag{
				EventID: schemas.ID(FlagNoClick, o.OrderID), Type: FlagNoClick, Severity: "review",
				OrderID: ptr(o.OrderID), Platform: ptr(o.Platform), StoreID: ptr(o.StoreID),
				Code: ptr(p.code), AffiliateID: ptr(Codes[p.code]), OccurredAt: o.OccurredAt, DetectedAt: o.OccurredAt,
			})
		}
		if p.code == "BOB20" && i%9 == 2 {
			add(false, schemas.Flag{
				EventID: schemas.ID("click_injection", o.OrderID), Type: "click_injection", Severity: "review",
				OrderID: ptr(o.OrderID), Platform: ptr(o.Platform), StoreID: ptr(o.StoreID),
				Code: ptr(p.code), AffiliateID: ptr(Codes[p.code]), OccurredAt: o.OccurredAt, DetectedAt: o.OccurredAt,
			})
		}
	}
	for _, day := range []int{4, 9, 12} {
		at := First.AddDate(0, 0, day).Add(15 * time.Hour)
		add(day == 12, schemas.Flag{
			EventID: schemas.ID("code_leak", "LEAKY", fmt.Sprint(day)), Type: "code_leak", Severity: "review",
			Code: ptr("LEAKY"), AffiliateID: ptr(Codes["LEAKY"]),
			Evidence: map[string]string{"site": "coupons.example"}, OccurredAt: at, DetectedAt: at,
		})
	}

	// Late: an early "create" event moves the first ANNA10 order one day
	// back, and more clicks arrive.
	for _, p := range orders {
		if p.code != "ANNA10" {
			continue
		}
		c := p.o
		c.EventID, c.SourceEvent = schemas.ID(c.Platform, c.StoreID, c.OrderID, "checkout"), "checkout"
		c.OccurredAt = c.OccurredAt.AddDate(0, 0, -1)
		c.ReceivedAt = c.OccurredAt
		add(true, c)
		break
	}
	for k := range 5 {
		id := fmt.Sprintf("click-late-%d", k)
		at := First.AddDate(0, 0, Days-1).Add(time.Duration(k) * time.Hour)
		add(true, schemas.Click{
			EventID: id, ClickID: id, VisitorID: fmt.Sprintf("v-late-%d", k), Code: ptr("BOB20"),
			Source: "redirect", OccurredAt: at, ReceivedAt: at,
		})
	}
	return d
}

// FlagNoClick is the code_without_click flag type.
const FlagNoClick = "code_without_click"

// Redeliver returns rows as a redelivered batch would bring them: the
// same records at new Kafka offsets.
func Redeliver(rows []clickhouse.Row) []clickhouse.Row {
	out := make([]clickhouse.Row, len(rows))
	for i, r := range rows {
		r.Offset += 1_000_000
		out[i] = r
	}
	return out
}
