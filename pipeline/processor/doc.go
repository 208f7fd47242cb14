// Package processor is HeldSway's stream processor: the three stages of
// docs/DESIGN.md wired onto the exactly-once runtime (package stream) with
// the attribution and fraud logic (packages attribution and fraud).
//
//   - attribute (keyed by customer): clicks, orders and leak holds ->
//     the attributions and flags of every order no global fact decides
//     (no valid code, or a code without a usage limit); candidates (codes
//     with a usage limit) and redemptions (for the leak detector) on the
//     internal redemptions topic, keyed by code;
//   - redeem (keyed by code): global usage limits and the leak detector ->
//     the attributions of candidates, flags, and leak holds on the
//     internal holds topic, keyed by customer, back to attribute;
//   - adjust (keyed by order): attributions and refunds -> adjustments.
//
// State, per stage partition: stage 1 keeps a customer's hot value under
// c/<customer> and decided orders' snapshots under r/<hash><customer>;
// stage 2 a usage counter, a ring of resolved orders (both through
// attribution.CodeUsage) and leak statistics per code; stage 3 a ledger per order (docs/DESIGN.md, State layout).
// Memory is split among the stages from Config.MemoryBytes (memory.go).
//
// The code registry is the compacted codes topic, read by every instance
// before the stages start into one decoded view (codes.go): each record is
// decoded once, when it is read, into the codes the rules look up and the
// affiliate index; the table holding the topic keeps no other copy.
//
// Determinism: every stage takes "now" from the input record's Kafka
// timestamp and stamps its outputs with the same timestamp, so a replay
// after a crash produces byte-identical records; together with the
// transactional runtime, the outputs of a crashed and restarted run equal
// those of an uninterrupted one.
package processor
