-- Orders, revenue and refund rate per platform and store.
SELECT
    platform,
    store_id,
    currency,
    sum(orders)  AS redemptions,
    sum(revenue) AS gross_revenue,
    round(sum(refunded_orders) / greatest(sum(orders), 1), 4) AS refund_rate
FROM code_orders_daily
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY platform, store_id, currency
ORDER BY gross_revenue DESC;
