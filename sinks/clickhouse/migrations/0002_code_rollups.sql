-- Per-code daily rollups, derived from the deduplicated raw tables.
--
-- Written only by the rollup refresh (sinks/clickhouse/analytics): for
-- every day touched since the last refresh it recomputes the whole day
-- from the raw tables (one row per event_id, the latest attribution
-- version per order) and inserts absolute totals under a new version.
-- Nothing here is incremented, so a redelivered raw row, a refresh run
-- twice or two refreshers racing cannot count anything twice: the raw
-- duplicates collapse in the recomputation and the newer version replaces
-- the older one.
--
-- Reading: use the views (code_orders_daily, code_clicks_daily,
-- code_flags_daily), which keep, per day, only the rows of that day's
-- latest refresh. A refresh also writes one sentinel row per day it
-- recomputed (code '' or type ''), so a key that disappeared from a day
-- (an order whose date moved) does not linger with an older version; the
-- views hide the sentinels.
--
-- Conventions as in 0001: 18.16-compatible; money is Int64 minor units
-- per currency (never sum across currencies); versions are UInt64 (the
-- refresh's Unix milliseconds). The day is in every ORDER BY key, so
-- partitioning by month is safe.
--
-- Day assignment: an order's day is the UTC date of its earliest event in
-- orders; its attribution, refunds and commission adjustments count on
-- that day (cohort view: "refund rate" is the share of the day's orders
-- refunded so far). Clicks and flags count on their own occurred_at date.

CREATE TABLE IF NOT EXISTS rollup_code_orders (
    day Date,
    code String,
    platform String,
    store_id String,
    currency String,
    orders UInt64,
    revenue Int64,
    discount Int64,
    refunds UInt64,
    refunded_orders UInt64,
    refunded Int64,
    attributed UInt64,
    attributed_code UInt64,
    attributed_click UInt64,
    attributed_split UInt64,
    commission Int64,
    commission_pending Int64,
    adjustments Int64,
    version UInt64,
    refreshed_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, code, platform, store_id, currency);

CREATE TABLE IF NOT EXISTS rollup_code_clicks (
    day Date,
    code String,
    clicks UInt64,
    bot_clicks UInt64,
    visitors AggregateFunction(uniqExactIf, String, UInt8),
    version UInt64,
    refreshed_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, code);

CREATE TABLE IF NOT EXISTS rollup_code_flags (
    day Date,
    type String,
    code String,
    affiliate_id String,
    platform String,
    store_id String,
    flags UInt64,
    flagged_orders UInt64,
    version UInt64,
    refreshed_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(day)
ORDER BY (day, type, code, affiliate_id, platform, store_id);

-- One row per refresh: the server time it started at (the next refresh
-- recomputes the days touched by raw rows inserted since, less a margin),
-- and the version it wrote.
CREATE TABLE IF NOT EXISTS rollup_refreshes (
    name String,
    started_at DateTime('UTC'),
    version UInt64,
    days UInt32,
    refreshed_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY name;

CREATE VIEW IF NOT EXISTS code_orders_daily AS
SELECT * FROM rollup_code_orders FINAL
WHERE code != ''
  AND (day, version) IN (SELECT day, max(version) FROM rollup_code_orders GROUP BY day);

CREATE VIEW IF NOT EXISTS code_clicks_daily AS
SELECT * FROM rollup_code_clicks FINAL
WHERE code != ''
  AND (day, version) IN (SELECT day, max(version) FROM rollup_code_clicks GROUP BY day);

CREATE VIEW IF NOT EXISTS code_flags_daily AS
SELECT * FROM rollup_code_flags FINAL
WHERE type != ''
  AND (day, version) IN (SELECT day, max(version) FROM rollup_code_flags GROUP BY day);
