-- Per-code table for a date range: orders, revenue, AOV, refund rate,
-- discount and net commission, per currency (money in minor units).
SELECT
    code,
    currency,
    sum(orders)                                   AS redemptions,
    sum(revenue)                                  AS gross_revenue,
    sum(revenue) - sum(refunded)                  AS net_revenue,
    intDiv(sum(revenue), greatest(sum(orders), 1)) AS aov,
    sum(discount)                                 AS discount_given,
    sum(commission) + sum(adjustments)            AS net_commission,
    sum(commission_pending)                       AS commission_pending,
    sum(refunds)                                  AS refund_count,
    round(sum(refunded_orders) / greatest(sum(orders), 1), 4) AS refund_rate
FROM code_orders_daily
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY code, currency
ORDER BY redemptions DESC
LIMIT 50;
