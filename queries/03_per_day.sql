-- Orders and revenue per day (all codes, EUR), with the day's human clicks.
SELECT
    day,
    sum(orders)  AS redemptions,
    sum(revenue) AS gross_revenue,
    any(c.clicks) AS clicks
FROM code_orders_daily
ANY LEFT JOIN (
    SELECT day, sum(clicks) AS clicks FROM code_clicks_daily GROUP BY day
) AS c USING (day)
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30') AND currency = 'EUR'
GROUP BY day
ORDER BY day;
