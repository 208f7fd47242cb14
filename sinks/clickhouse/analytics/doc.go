// Package analytics answers per-code questions over the ClickHouse tables
// the sink loads: clicks, unique visitors, redemptions, conversion,
// revenue and net revenue, AOV, discount, commission, refunds and fraud
// flags, per code and day, from pre-aggregated daily rollups.
//
// # Types
//
//   - Client connects (lazily, applying the migrations) and offers
//     Refresh, RunRefresher (StartRefresher in the background), Codes
//     (the per-code table for a date range), Daily (a per-day series for
//     one code or all) and Report (what heldsway report prints, as its
//     ReportConfig says).
//   - CodeStats and DayStats are the figures; Sort, WriteTable, WriteCSV
//     and WriteJSON present them (heldsway report, the dashboard).
//
// # Rollups and why they are duplicate-proof
//
// The rollup tables (migrations/0002_code_rollups.sql) are never
// incremented. A refresh finds the days touched by raw rows inserted since
// the previous refresh (less DefaultMargin): every event day of an order
// with a new order, attribution, refund or adjustment row, and the days of
// new clicks and flags. For those days it recomputes absolute totals from
// the raw tables, deduplicated on the fly (one row per event_id; the
// latest attribution version per order), and inserts them under a new,
// larger version; plus one sentinel row per day. Readers use the views
// code_orders_daily, code_clicks_daily and code_flags_daily, which keep
// only each day's latest version. So a redelivered raw row (the sink is
// at-least-once), a refresh repeated after a failure, or two refreshers
// racing all produce the same figures: the recomputation is a function of
// the set of distinct raw events, not of how often they arrived. A
// materialised view into a SummingMergeTree would instead add a
// redelivered row twice.
//
// # Semantics
//
//   - An order's day is the UTC date of its earliest event; its figures
//     are those of its latest event (by received_at). Its attribution,
//     refunds and commission adjustments count on that day, so the refund
//     rate is the share of a period's orders refunded so far.
//   - Redemptions are per code applied: an order with two codes counts for
//     both. Discount is the code's amount (the order's discount when it is
//     the only code and the platform gave no amount).
//   - Refunded is each order's refunds, at most its net (subtotal -
//     discount), as commission reversals are capped; the refund rate by
//     amount is refunded / net sales of the code's redemptions, beside the
//     rate by order (orders with a refund / orders).
//   - Credited (attributed) orders are those whose latest attribution
//     names the code: through the code, or through a click on the code's
//     link (the processor names the link's code on a click credit), split
//     by method.
//   - Commission is the latest attribution's commission credited to the
//     code (per share for split credit) while approved, plus adjustments;
//     pending_review commission is reported apart; rejected and
//     unattributed orders carry none.
//   - Conversion is the code's orders (all currencies) per human click.
//     Unique visitors are exact over any range (the rollup keeps the
//     distinct-count state per day, merged at query time).
//   - Money is Int64 minor units per currency and is never summed across
//     currencies.
//   - A code looks leaked with a code_leak flag, or (from 5 orders) with
//     most of its orders flagged code_without_click, or with links that
//     were clicked fewer times than the code was redeemed.
//
// Every statement runs on ClickHouse 18.16 and current releases.
package analytics
