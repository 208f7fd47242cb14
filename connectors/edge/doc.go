// Package edge is the HTTP front door shared by every connector: one server
// with body-size and time limits, JSON error answers that say why, bearer
// authentication compared in constant time, a readiness endpoint and a
// graceful shutdown that drains requests in flight.
//
// Overload and slow senders: every route belongs to a Class (redirects,
// webhooks, authenticated API), each with its own in-flight pool, so one
// class flooded cannot take another's capacity; one client address has at
// most MaxPerClient unauthenticated requests in flight; a request must
// arrive whole within BodyTimeout. Refusals made before the body is read
// (Refuse) close the connection rather than drain the body.
//
// Handlers answer 2xx only after what they accepted is durable in Kafka;
// see package publish.
package edge
