// Package kafkaenv opens what every stage of a heldsway process shares
// about Kafka: the connection (kafka.Conn), the topic names
// (schemas.Topics), the Avro serde and, when asked, the embedded broker
// (pipeline/broker) the process runs itself.
//
// Open starts the embedded broker first (and points the connection at it),
// creates missing topics through kafka.EnsureTopics when CreateTopics is
// set, and registers the schemas when a schema registry is configured.
// Env.Close stops the embedded broker; close it after every client.
//
// Errors in the configuration itself (a bad topic prefix, fewer than one
// partition, an unusable schema registry URL) are *ConfigError, so a
// command can tell them from an unreachable cluster.
//
// Tail reads a topic's committed records and writes them as JSON lines
// (heldsway tail).
package kafkaenv
