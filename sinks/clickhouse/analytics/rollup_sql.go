package analytics

import (
	"fmt"
	"strings"
	"time"
)

// The refresh SQL. Every statement must run on ClickHouse 18.16: no CTEs,
// no window functions, JOIN ... USING, and no alias that shadows a column
// (18.16 substitutes aliases into WHERE). Raw duplicates are removed by
// grouping on event_id (or, for attributions, taking the latest version
// per order), never by FINAL, which is slower and not needed here.

// dayList renders days as a list of Date literals for IN (...).
func dayList(days []time.Time) string {
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = "toDate('" + d.UTC().Format(time.DateOnly) + "')"
	}
	return strings.Join(parts, ", ")
}

// ordKeysSQL selects the keys of orders with an event on one of the days:
// a superset of the orders whose day (earliest event) is one of them.
func ordKeysSQL(dl string) string {
	return `SELECT platform, store_id, order_id FROM orders WHERE toDate(occurred_at) IN (` + dl + `)`
}

// ordSQL selects one row per order whose day is one of the days, with the
// figures of its latest event (by received_at_ms, then event_id).
func ordSQL(dl string) string {
	latest := func(col string) string { return "argMax(" + col + ", (received_at_ms, event_id))" }
	return `SELECT platform, store_id, order_id,
    toDate(min(occurred_at)) AS day,
    ` + latest("currency") + ` AS o_currency,
    ` + latest("total") + ` AS o_total,
    ` + latest("subtotal") + ` AS o_subtotal,
    ` + latest("discount") + ` AS o_discount,
    ` + latest("codes") + ` AS o_codes,
    ` + latest("code_amounts") + ` AS o_code_amounts
  FROM orders
  WHERE (platform, store_id, order_id) IN (` + ordKeysSQL(dl) + `)
  GROUP BY platform, store_id, order_id
  HAVING day IN (` + dl + `)`
}

// ordDaysSQL selects (platform, store_id, order_id, day) of those orders.
func ordDaysSQL(dl string) string {
	return `SELECT platform, store_id, order_id, day FROM (` + ordSQL(dl) + `)`
}

// orderColumns are rollup_code_orders' figures, in insert order, with the
// zero each part of the union uses for the figures it does not provide.
var orderColumns = []struct{ name, zero string }{
	{"orders", "toUInt64(0)"},
	{"revenue", "toInt64(0)"},
	{"discount", "toInt64(0)"},
	{"net", "toInt64(0)"},
	{"refunds", "toUInt64(0)"},
	{"refunded_orders", "toUInt64(0)"},
	{"refunded", "toInt64(0)"},
	{"attributed", "toUInt64(0)"},
	{"attributed_code", "toUInt64(0)"},
	{"attributed_click", "toUInt64(0)"},
	{"attributed_split", "toUInt64(0)"},
	{"commission", "toInt64(0)"},
	{"commission_pending", "toInt64(0)"},
	{"adjustments", "toInt64(0)"},
}

// orderPart renders one SELECT of the union: the key expressions, then a
// value per figure (given ones cast to the column type, others zero).
func orderPart(keys [5]string, given map[string]string, from string) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(keys[:], ", "))
	for _, c := range orderColumns {
		b.WriteString(", ")
		if v, ok := given[c.name]; ok {
			typ := "toInt64"
			if strings.HasPrefix(c.zero, "toUInt64") {
				typ = "toUInt64"
			}
			fmt.Fprintf(&b, "%s(%s)", typ, v)
		} else {
			b.WriteString(c.zero)
		}
		b.WriteString(" AS r_" + c.name)
	}
	b.WriteString("\n FROM " + from)
	return b.String()
}

// refreshOrdersSQL recomputes rollup_code_orders for the days.
func refreshOrdersSQL(days []time.Time, version uint64) string {
	dl := dayList(days)
	keys := [5]string{"day AS r_day", "r_code", "platform AS r_platform", "store_id AS r_store", "r_currency"}

	// Redemptions: each code applied to an order, with the order's refunds.
	refunds := `SELECT f_platform AS platform, f_store AS store_id, f_order AS order_id, count() AS f_refunds, sum(f_amount) AS f_refunded
  FROM (SELECT event_id, any(platform) AS f_platform, any(store_id) AS f_store, any(order_id) AS f_order, any(amount) AS f_amount
        FROM refunds WHERE (platform, store_id, order_id) IN (` + ordKeysSQL(dl) + `)
        GROUP BY event_id)
  GROUP BY f_platform, f_store, f_order`
	redeemed := `(SELECT platform, store_id, order_id, day, o_currency, o_total, o_subtotal, o_discount, o_codes, r_code, r_code_amount
    FROM (` + ordSQL(dl) + `)
    ARRAY JOIN o_codes AS r_code, o_code_amounts AS r_code_amount)
  ANY LEFT JOIN (` + refunds + `) USING (platform, store_id, order_id)`
	k := keys
	k[4] = "o_currency AS r_currency"
	p1 := orderPart(k, map[string]string{
		"orders":          "1",
		"revenue":         "o_total",
		"discount":        "if(r_code_amount = 0 AND length(o_codes) = 1, o_discount, r_code_amount)",
		"net":             "greatest(0, o_subtotal - o_discount)",
		"refunds":         "f_refunds",
		"refunded_orders": "f_refunds > 0",
		// Refunds beyond the order's net amount are capped, as the
		// commission reversals are.
		"refunded": "least(f_refunded, greatest(0, o_subtotal - o_discount))",
	}, redeemed)

	// Attributions: the latest version per order, credited per code (per
	// share for split credit), while approved or pending review.
	attributed := `(SELECT platform, store_id, order_id, a_status, a_method, a_currency, assumeNotNull(a_c) AS r_code, a_cc
    FROM (SELECT platform, store_id, order_id,
            argMax(status, version) AS a_status, argMax(method, version) AS a_method,
            argMax(currency, version) AS a_currency, argMax(code, version) AS a_code,
            argMax(commission, version) AS a_commission,
            argMax(share_codes, version) AS a_share_codes, argMax(share_commissions, version) AS a_share_commissions
          FROM attributions WHERE (platform, store_id, order_id) IN (` + ordKeysSQL(dl) + `)
          GROUP BY platform, store_id, order_id)
    ARRAY JOIN if(length(a_share_codes) > 0, a_share_codes, [a_code]) AS a_c,
               if(length(a_share_codes) > 0, a_share_commissions, [a_commission]) AS a_cc
    WHERE ifNull(a_c, '') != '' AND a_status IN ('approved', 'pending_review'))
  ANY INNER JOIN (` + ordDaysSQL(dl) + `) USING (platform, store_id, order_id)`
	k = keys
	k[4] = "a_currency AS r_currency"
	p2 := orderPart(k, map[string]string{
		"attributed":         "1",
		"attributed_code":    "a_method = 'code'",
		"attributed_click":   "a_method = 'click'",
		"attributed_split":   "a_method = 'split'",
		"commission":         "if(a_status = 'approved', a_cc, 0)",
		"commission_pending": "if(a_status = 'pending_review', a_cc, 0)",
	}, attributed)

	// Commission adjustments (refund reversals, revisions) by code.
	adjusted := `(SELECT j_platform AS platform, j_store AS store_id, j_order AS order_id, r_code, j_currency, j_amount
    FROM (SELECT event_id, any(platform) AS j_platform, any(store_id) AS j_store, any(order_id) AS j_order,
            any(assumeNotNull(code)) AS r_code, any(currency) AS j_currency, any(amount) AS j_amount
          FROM adjustments
          WHERE (platform, store_id, order_id) IN (` + ordKeysSQL(dl) + `) AND ifNull(code, '') != ''
          GROUP BY event_id))
  ANY INNER JOIN (` + ordDaysSQL(dl) + `) USING (platform, store_id, order_id)`
	k = keys
	k[4] = "j_currency AS r_currency"
	p3 := orderPart(k, map[string]string{"adjustments": "j_amount"}, adjusted)

	var sums []string
	for _, c := range orderColumns {
		sums = append(sums, "sum(r_"+c.name+")")
	}
	var cols []string
	for _, c := range orderColumns {
		cols = append(cols, c.name)
	}
	return fmt.Sprintf(`INSERT INTO rollup_code_orders (day, code, platform, store_id, currency, %s, version)
SELECT r_day, r_code, r_platform, r_store, r_currency, %s, toUInt64(%d)
FROM (
%s
UNION ALL
%s
UNION ALL
%s
)
GROUP BY r_day, r_code, r_platform, r_store, r_currency`,
		strings.Join(cols, ", "), strings.Join(sums, ", "), version, p1, p2, p3)
}

// refreshClicksSQL recomputes rollup_code_clicks for the days.
func refreshClicksSQL(days []time.Time, version uint64) string {
	dl := dayList(days)
	return fmt.Sprintf(`INSERT INTO rollup_code_clicks (day, code, clicks, bot_clicks, visitors, version)
SELECT c_day, c_code, toUInt64(sum(1 - c_bot)), toUInt64(sum(c_bot)), uniqExactIfState(c_visitor, c_bot = 0), toUInt64(%d)
FROM (SELECT event_id, any(toDate(occurred_at)) AS c_day, any(assumeNotNull(code)) AS c_code,
        any(visitor_id) AS c_visitor, any(is_bot) AS c_bot
      FROM clicks
      WHERE toDate(occurred_at) IN (%s) AND ifNull(code, '') != ''
      GROUP BY event_id)
GROUP BY c_day, c_code`, version, dl)
}

// refreshFlagsSQL recomputes rollup_code_flags for the days.
func refreshFlagsSQL(days []time.Time, version uint64) string {
	dl := dayList(days)
	return fmt.Sprintf(`INSERT INTO rollup_code_flags (day, type, code, affiliate_id, platform, store_id, flags, flagged_orders, version)
SELECT g_day, g_type, g_code, g_affiliate, g_platform, g_store, count(), uniqExactIf(g_order, g_order != ''), toUInt64(%d)
FROM (SELECT event_id, any(toDate(occurred_at)) AS g_day, any(type) AS g_type,
        any(ifNull(code, '')) AS g_code, any(ifNull(affiliate_id, '')) AS g_affiliate,
        any(ifNull(platform, '')) AS g_platform, any(ifNull(store_id, '')) AS g_store,
        any(ifNull(order_id, '')) AS g_order
      FROM flags
      WHERE toDate(occurred_at) IN (%s)
      GROUP BY event_id)
GROUP BY g_day, g_type, g_code, g_affiliate, g_platform, g_store`, version, dl)
}

// sentinelSQL writes one empty row per day into each rollup, so every day
// of the refresh carries its version even where no key remains.
func sentinelSQL(days []time.Time, version uint64) []string {
	dl := dayList(days)
	return []string{
		fmt.Sprintf(`INSERT INTO rollup_code_orders (day, code, version) SELECT arrayJoin([%s]), '', toUInt64(%d)`, dl, version),
		fmt.Sprintf(`INSERT INTO rollup_code_clicks (day, code, version) SELECT arrayJoin([%s]), '', toUInt64(%d)`, dl, version),
		fmt.Sprintf(`INSERT INTO rollup_code_flags (day, type, version) SELECT arrayJoin([%s]), '', toUInt64(%d)`, dl, version),
	}
}

// touchedDaysSQL selects the days whose rollups raw rows inserted at or
// after the watermark (a DateTime) may have changed: every event day of
// an order with any new order, attribution, refund or adjustment row (an
// order's day is its earliest event, which may have moved), and the days
// of new clicks and flags.
const touchedDaysSQL = `SELECT DISTINCT t_day FROM (
  SELECT toDate(occurred_at) AS t_day FROM orders WHERE (platform, store_id, order_id) IN (
    SELECT platform, store_id, order_id FROM orders WHERE inserted_at >= toDateTime(?)
    UNION ALL SELECT platform, store_id, order_id FROM attributions WHERE inserted_at >= toDateTime(?)
    UNION ALL SELECT platform, store_id, order_id FROM refunds WHERE inserted_at >= toDateTime(?)
    UNION ALL SELECT platform, store_id, order_id FROM adjustments WHERE inserted_at >= toDateTime(?))
  UNION ALL SELECT toDate(occurred_at) AS t_day FROM clicks WHERE inserted_at >= toDateTime(?)
  UNION ALL SELECT toDate(occurred_at) AS t_day FROM flags WHERE inserted_at >= toDateTime(?)
) ORDER BY t_day`
