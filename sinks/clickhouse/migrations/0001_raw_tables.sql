-- Raw tables: one per topic, one row per Kafka record, as the record was.
--
-- Conventions (see doc.go): statements must run on ClickHouse 18.16 and
-- current releases.
--   * Keys: every table is a ReplacingMergeTree whose ORDER BY is the
--     record's identity, so a record delivered twice (Kafka redelivery after
--     a crash) collapses to one row at merge time. Until then duplicates are
--     physically present: read with FINAL or argMax.
--     Event tables are keyed by the deterministic event_id (orders, refunds
--     and adjustments prefixed by platform, store_id, order_id for locality:
--     event_id determines those, so the identity is the same). Attributions
--     are keyed by order and codes by code, with ReplacingMergeTree(version)
--     so the highest version wins.
--   * No PARTITION BY: ReplacingMergeTree only collapses rows within one
--     partition, and no timestamp here is guaranteed identical across
--     redeliveries or versions of the same key. Add partitioning only with a
--     key that is a function of the ORDER BY key.
--   * Money: Int64 minor units beside a currency String.
--   * Timestamps: x DateTime('UTC') (seconds, for filters and date
--     functions) plus x_ms Int64 (the exact Unix milliseconds from Avro):
--     18.16 has no DateTime64. Optional ones are Nullable.
--   * Booleans: UInt8 (18.16 has no Bool).
--   * Nested records: parallel arrays (orders.codes, code_amounts, ...);
--     maps: a keys array and a values array sorted by key.
--   * Versions: UInt64 (older servers take only unsigned versions).
--   * Ingestion: kafka_partition, kafka_offset of the record, inserted_at.

CREATE TABLE IF NOT EXISTS clicks (
    event_id String,
    click_id String,
    visitor_id String,
    code Nullable(String),
    affiliate_id Nullable(String),
    destination_id Nullable(String),
    landing_url Nullable(String),
    referrer Nullable(String),
    page_type Nullable(String),
    ip_hash Nullable(String),
    user_agent Nullable(String),
    is_bot UInt8,
    bot_reason Nullable(String),
    source String,
    occurred_at DateTime('UTC'),
    occurred_at_ms Int64,
    received_at DateTime('UTC'),
    received_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS orders (
    event_id String,
    order_id String,
    platform String,
    store_id String,
    source_event String,
    currency String,
    subtotal Int64,
    discount Int64,
    shipping Int64,
    tax Int64,
    total Int64,
    codes Array(String),
    code_amounts Array(Int64),
    code_remote_ids Array(Nullable(String)),
    customer_key String,
    customer_visitor_id Nullable(String),
    customer_click_id Nullable(String),
    customer_email_hash Nullable(String),
    customer_id Nullable(String),
    customer_first_order Nullable(UInt8),
    subscription_id Nullable(String),
    subscription_cycle Nullable(Int32),
    subscription_started_at Nullable(DateTime('UTC')),
    subscription_started_at_ms Nullable(Int64),
    landing_url Nullable(String),
    code_applied_at Nullable(DateTime('UTC')),
    code_applied_at_ms Nullable(Int64),
    occurred_at DateTime('UTC'),
    occurred_at_ms Int64,
    received_at DateTime('UTC'),
    received_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY (platform, store_id, order_id, event_id);

CREATE TABLE IF NOT EXISTS refunds (
    event_id String,
    refund_id String,
    order_id String,
    platform String,
    store_id String,
    currency String,
    amount Int64,
    total Int64,
    full UInt8,
    reason Nullable(String),
    customer_key Nullable(String),
    occurred_at DateTime('UTC'),
    occurred_at_ms Int64,
    received_at DateTime('UTC'),
    received_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY (platform, store_id, order_id, event_id);

CREATE TABLE IF NOT EXISTS codes (
    event_id String,
    code String,
    display_code String,
    coupon_id String,
    affiliate_id String,
    affiliate_name Nullable(String),
    discount_type String,
    discount_value Int64,
    currency Nullable(String),
    status String,
    valid_from Nullable(DateTime('UTC')),
    valid_from_ms Nullable(Int64),
    valid_until Nullable(DateTime('UTC')),
    valid_until_ms Nullable(Int64),
    max_uses Nullable(Int64),
    once_per_customer UInt8,
    min_order Nullable(Int64),
    first_order_only UInt8,
    allowed_affiliates Array(String),
    requires_click UInt8,
    commission_type Nullable(String),
    commission_value Nullable(Int64),
    commission_currency Nullable(String),
    commission_recurring_months Nullable(Int32),
    platform_names Array(String),
    platform_store_ids Array(String),
    platform_remote_ids Array(Nullable(String)),
    platform_statuses Array(String),
    platform_last_errors Array(Nullable(String)),
    platform_synced_at_ms Array(Nullable(Int64)),
    version UInt64,
    updated_at DateTime('UTC'),
    updated_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY code;

CREATE TABLE IF NOT EXISTS attributions (
    event_id String,
    order_id String,
    platform String,
    store_id String,
    version UInt64,
    status String,
    rule String,
    method String,
    affiliate_id Nullable(String),
    code Nullable(String),
    click_id Nullable(String),
    customer_key String,
    currency String,
    order_total Int64,
    net_amount Int64,
    commission Int64,
    reasons Array(String),
    share_affiliate_ids Array(String),
    share_codes Array(Nullable(String)),
    share_click_ids Array(Nullable(String)),
    share_weight_bp Array(Int32),
    share_commissions Array(Int64),
    touch_kinds Array(String),
    touch_affiliate_ids Array(Nullable(String)),
    touch_codes Array(Nullable(String)),
    touch_click_ids Array(Nullable(String)),
    touch_at_ms Array(Int64),
    touch_qualified Array(UInt8),
    touch_won Array(UInt8),
    touch_reasons Array(Nullable(String)),
    order_occurred_at DateTime('UTC'),
    order_occurred_at_ms Int64,
    decided_at DateTime('UTC'),
    decided_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree(version)
ORDER BY (platform, store_id, order_id);

CREATE TABLE IF NOT EXISTS adjustments (
    event_id String,
    order_id String,
    platform String,
    store_id String,
    refund_id Nullable(String),
    affiliate_id String,
    code Nullable(String),
    amount Int64,
    currency String,
    reason String,
    attribution_version Int32,
    occurred_at DateTime('UTC'),
    occurred_at_ms Int64,
    decided_at DateTime('UTC'),
    decided_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY (platform, store_id, order_id, event_id);

CREATE TABLE IF NOT EXISTS flags (
    event_id String,
    type String,
    severity String,
    order_id Nullable(String),
    platform Nullable(String),
    store_id Nullable(String),
    code Nullable(String),
    affiliate_id Nullable(String),
    evidence_keys Array(String),
    evidence_values Array(String),
    occurred_at DateTime('UTC'),
    occurred_at_ms Int64,
    detected_at DateTime('UTC'),
    detected_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY event_id;

CREATE TABLE IF NOT EXISTS deadletters (
    event_id String,
    source String,
    stage String,
    source_partition Nullable(Int32),
    source_offset Nullable(Int64),
    key Nullable(String),
    value String,
    reason String,
    occurred_at DateTime('UTC'),
    occurred_at_ms Int64,
    kafka_partition Int32,
    kafka_offset Int64,
    inserted_at DateTime('UTC') DEFAULT now()
) ENGINE = ReplacingMergeTree()
ORDER BY event_id;
