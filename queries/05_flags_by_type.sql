-- Flagged orders per code and fraud type (code_without_click,
-- click_injection), and code_leak flags (which name a code, not an order).
SELECT
    code,
    sumIf(flagged_orders, type = 'code_without_click') AS orders_without_click,
    sumIf(flagged_orders, type = 'click_injection')    AS click_injections,
    sumIf(flags, type = 'code_leak')                    AS leak_flags,
    sum(flags)                                          AS all_flags
FROM code_flags_daily
WHERE day BETWEEN toDate('2026-11-01') AND toDate('2026-11-30')
GROUP BY code
ORDER BY all_flags DESC;
