// Package webhook is the shared flow of every store-platform webhook:
// refuse a request without its signature header before reading anything
// (PreVerifier), read the raw body within limits, verify the platform's signature against
// each configured store's secret in constant time, map the payload to
// canonical events, publish them, and answer only after Kafka acknowledged.
//
// Answers: 401 for a missing or bad signature (or a stale timestamp), 400 or
// 413 for a malformed or oversized body (with the reason; a body that is not
// valid UTF-8, or an event time outside eventtime's window, is malformed),
// 202 for a topic HeldSway does not use (logged, nothing published), 200
// once the events are durable, 503 when Kafka is unreachable so the
// platform retries. Refused signatures are logged at most once per
// WarnEvery, with the count of those not logged.
//
// A platform plugs in by implementing Platform; see connectors/shopify,
// woocommerce, stripe and paddle.
package webhook
