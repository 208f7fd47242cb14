-- Orders and revenue per code straight from the raw orders table,
-- deduplicated (one row per order: its latest event; its day: the first
-- event's), to compare with 01_per_code.sql.
SELECT code, currency, count() AS orders, sum(total) AS revenue
FROM (
    SELECT
        platform, store_id, order_id,
        toDate(min(occurred_at))                              AS first_day,
        argMax(currency, (received_at_ms, event_id))           AS currency,
        argMax(total, (received_at_ms, event_id))              AS total,
        argMax(codes, (received_at_ms, event_id))              AS order_codes
    FROM orders
    GROUP BY platform, store_id, order_id
    HAVING first_day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
)
ARRAY JOIN order_codes AS code
GROUP BY code, currency
ORDER BY orders DESC;
