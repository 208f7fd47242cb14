// Package webhooktest holds what the tests of the webhook platforms
// (Shopify, WooCommerce, Stripe, Paddle) share: the Platform conformance
// suite Run, and the small helpers every platform's tests need (Recorder,
// a publisher that keeps what it is given, for unit tests of Parse and
// the handler; Topics; Hasher; Fixture, Mutate and JSONEqual for
// payloads).
//
// Run drives a platform through webhook.Handler and the publish path
// production uses: a publish.Publisher on a kgo client, producing Avro to
// the embedded broker (pipeline/broker: kfake with a data directory) over
// TCP. One broker serves a run; each case publishes to topics of its own
// and reads back and decodes what landed on them. It checks the contract
// every platform owes the handler: a correctly signed delivery is answered
// 200 with its event ids only once its orders or refunds are in Kafka, as
// Parse made them (the order, and the refund when the platform gives one);
// a redelivery lands again with the same ids, topics and keys; the store is
// the one whose secret verifies, whatever the headers claim; a wrong,
// missing or stale signature or a tampered body is refused 401 with
// nothing in Kafka; a correctly signed body that cannot be used is
// answered 200 once its dead letter (raw body and reason) is in Kafka; an
// event HeldSway does not use is answered 202 with nothing in Kafka; and
// when Kafka cannot take the record (its topic or the dead-letter topic
// missing, the broker stopped) the answer is 503 with Retry-After, not a
// 2xx. The last case stops the run's broker.
//
// What the suite waits for (acknowledgements, topic creation, reading
// back) is bounded by HELDSWAY_TEST_WAIT (a Go duration, default 30s); the
// cases where Kafka cannot acknowledge wait 1s.
package webhooktest
