-- Net sales of the orders a code was applied to (subtotal - discount, the
-- base refunds are measured against), for the refund rate by amount.
-- Refunded amounts in the rollup are capped at each order's net from this
-- version on (a refresh recomputes the days it touches; `heldsway rollup
-- --full` recomputes every day).

ALTER TABLE rollup_code_orders ADD COLUMN net Int64 DEFAULT 0;

DROP TABLE IF EXISTS code_orders_daily;

CREATE VIEW IF NOT EXISTS code_orders_daily AS
SELECT * FROM rollup_code_orders FINAL
WHERE code != ''
  AND (day, version) IN (SELECT day, max(version) FROM rollup_code_orders GROUP BY day);
