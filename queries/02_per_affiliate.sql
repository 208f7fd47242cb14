-- Per affiliate: the code registry (codes, latest version) says whose code
-- it is. Codes not in the registry show under ''.
SELECT
    affiliate_id,
    currency,
    uniqExact(code)                    AS codes,
    sum(orders)                        AS redemptions,
    sum(revenue)                       AS gross_revenue,
    sum(commission) + sum(adjustments) AS net_commission,
    round(sum(refunded_orders) / greatest(sum(orders), 1), 4) AS refund_rate
FROM code_orders_daily
ANY LEFT JOIN (
    SELECT code, argMax(affiliate_id, version) AS affiliate_id FROM codes GROUP BY code
) USING (code)
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY affiliate_id, currency
ORDER BY net_commission DESC;
