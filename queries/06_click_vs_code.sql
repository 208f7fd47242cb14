-- How each code's attributed orders were won: by the code itself, by a
-- click on the affiliate's link, or split between touches.
SELECT
    code,
    sum(attributed)       AS attributed_orders,
    sum(attributed_code)  AS by_code,
    sum(attributed_click) AS by_click,
    sum(attributed_split) AS by_split,
    round(sum(attributed_click) / greatest(sum(attributed), 1), 4) AS click_share
FROM code_orders_daily
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY code
ORDER BY attributed_orders DESC;
