// Package webhooktest holds what the tests of the webhook platforms
// (Shopify, WooCommerce, Stripe, Paddle) share: the Platform conformance
// suite Run, and the small helpers every platform's tests need (Recorder,
// a publisher that keeps what it is given; Topics; Hasher; Fixture, Mutate
// and JSONEqual for payloads).
//
// Run drives a platform through webhook.Handler, the flow production
// serves, and checks the contract every platform owes it: a correctly
// signed delivery is published and answered 200 with its event ids; a
// redelivery gives the same ids; the store is the one whose secret
// verifies, whatever the headers claim; a wrong, missing or stale signature or a
// tampered body is refused 401 with nothing published; a correctly signed
// body that cannot be used is answered 200 once its dead letter (raw body
// and reason) is published; an event HeldSway does not use is answered
// 202; Kafka being down is answered 503 with Retry-After.
package webhooktest
