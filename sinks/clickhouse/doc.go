// Package clickhouse loads HeldSway's Kafka topics into ClickHouse raw
// tables: one table per topic, one row per record.
//
// # Types
//
//   - Writer batch-inserts records (schemas.Order, schemas.Click, ...) into
//     their tables over the native protocol. Open connects, creates the
//     database and applies the migrations.
//   - Sink consumes the topics in a consumer group and keeps the tables
//     current: Run(ctx) until shut down, Ready(ctx) for health checks.
//   - Each table is one descriptor (table.go, tables.go): name, columns and
//     a function from record to values. The Writer and the Sink handle all
//     eight alike.
//
// # Schema
//
// Migrations are the SQL files in migrations/, embedded, applied in version
// order on Open and recorded in schema_migrations (version, name,
// applied_at); applied ones are skipped, and every statement is idempotent
// (IF NOT EXISTS) so a migration cut short can run again. Every statement
// must run on ClickHouse 18.16 (Debian's package, used for tests) and on
// current releases (production), which rules out DateTime64, Map,
// LowCardinality, Bool and JSON. The conventions, stated in
// 0001_raw_tables.sql:
//
//   - Timestamps are two columns: x DateTime('UTC') in seconds, for filters
//     and date functions, and x_ms Int64, the exact Unix milliseconds of the
//     Avro timestamp-millis. Times outside DateTime's range (1970 to 2105)
//     cannot be stored: such records are dead-lettered.
//   - Money is Int64 minor units beside a currency String; booleans are
//     UInt8; nested records are parallel arrays (orders.codes,
//     orders.code_amounts, ...); flags.evidence is evidence_keys and
//     evidence_values, sorted by key.
//   - Every row carries kafka_partition, kafka_offset and inserted_at.
//
// # Delivery and reading
//
// The Sink commits a partition's offset only after every record before it
// was inserted (or published to the dead-letter topic), so nothing is lost.
// It is at-least-once into ClickHouse: after a crash, or a commit lost to a
// rebalance, a batch is inserted again. Every table is a ReplacingMergeTree
// keyed by the record's identity (event_id; for attributions the order and
// for codes the code, where ReplacingMergeTree(version) keeps the highest
// version), so duplicates collapse when parts merge, which happens at some
// unspecified later time. Queries must therefore read with FINAL, or
// aggregate with argMax(column, version) / any() grouped by the key:
//
//	SELECT count() FROM orders FINAL
//	SELECT sum(commission) FROM attributions FINAL WHERE status = 'approved'
//
// On servers that support it (22.2 and later) the Writer also sends an
// insert_deduplication_token derived from the batch's event ids and Kafka
// positions, so a retried INSERT is dropped outright; that only takes effect
// for Replicated* tables or tables with non_replicated_deduplication_window
// set, which 18.16 cannot create, so FINAL remains the rule.
//
// When ClickHouse is down or rejects an INSERT, the Sink keeps the batch and
// its Kafka position and retries with exponential backoff (100ms doubling,
// capped by Config.MaxBackoff). Records that can never be stored, because
// they do not decode or hold values ClickHouse cannot represent, are
// published to the dead-letter topic as schemas.DeadLetter (stage "sink",
// event_id = schemas.ID(topic, partition, offset)) and their offsets
// committed with the rest. A record from the dead-letter topic itself that
// cannot be stored is logged and dropped instead, so nothing loops.
// Tombstones (null values on the compacted codes topic) are skipped: the
// raw tables keep history. Undecodable records are told apart from a
// schema registry outage (schemas.ErrRegistry), which is retried.
//
// Rebalances are blocked while a batch is buffered (kgo's
// BlockRebalanceOnPoll), so offsets are only committed for partitions the
// sink still owns; a pending rebalance triggers an early flush.
package clickhouse
