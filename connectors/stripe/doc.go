// Package stripe maps Stripe webhooks (POST /webhooks/stripe) to canonical
// orders and refunds. It implements webhook.Platform; the shared
// webhook.Handler reads the body, tries each store's endpoint secret,
// publishes and answers.
//
// # Signature
//
// Stripe-Signature is "t=<unix>,v1=<hex>[,v1=...]"; v1 is
// hex(HMAC-SHA256(endpoint secret, t + "." + body)). A request is authentic
// when any v1 matches (constant time; several appear while a secret is
// rolled). An authentic request whose t is more than Config.Tolerance
// (default 5m) before or after the receive time is rejected as stale.
// Stripe names the account in the body, not a header, so StoreHint is "".
//
// # Orders
//
// checkout.session.completed and checkout.session.async_payment_succeeded
// in payment mode, when payment_status is paid or no_payment_required
// (unpaid sessions wait for async_payment_succeeded), become one Order:
// OrderID is the session's payment_intent, because that is the one id a
// later refund carries (the session id when there is no payment intent).
// Subtotal, Discount, Shipping, Tax and Total are amount_subtotal and
// total_details.amount_discount/amount_shipping/amount_tax and amount_total.
// Sessions in subscription mode are ignored: their first invoice arrives as
// invoice.paid and is the order (put heldsway_vid/heldsway_cid in
// subscription_data.metadata so they reach the invoices).
//
// invoice.paid (and invoice.payment_succeeded, which maps to the same event
// id) of an invoice that belongs to a subscription becomes an Order whose
// OrderID is the invoice id, so every renewal is its own order and
// recurring commission works. Subscription.ID is the subscription id;
// Cycle is 1 for billing_reason subscription_create and 0 (unknown) for
// every other reason (subscription_cycle renewals, subscription_update,
// subscription_threshold, ...): only a payment known to be the first may
// say so, and stage 1 judges the others against the start it remembered
// for the subscription. StartedAt is set for the first cycle only (the
// invoice's creation, when within eventtime's window). Invoices without a
// subscription (manual invoices, invoices Checkout creates for a payment)
// are ignored: one-off orders come from their Checkout Session. Subtotal
// is the invoice subtotal, Discount the sum of total_discount_amounts,
// Shipping amount_shipping, Tax total - total_excluding_tax (or the legacy
// tax field), Total the total.
//
// # Codes
//
// Sessions and invoices name promotion codes by id (promo_...), never by the
// code the customer typed. Each promotion code becomes an AppliedCode with
// RemoteID = the promo id and Code = the normalised code string, resolved
// through Config.Promotions (a Chain of sources: the code registry's synced
// remote ids, then the Stripe API client with an LRU/TTL cache). Invoice
// discounts arrive as discount ids (di_...); Config.Invoices expands them to
// their promotion codes (GET /v1/invoices/{id}?expand[]=discounts). Coupons
// applied without a promotion code are not customer codes and are skipped.
// A code's Amount is its total_details.breakdown or total_discount_amounts
// share; with one code and no breakdown, the whole discount.
//
// When a source answers that a promo id does not exist, the order is still
// published with Code = the normalised promo id, so RemoteID can be matched
// later. When resolution fails for a reason that may pass (API down, rate
// limit, timeout), Parse returns an error wrapping ErrTemporary, not
// webhook.ErrPayload, so the endpoint can answer 503 and Stripe retries for
// up to three days: an order is never published without its code.
//
// # Refunds
//
// A Refund's OrderID is the one the order used: the charge's invoice when it
// names one (API versions before 2025-03-31), else its payment_intent, else
// the charge id. refund.created and refund.updated publish a refund once its
// status is succeeded (money moved); charge.refunded publishes every
// succeeded refund in charge.refunds.data, which API versions from
// 2022-11-15 no longer include (then the delivery is ignored and the
// refund.* events carry the refunds). Both paths give a refund the same
// event id. Amount and Total are the refunded amount (Stripe does not split
// refunds into merchandise, tax and shipping; the processor can prorate
// against the order); Full is set when the refund covers the whole captured
// charge, which only charge.refunded can tell (refund.* events say false).
//
// # Identity and ids
//
// metadata heldsway_vid / heldsway_cid (on the session, the invoice, or the
// subscription's metadata copied to the invoice) carry our visitor and click
// ids; a client_reference_id that is a click id or a visitor id fills in
// what metadata lacks. Only well-formed ids are kept. The email
// (customer_details.email, customer_email) is published only as its keyed
// hash. Customer.Key follows identity.CustomerKey with the order reference
// "stripe/<store>/<order id>". Orders are keyed by Customer.Key on
// Topics.Orders; refunds by "stripe/<store>/<order id>" on Topics.Refunds.
// EventID is schemas.ID("stripe", store, "order", order id) or
// schemas.ID("stripe", store, "refund", order id, refund id), so a
// redelivery yields the same id, and a refund that two paths linked to
// different orders is never deduplicated into the wrong one. An order's
// OccurredAt is the event's created time (the moment the payment
// completed), a refund's the refund's created time; outside eventtime's
// window of Delivery.Now the delivery is dead-lettered (200), except that a
// charge.refunded (which lists every refund of the charge) leaves out the
// refunds from before the window, delivered with their own events then.
// ReceivedAt is Delivery.Now.
// Unhandled event types are ignored (202). Malformed payloads wrap
// webhook.ErrPayload.
//
// The package reads the payload into a checkout.Checkout; checkout.Build
// assembles and checks the schemas.Order, and every event id comes from
// checkout.EventID, the one recipe, which keeps the ids described here.
package stripe
