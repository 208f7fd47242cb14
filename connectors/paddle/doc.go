// Package paddle maps Paddle Billing webhooks (POST /webhooks/paddle) to
// canonical orders and refunds. It implements webhook.Platform; the shared
// webhook.Handler reads the body, tries each store's notification secret,
// publishes and answers.
//
// # Signature
//
// Paddle-Signature is "ts=<unix>;h1=<hex>[;h1=...]"; h1 is
// hex(HMAC-SHA256(secret, ts + ":" + body)). A request is authentic when any
// h1 matches (constant time; several appear while a secret is rotated;
// entries that are not hex are skipped). An authentic request whose ts is
// more than Config.Tolerance from the receive time is rejected as stale.
// The default is 5m, not the 5s Paddle's SDKs suggest: 5s turns ordinary
// clock skew and queueing into rejected deliveries, and replays are
// harmless anyway because event ids are deterministic. Paddle names no store
// in the headers, so StoreHint is "".
//
// # Orders
//
// transaction.completed becomes one Order with OrderID = the transaction id
// (txn_...), which is what an adjustment's transaction_id names, so refunds
// link. Amounts are details.totals (integer strings in the lowest
// denomination): Subtotal = subtotal (before discount), Discount = discount,
// Tax = tax, Total = total; Shipping is 0 (Paddle sells no shipping).
// A transaction with a subscription_id carries a Subscription with ID = the
// subscription id: Cycle 1 with StartedAt = the billing period start (nil
// when missing or outside eventtime's window) for origin web or api (the
// checkout or API transaction that created the subscription), Cycle 0
// (unknown) and no StartedAt for subscription_recurring renewals,
// subscription_update, subscription_charge and any other origin: only a
// payment known to be the first says so, and stage 1 judges the others
// against the start it remembered for the subscription. A transaction with
// an origin subscription_* but no subscription_id is refused
// (webhook.ErrPayload): as a one-off order it would earn on every renewal.
// Origin subscription_payment_method_change moves no money for goods and
// is ignored.
//
// # Codes
//
// A transaction names its discount by id (discount_id, dsc_...). The order's
// AppliedCode has RemoteID = that id and Code = the normalised code string,
// taken from an embedded discount object when present, else resolved through
// Config.Discounts (a Chain: the code registry's synced ids, then the Paddle
// API client GET /discounts/{id} with an LRU/TTL cache). Its Amount is
// details.totals.discount. A discount without a code (applied by API, not
// typed by a customer) gives no AppliedCode. A discount no source knows is
// kept with Code = the normalised discount id. A lookup that fails for a
// reason that may pass (API down, 429) makes Parse return an error wrapping
// ErrTemporary, not webhook.ErrPayload, so the endpoint can answer 503 and
// Paddle retries.
//
// # Refunds
//
// adjustment.created and adjustment.updated with action refund publish a
// Refund only when status is approved: that is when money moved; a
// pending_approval refund may still be rejected, so it is ignored (202) and
// published by the adjustment.updated that approves it (same event id).
// RefundID is the adjustment id, OrderID its transaction_id, Amount
// totals.subtotal (refunded merchandise before tax), Total totals.total,
// Full when type is full. Other actions (credit, chargeback...) are ignored.
//
// # Identity and ids
//
// custom_data heldsway_vid / heldsway_cid carry our visitor and click ids;
// only well-formed ids are kept. The webhook has no email, only
// customer_id, so EmailHash is nil. Customer.Key follows
// identity.CustomerKey with the order reference "paddle/<store>/<txn id>".
// Orders are keyed by Customer.Key on Topics.Orders, refunds by
// "paddle/<store>/<txn id>" on Topics.Refunds. EventID is
// schemas.ID("paddle", store, "order", txn id) or
// schemas.ID("paddle", store, "refund", txn id, adjustment id), so a
// redelivery yields the same id. OccurredAt is the event's occurred_at
// (for a refund, the adjustment event's own time, not its transaction's),
// dead-lettered (webhook.ErrPayload: 200, raw body on the dead-letter topic) outside eventtime's window of
// Delivery.Now; ReceivedAt is Delivery.Now. Unhandled event types are ignored (202).
// Malformed payloads wrap webhook.ErrPayload.
//
// The package reads the payload into a checkout.Checkout; checkout.Build
// assembles and checks the schemas.Order, and every event id comes from
// checkout.EventID, the one recipe, which keeps the ids described here.
package paddle
