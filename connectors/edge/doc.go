// Package edge is the HTTP front door shared by every connector: one server
// with body-size and time limits, JSON error answers that say why, bearer
// authentication compared in constant time, a readiness endpoint and a
// graceful shutdown that drains requests in flight.
//
// Handlers answer 2xx only after what they accepted is durable in Kafka;
// see package publish.
package edge
