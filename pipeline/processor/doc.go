// Package processor is HeldSway's stream processor: the three stages of
// docs/DESIGN.md wired onto the exactly-once runtime (package stream) with
// the attribution and fraud logic (packages attribution and fraud).
//
//   - attribute (keyed by customer): clicks and orders -> candidates on the
//     internal redemptions topic, keyed by code;
//   - redeem (keyed by code): global usage limits and the leak detector ->
//     attributions and flags;
//   - adjust (keyed by order): attributions and refunds -> adjustments.
//
// The code registry is the compacted codes topic, read by every instance
// into a global table before the stages start.
//
// Determinism: every stage takes "now" from the input record's Kafka
// timestamp and stamps its outputs with the same timestamp, so a replay
// after a crash produces byte-identical records; together with the
// transactional runtime, the outputs of a crashed and restarted run equal
// those of an uninterrupted one.
package processor
