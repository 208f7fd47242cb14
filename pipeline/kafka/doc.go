// Package kafka holds what every HeldSway stage needs to talk to Kafka: the
// connection settings (brokers, TLS, SASL) turned into franz-go options, and
// the topic set created on start.
//
// It does not wrap *kgo.Client: stages use franz-go directly and are tested
// against the embedded broker (kfake) over real TCP.
package kafka
