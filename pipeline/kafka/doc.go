// Package kafka holds what every HeldSway service needs to talk to Kafka:
// Conn, the one connection type (brokers, TLS, SASL) turned into franz-go
// options, and CreateTopics, the one place topics are created (the public
// set from PublicTopics, the processor's internal topics, the stages'
// changelogs and dead-letter topics, the bench's topics).
//
// It does not wrap *kgo.Client: stages use franz-go directly and are tested
// against the embedded broker (kfake) over real TCP.
package kafka
