-- Clicks, exact unique visitors and conversion (code orders per click).
-- A code redeemed far more often than its links are clicked looks leaked.
SELECT
    code,
    clicks,
    visitors,
    orders,
    round(orders / greatest(clicks, 1), 4) AS conversion
FROM (
    SELECT code, sum(clicks) AS clicks, uniqExactIfMerge(visitors) AS visitors
    FROM code_clicks_daily
    WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
    GROUP BY code
)
ANY FULL JOIN (
    SELECT code, sum(orders) AS orders
    FROM code_orders_daily
    WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
    GROUP BY code
) USING (code)
ORDER BY orders DESC;
