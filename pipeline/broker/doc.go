// Package broker runs the embedded Kafka broker: franz-go's kfake cluster
// with on-disk persistence, listening on a real TCP address so that every
// HeldSway component (and any Kafka tool) talks to it exactly as it would to
// Kafka or Redpanda.
//
// The broker is a single node. Its data directory holds the topic segments,
// committed offsets, producer and transaction state; a broker restarted on
// the same directory serves the records and offsets it had. Writes are
// fsynced per batch when Config.SyncWrites is set (the default), so a record
// the broker acknowledged survives a crash of the process. After a crash,
// before clients connect, the broker aborts the transactions left open and
// completes the one whose commit the crash interrupted (its commit journal,
// journal.go; the repair, repair.go), so a transaction's outputs and
// consumed offsets are committed together or not at all. The journal and
// the repair are this embedded, single-machine broker's own crash recovery,
// making up for what kfake does not persist; they are not Kafka features,
// and a deployment on real Kafka or Redpanda does not use them.
//
// Production deployments point HeldSway at real Kafka or Redpanda instead
// (--brokers); nothing else changes.
package broker
