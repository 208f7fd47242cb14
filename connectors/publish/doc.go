// Package publish turns canonical events into Avro records on Kafka and
// returns only when the broker has acknowledged them.
//
// The producer is idempotent with acks=all, so a retried produce never
// duplicates a record inside Kafka; the HTTP edge answers 2xx only after
// Publish returned nil, so an event is never acknowledged to a store
// platform before it is durable. Event ids are deterministic, so a platform
// redelivering the same webhook produces a record with the same id, which
// the processor and the ClickHouse sink drop as a duplicate.
package publish
