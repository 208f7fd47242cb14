package analytics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Flag types the pipeline raises (schemas/avro/flag.avsc).
const (
	FlagCodeWithoutClick = "code_without_click"
	FlagClickInjection   = "click_injection"
	FlagCodeLeak         = "code_leak"
)

// Query selects the days and orders of a per-code table.
type Query struct {
	// From and To are the first and last day, inclusive (UTC dates; the
	// time of day is ignored). Required.
	From, To time.Time
	// Currency keeps only orders in this currency (ISO-4217). Default:
	// one row per code and currency.
	Currency string
	// Code keeps only this code. Default: every code.
	Code string
}

func (q Query) validate() error {
	if q.From.IsZero() || q.To.IsZero() {
		return fmt.Errorf("%w: a date range is required", ErrQuery)
	}
	if day(q.To).Before(day(q.From)) {
		return fmt.Errorf("%w: %s is before %s", ErrQuery, q.To.Format(time.DateOnly), q.From.Format(time.DateOnly))
	}
	return nil
}

// day truncates t to its UTC date.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// where renders the day range (and code) filter; args are bound in order.
func (q Query) where() (string, []any) {
	w := "day >= toDate(?) AND day <= toDate(?)"
	args := []any{day(q.From).Format(time.DateOnly), day(q.To).Format(time.DateOnly)}
	if q.Code != "" {
		w += " AND code = ?"
		args = append(args, q.Code)
	}
	return w, args
}

// CodeStats are one code's figures over a date range, in one currency.
// Money is in minor units of Currency. Counts other than clicks and
// visitors are of this currency's orders; clicks and visitors are the
// code's, whatever currency its orders were in.
type CodeStats struct {
	Code        string `json:"code"`
	AffiliateID string `json:"affiliate_id"`
	Currency    string `json:"currency"`

	Clicks    uint64 `json:"clicks"`     // human clicks on the code's links
	BotClicks uint64 `json:"bot_clicks"` // clicks classified as bots
	Visitors  uint64 `json:"visitors"`   // distinct visitors among the human clicks

	Orders         uint64  `json:"orders"`          // redemptions: orders the code was applied to
	Revenue        int64   `json:"revenue"`         // sum of those orders' totals
	NetRevenue     int64   `json:"net_revenue"`     // Revenue less refunded amounts
	AOV            int64   `json:"aov"`             // Revenue / Orders
	Discount       int64   `json:"discount"`        // discount the code gave
	Net            int64   `json:"net"`             // net sales of those orders: subtotal - discount
	Refunds        uint64  `json:"refunds"`         // refund events on those orders
	RefundedOrders uint64  `json:"refunded_orders"` // orders with at least one refund
	Refunded       int64   `json:"refunded"`        // net amount refunded, at most each order's net
	RefundRate     float64 `json:"refund_rate"`     // RefundedOrders / Orders
	// RefundAmountRate is Refunded / Net: a refund of 35 of an order of
	// 75 is 46.7%, where RefundRate counts the order as refunded.
	RefundAmountRate float64 `json:"refund_amount_rate"`
	ConversionRate   float64 `json:"conversion_rate"` // all the code's orders / Clicks; 0 without clicks
	// Attributed counts the orders credited to the code's affiliate
	// through the code or through a click on the code's link (approved
	// or pending), whether or not the code was applied: by the code
	// itself, by a click on its link, or as a split share.
	Attributed      uint64 `json:"attributed"`
	AttributedCode  uint64 `json:"attributed_code"`
	AttributedClick uint64 `json:"attributed_click"`
	AttributedSplit uint64 `json:"attributed_split"`
	// Commission is the approved commission credited to the code (latest
	// attribution of each order) plus adjustments such as refund
	// reversals; CommissionPending awaits review.
	Commission        int64 `json:"commission"`
	CommissionPending int64 `json:"commission_pending"`
	Adjustments       int64 `json:"adjustments"`

	// FlaggedOrders counts flagged orders by fraud type; LeakFlags counts
	// code_leak flags on the code.
	FlaggedOrders map[string]uint64 `json:"flagged_orders"`
	LeakFlags     uint64            `json:"leak_flags"`

	// Leaked is set when the code looks leaked: a code_leak flag, most
	// orders flagged as redeemed without a click, or more redemptions than
	// clicks. LeakReasons says which.
	Leaked      bool     `json:"leaked"`
	LeakReasons []string `json:"leak_reasons,omitempty"`
}

// Leak heuristics.
const (
	// leakMinOrders is the fewest orders the ratio heuristics judge.
	leakMinOrders = 5
	// leakNoClickShare is the share of orders flagged code_without_click
	// above which a code looks leaked.
	leakNoClickShare = 0.5
)

// Codes returns the per-code table for q: one row per code and currency
// (codes with clicks but no orders get one row without currency), in code
// order.
func (c *Client) Codes(ctx context.Context, q Query) ([]CodeStats, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	conn, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	where, args := q.where()

	type key struct{ code, currency string }
	byKey := map[key]*CodeStats{}
	ordersByCode := map[string]uint64{}
	cur := ""
	if q.Currency != "" {
		cur = " AND currency = ?"
	}
	oargs := args
	if q.Currency != "" {
		oargs = append(slices.Clone(args), strings.ToUpper(q.Currency))
	}
	rows, err := conn.Query(ctx, `SELECT code, currency, sum(orders), sum(revenue), sum(discount), sum(net),
		sum(refunds), sum(refunded_orders), sum(refunded), sum(attributed), sum(attributed_code),
		sum(attributed_click), sum(attributed_split), sum(commission), sum(commission_pending), sum(adjustments)
		FROM code_orders_daily WHERE `+where+cur+` GROUP BY code, currency`, oargs...)
	if err != nil {
		return nil, fmt.Errorf("querying code_orders_daily: %w", err)
	}
	for rows.Next() {
		s := &CodeStats{}
		if err := rows.Scan(&s.Code, &s.Currency, &s.Orders, &s.Revenue, &s.Discount, &s.Net, &s.Refunds,
			&s.RefundedOrders, &s.Refunded, &s.Attributed, &s.AttributedCode, &s.AttributedClick,
			&s.AttributedSplit, &s.Commission, &s.CommissionPending, &s.Adjustments); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading code_orders_daily: %w", err)
		}
		s.Commission += s.Adjustments
		byKey[key{s.Code, s.Currency}] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading code_orders_daily: %w", err)
	}
	// Conversion counts the code's orders in every currency.
	if q.Currency != "" {
		if err := scanAll(ctx, conn, `SELECT code, sum(orders) FROM code_orders_daily WHERE `+where+` GROUP BY code`, args,
			func(r rowScanner) error {
				var code string
				var n uint64
				if err := r.Scan(&code, &n); err != nil {
					return err
				}
				ordersByCode[code] = n
				return nil
			}); err != nil {
			return nil, fmt.Errorf("querying code_orders_daily: %w", err)
		}
	} else {
		for k, s := range byKey {
			ordersByCode[k.code] += s.Orders
		}
	}

	// statsFor returns the code's rows, making one without currency for a
	// code that has none (clicks or flags but no orders).
	statsFor := func(code string) []*CodeStats {
		var out []*CodeStats
		for k, s := range byKey {
			if k.code == code {
				out = append(out, s)
			}
		}
		if len(out) == 0 && q.Currency == "" {
			s := &CodeStats{Code: code}
			byKey[key{code, ""}] = s
			out = append(out, s)
		}
		return out
	}

	err = scanAll(ctx, conn, `SELECT code, sum(clicks), sum(bot_clicks), uniqExactIfMerge(visitors)
		FROM code_clicks_daily WHERE `+where+` GROUP BY code`, args, func(r rowScanner) error {
		var code string
		var clicks, bots, visitors uint64
		if err := r.Scan(&code, &clicks, &bots, &visitors); err != nil {
			return err
		}
		for _, s := range statsFor(code) {
			s.Clicks, s.BotClicks, s.Visitors = clicks, bots, visitors
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("querying code_clicks_daily: %w", err)
	}

	// Flags on orders count for the order's currency only when the flag
	// names a platform we can tie to; simpler and as useful: they count on
	// every currency row of the code, like clicks.
	err = scanAll(ctx, conn, `SELECT code, type, sum(flags), sum(flagged_orders)
		FROM code_flags_daily WHERE code != '' AND `+where+` GROUP BY code, type`, args, func(r rowScanner) error {
		var code, typ string
		var flags, orders uint64
		if err := r.Scan(&code, &typ, &flags, &orders); err != nil {
			return err
		}
		for _, s := range statsFor(code) {
			if typ == FlagCodeLeak {
				s.LeakFlags += flags
			}
			if orders > 0 {
				if s.FlaggedOrders == nil {
					s.FlaggedOrders = map[string]uint64{}
				}
				s.FlaggedOrders[typ] += orders
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("querying code_flags_daily: %w", err)
	}

	owners := map[string]string{}
	err = scanAll(ctx, conn, `SELECT code, argMax(affiliate_id, version) FROM codes GROUP BY code`, nil, func(r rowScanner) error {
		var code, aff string
		if err := r.Scan(&code, &aff); err != nil {
			return err
		}
		owners[code] = aff
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("querying codes: %w", err)
	}

	out := make([]CodeStats, 0, len(byKey))
	for _, s := range byKey {
		s.AffiliateID = owners[s.Code]
		s.derive(ordersByCode[s.Code])
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b CodeStats) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Currency, b.Currency)
	})
	return out, nil
}

// derive fills the ratios and the leak verdict; allOrders is the code's
// orders in every currency.
func (s *CodeStats) derive(allOrders uint64) {
	s.NetRevenue = s.Revenue - s.Refunded
	if s.Orders > 0 {
		s.AOV = s.Revenue / int64(s.Orders)
		s.RefundRate = float64(s.RefundedOrders) / float64(s.Orders)
	}
	if s.Net > 0 {
		s.RefundAmountRate = float64(s.Refunded) / float64(s.Net)
	}
	if s.Clicks > 0 {
		s.ConversionRate = float64(allOrders) / float64(s.Clicks)
	}
	s.LeakReasons = nil
	if s.LeakFlags > 0 {
		s.LeakReasons = append(s.LeakReasons, fmt.Sprintf("%d code_leak flag(s)", s.LeakFlags))
	}
	if allOrders >= leakMinOrders {
		if nc := s.FlaggedOrders[FlagCodeWithoutClick]; float64(nc) > leakNoClickShare*float64(s.Orders) && s.Orders > 0 {
			s.LeakReasons = append(s.LeakReasons, fmt.Sprintf("%.0f%% of orders without a click", 100*float64(nc)/float64(s.Orders)))
		}
		// Codes nobody links to (podcasts, print) have no clicks at all;
		// only a code with links that is redeemed more than clicked is odd.
		if s.Clicks > 0 && allOrders > s.Clicks {
			s.LeakReasons = append(s.LeakReasons, fmt.Sprintf("%d orders from %d clicks", allOrders, s.Clicks))
		}
	}
	s.Leaked = len(s.LeakReasons) > 0
}

// DayStats are one day's figures for a code, or for all codes.
type DayStats struct {
	Day             string `json:"day"` // YYYY-MM-DD
	Clicks          uint64 `json:"clicks"`
	Orders          uint64 `json:"orders"` // redemptions
	Attributed      uint64 `json:"attributed"`
	AttributedCode  uint64 `json:"attributed_code"`
	AttributedClick uint64 `json:"attributed_click"`
	AttributedSplit uint64 `json:"attributed_split"`
	Refunds         uint64 `json:"refunds"`
	LeakFlags       uint64 `json:"leak_flags"`     // code_leak flags raised that day
	FlaggedOrders   uint64 `json:"flagged_orders"` // orders flagged (any type) that day
}

// Daily returns q's figures per day, one entry for every day of the range
// (zero where nothing happened). q.Currency narrows the order counts.
func (c *Client) Daily(ctx context.Context, q Query) ([]DayStats, error) {
	if err := q.validate(); err != nil {
		return nil, err
	}
	from, to := day(q.From), day(q.To)
	if to.Sub(from) > maxDailyDays*24*time.Hour {
		return nil, fmt.Errorf("%w: at most %d days per series", ErrQuery, maxDailyDays)
	}
	conn, err := c.conn(ctx)
	if err != nil {
		return nil, err
	}
	var out []DayStats
	idx := map[string]*DayStats{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		out = append(out, DayStats{Day: d.Format(time.DateOnly)})
	}
	for i := range out {
		idx[out[i].Day] = &out[i]
	}
	where, args := q.where()
	cur, oargs := "", args
	if q.Currency != "" {
		cur = " AND currency = ?"
		oargs = append(slices.Clone(args), strings.ToUpper(q.Currency))
	}
	err = scanAll(ctx, conn, `SELECT toString(day), sum(orders), sum(attributed), sum(attributed_code),
		sum(attributed_click), sum(attributed_split), sum(refunds)
		FROM code_orders_daily WHERE `+where+cur+` GROUP BY day`, oargs, func(r rowScanner) error {
		var d string
		var s DayStats
		if err := r.Scan(&d, &s.Orders, &s.Attributed, &s.AttributedCode, &s.AttributedClick, &s.AttributedSplit, &s.Refunds); err != nil {
			return err
		}
		if p := idx[d]; p != nil {
			s.Day, s.Clicks, s.LeakFlags, s.FlaggedOrders = d, p.Clicks, p.LeakFlags, p.FlaggedOrders
			*p = s
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("querying code_orders_daily: %w", err)
	}
	err = scanAll(ctx, conn, `SELECT toString(day), sum(clicks) FROM code_clicks_daily WHERE `+where+` GROUP BY day`, args,
		func(r rowScanner) error {
			var d string
			var n uint64
			if err := r.Scan(&d, &n); err != nil {
				return err
			}
			if p := idx[d]; p != nil {
				p.Clicks = n
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("querying code_clicks_daily: %w", err)
	}
	err = scanAll(ctx, conn, `SELECT toString(day), sumIf(flags, type = ?), sum(flagged_orders)
		FROM code_flags_daily WHERE code != '' AND `+where+` GROUP BY day`, append([]any{FlagCodeLeak}, args...),
		func(r rowScanner) error {
			var d string
			var leaks, flagged uint64
			if err := r.Scan(&d, &leaks, &flagged); err != nil {
				return err
			}
			if p := idx[d]; p != nil {
				p.LeakFlags, p.FlaggedOrders = leaks, flagged
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("querying code_flags_daily: %w", err)
	}
	return out, nil
}

// maxDailyDays bounds a daily series.
const maxDailyDays = 3660

type rowScanner interface{ Scan(dest ...any) error }

// scanAll runs query and calls f for each row.
func scanAll(ctx context.Context, conn driver.Conn, query string, args []any, f func(rowScanner) error) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
