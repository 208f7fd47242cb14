// Package webhook is the shared flow of every store-platform webhook:
// refuse a request without its signature header before reading anything
// (PreVerifier), read the raw body within limits, verify the platform's signature against
// each configured store's secret in constant time, map the payload to
// canonical events, publish them, and answer only after Kafka acknowledged.
//
// Answers: 401 for a missing or bad signature (or a stale timestamp:
// hmacsig.ErrSignature, hmacsig.ErrStale), 413
// for an oversized body (4xx only for the signature and the HTTP request
// itself, never for what a correctly signed body says), 202 for a topic
// HeldSway does not use (logged, nothing published), 200 once the events
// are durable, 200 as well for a correctly signed body whose content
// cannot be used (not valid UTF-8, an unsupported shape, a bad amount, an
// event time outside eventtime's window): the raw body goes to the
// dead-letter topic with the reason and the answer carries the dead
// letter's event id, because Shopify removes a subscription after repeated
// failed deliveries and Stripe disables failing endpoints. 503 when Kafka
// is unreachable so the platform retries. Refused signatures are logged at
// most once per WarnEvery, with the count of those not logged.
//
// A platform plugs in by implementing Platform; see connectors/shopify,
// woocommerce, stripe and paddle.
package webhook
