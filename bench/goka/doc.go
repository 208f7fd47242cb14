// Package goka is the peer baseline of HeldSway's benchmark: the same
// attribution job (coupon-priority rule, attribution window, stuffing
// flag, commission) written with Goka (github.com/lovoo/goka), the
// established Go library for Kafka stream processing with local state.
//
// A goka.GroupGraph takes the orders and clicks topics as inputs (our Avro
// records, decoded with schemas.Serde), keeps each customer's touches in a
// persisted group table (Goka's own changelog topic, JSON values, LevelDB
// locally) and emits one Output (JSON) per order to its own topic. Goka is
// at-least-once: after a crash the inputs since its last committed offset
// are processed again, and their outputs may be emitted twice.
package goka
