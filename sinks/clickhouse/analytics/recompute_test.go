package analytics_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
)

// recompute derives the per-code figures for [from, to] directly from the
// raw tables, read with FINAL and aggregated in Go: an implementation
// independent of the rollup SQL, with the same documented semantics.
func recompute(t *testing.T, ctx context.Context, conn driver.Conn, from, to time.Time) map[string]*analytics.CodeStats {
	t.Helper()
	inRange := func(d time.Time) bool { return !d.Before(from) && !d.After(to) }
	dayOf := func(ts time.Time) time.Time {
		y, m, d := ts.UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	}
	out := map[string]*analytics.CodeStats{}
	stats := func(code, cur string) *analytics.CodeStats {
		k := code + "|" + cur
		if out[k] == nil {
			out[k] = &analytics.CodeStats{Code: code, Currency: cur}
		}
		return out[k]
	}
	each := func(q string, f func(driver.Rows) error) {
		rows, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := f(rows); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}

	type order struct {
		day                time.Time
		latestMS           int64
		latestID, currency string
		total, discount    int64
		subtotal           int64
		codes              []string
		amounts            []int64
	}
	orders := map[string]*order{}
	each(`SELECT platform, store_id, order_id, event_id, occurred_at, received_at_ms, currency, total, subtotal, discount, codes, code_amounts FROM orders FINAL`,
		func(r driver.Rows) error {
			var p, s, id, ev, cur string
			var at time.Time
			var ms, total, sub, disc int64
			var codes []string
			var amounts []int64
			if err := r.Scan(&p, &s, &id, &ev, &at, &ms, &cur, &total, &sub, &disc, &codes, &amounts); err != nil {
				return err
			}
			k := p + "/" + s + "/" + id
			o := orders[k]
			if o == nil {
				o = &order{day: dayOf(at), latestMS: -1}
				orders[k] = o
			}
			if d := dayOf(at); d.Before(o.day) {
				o.day = d
			}
			if ms > o.latestMS || (ms == o.latestMS && ev > o.latestID) {
				o.latestMS, o.latestID, o.currency, o.total, o.subtotal, o.discount, o.codes, o.amounts = ms, ev, cur, total, sub, disc, codes, amounts
			}
			return nil
		})
	type refundAgg struct {
		n      uint64
		amount int64
	}
	refunds := map[string]*refundAgg{}
	each(`SELECT platform, store_id, order_id, amount FROM refunds FINAL`, func(r driver.Rows) error {
		var p, s, id string
		var amount int64
		if err := r.Scan(&p, &s, &id, &amount); err != nil {
			return err
		}
		k := p + "/" + s + "/" + id
		if refunds[k] == nil {
			refunds[k] = &refundAgg{}
		}
		refunds[k].n++
		refunds[k].amount += amount
		return nil
	})
	for k, o := range orders {
		if !inRange(o.day) {
			continue
		}
		for i, code := range o.codes {
			s := stats(code, o.currency)
			s.Orders++
			s.Revenue += o.total
			net := max(0, o.subtotal-o.discount)
			s.Net += net
			if o.amounts[i] == 0 && len(o.codes) == 1 {
				s.Discount += o.discount
			} else {
				s.Discount += o.amounts[i]
			}
			if f := refunds[k]; f != nil {
				s.Refunds += f.n
				s.RefundedOrders++
				s.Refunded += min(f.amount, net) // capped at the order's net
			}
		}
	}

	type attribution struct {
		version                  uint64
		status, method, currency string
		code                     *string
		commission               int64
		shareCodes               []*string
		shareCommissions         []int64
	}
	atts := map[string]*attribution{}
	each(`SELECT platform, store_id, order_id, version, status, method, currency, code, commission, share_codes, share_commissions FROM attributions FINAL`,
		func(r driver.Rows) error {
			var p, s, id string
			a := &attribution{}
			if err := r.Scan(&p, &s, &id, &a.version, &a.status, &a.method, &a.currency, &a.code, &a.commission, &a.shareCodes, &a.shareCommissions); err != nil {
				return err
			}
			k := p + "/" + s + "/" + id
			if prev := atts[k]; prev == nil || a.version > prev.version {
				atts[k] = a
			}
			return nil
		})
	for k, a := range atts {
		o := orders[k]
		if o == nil || !inRange(o.day) || (a.status != "approved" && a.status != "pending_review") {
			continue
		}
		codes, amounts := []*string{a.code}, []int64{a.commission}
		if len(a.shareCodes) > 0 {
			codes, amounts = a.shareCodes, a.shareCommissions
		}
		for i, c := range codes {
			if c == nil || *c == "" {
				continue
			}
			s := stats(*c, a.currency)
			s.Attributed++
			switch a.method {
			case "code":
				s.AttributedCode++
			case "click":
				s.AttributedClick++
			case "split":
				s.AttributedSplit++
			}
			if a.status == "approved" {
				s.Commission += amounts[i]
			} else {
				s.CommissionPending += amounts[i]
			}
		}
	}
	each(`SELECT platform, store_id, order_id, code, currency, amount FROM adjustments FINAL`, func(r driver.Rows) error {
		var p, s, id, cur string
		var code *string
		var amount int64
		if err := r.Scan(&p, &s, &id, &code, &cur, &amount); err != nil {
			return err
		}
		o := orders[p+"/"+s+"/"+id]
		if code == nil || *code == "" || o == nil || !inRange(o.day) {
			return nil
		}
		st := stats(*code, cur)
		st.Adjustments += amount
		st.Commission += amount
		return nil
	})

	type clickAgg struct {
		clicks, bots uint64
		visitors     map[string]bool
	}
	clicks := map[string]*clickAgg{}
	each(`SELECT code, visitor_id, is_bot, occurred_at FROM clicks FINAL WHERE code IS NOT NULL`, func(r driver.Rows) error {
		var code *string
		var visitor string
		var bot uint8
		var at time.Time
		if err := r.Scan(&code, &visitor, &bot, &at); err != nil {
			return err
		}
		if *code == "" || !inRange(dayOf(at)) {
			return nil
		}
		c := clicks[*code]
		if c == nil {
			c = &clickAgg{visitors: map[string]bool{}}
			clicks[*code] = c
		}
		if bot == 1 {
			c.bots++
		} else {
			c.clicks++
			c.visitors[visitor] = true
		}
		return nil
	})
	type flagKey struct{ day, typ, code, aff, platform, store, order string }
	flagged := map[flagKey]bool{}
	leaks := map[string]uint64{}
	each(`SELECT type, ifNull(code, ''), ifNull(affiliate_id, ''), ifNull(platform, ''), ifNull(store_id, ''), ifNull(order_id, ''), occurred_at FROM flags FINAL`,
		func(r driver.Rows) error {
			var k flagKey
			var at time.Time
			if err := r.Scan(&k.typ, &k.code, &k.aff, &k.platform, &k.store, &k.order, &at); err != nil {
				return err
			}
			if k.code == "" || !inRange(dayOf(at)) {
				return nil
			}
			k.day = dayOf(at).Format(time.DateOnly)
			if k.typ == analytics.FlagCodeLeak {
				leaks[k.code]++
			}
			if k.order != "" {
				flagged[k] = true
			}
			return nil
		})

	codesOf := func(code string) []*analytics.CodeStats {
		var ss []*analytics.CodeStats
		for _, s := range out {
			if s.Code == code {
				ss = append(ss, s)
			}
		}
		if len(ss) == 0 {
			ss = append(ss, stats(code, ""))
		}
		return ss
	}
	for code, c := range clicks {
		for _, s := range codesOf(code) {
			s.Clicks, s.BotClicks, s.Visitors = c.clicks, c.bots, uint64(len(c.visitors))
		}
	}
	for code, n := range leaks {
		for _, s := range codesOf(code) {
			s.LeakFlags = n
		}
	}
	for k := range flagged {
		for _, s := range codesOf(k.code) {
			if s.FlaggedOrders == nil {
				s.FlaggedOrders = map[string]uint64{}
			}
			s.FlaggedOrders[k.typ]++
		}
	}
	return out
}

// base strips the fields recompute does not derive.
func base(s analytics.CodeStats) analytics.CodeStats {
	s.AffiliateID, s.NetRevenue, s.AOV, s.RefundRate, s.ConversionRate, s.RefundAmountRate = "", 0, 0, 0, 0, 0
	s.Leaked, s.LeakReasons = false, nil
	return s
}

// assertAgrees compares the rollup's per-code table with recompute's.
func assertAgrees(t *testing.T, got []analytics.CodeStats, want map[string]*analytics.CodeStats) {
	t.Helper()
	if len(got) != len(want) {
		var keys []string
		for k := range want {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Errorf("rollup has %d code/currency rows, raw recomputation %d (%v)", len(got), len(want), keys)
	}
	for _, g := range got {
		w := want[g.Code+"|"+g.Currency]
		if w == nil {
			t.Errorf("rollup row %s/%s not in the raw recomputation: %+v", g.Code, g.Currency, g)
			continue
		}
		if a, b := fmt.Sprintf("%+v", base(g)), fmt.Sprintf("%+v", base(*w)); a != b {
			t.Errorf("%s/%s:\nrollup %s\nraw    %s", g.Code, g.Currency, a, b)
		}
	}
}
