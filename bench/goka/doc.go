// Package goka is the peer baseline of HeldSway's benchmark: the
// processor's own attribution decisions (pipeline/attribution's rules,
// validation, commission and fraud checks) run inside Goka
// (github.com/lovoo/goka), the established Go library for Kafka stream
// processing with local state, so that the benchmark's ratio compares the
// stream runtimes rather than different work.
//
// Run starts three goka.Processors, one per key, as the processor's three
// stages are:
//   - Group, keyed by customer (clicks, orders, leak holds): its table value is the
//     customer's attribution.Customer with the snapshots of its decided
//     orders beside it (Goka keeps one value per key); codes are read
//     through a Goka view over the code registry topic (which also keeps
//     the affiliate index, as the processor's codes table does). An order
//     without a valid code, or with a code without a usage limit, is
//     published here (the latter also sent as an attribution.Redeemed to
//     the internal redemptions topic, keyed by code, for the leak
//     detector, and again as a correction when a late click from the
//     code's owner revises an order decided without one); one with a
//     usage-limited code is emitted there as an attribution.Candidate.
//     Leak holds come back on the internal holds topic, keyed by customer.
//   - Group-redeem, keyed by code: usage limits (attribution.ResolveUse),
//     use counts and the leak detector (fraud.CodeStats, corrected by
//     CodeStats.Clicked for late clicks); publishes a candidate's
//     attribution and flags, and sends a leak hold back for a redemption
//     it flags.
//   - Group-adjust, keyed by order (attributions and refunds): the
//     order's attribution.OrderLedger, emitting adjustments.
//
// Outputs are the processor's Avro records on the topics of
// Config.Outputs; a record a stage cannot process is dead-lettered. Every
// hop decides with the first input's Kafka timestamp, carried in a
// header. Goka is at-least-once: after a crash the inputs since its last
// committed offsets are processed again, and their outputs may be emitted
// twice (the benchmark counts them).
package goka
