// Package woocommerce maps WooCommerce webhooks (POST /webhooks/woocommerce)
// to canonical orders and refunds. It implements webhook.Platform; the
// shared handler reads the body, verifies, publishes and answers.
//
// # Signature and ping
//
// X-WC-Webhook-Signature is base64(HMAC-SHA256(webhook secret, raw body)),
// compared with hmac.Equal (the secret's wp_specialchars_decode form is
// tried too). There is no signed timestamp, so no staleness check;
// redeliveries are harmless because event ids are deterministic.
// X-WC-Webhook-Source only orders the secrets tried (StoreHint).
//
// When a webhook is created WooCommerce POSTs an unsigned ping, the form
// body "webhook_id=<id>", and shows the merchant an error unless the
// answer is exactly 200 (deliver_ping tests 200 !== code, so a 202 fails).
// Verify accepts a body that is exactly such a form (only
// digits after "webhook_id=") whatever its signature header, and Parse
// returns an empty Result (no events, not Ignored), which the handler
// answers with 200 without touching Kafka. Accepting it unsigned is safe:
// it carries no data and publishes nothing.
//
// # Topics
//
// order.created and order.updated are read; every other topic is ignored
// (202). There is no refund topic: WooCommerce delivers a refund as
// order.updated carrying the whole order with its refunds[].
//
// # Orders
//
//   - Paid only: an order is published when its status is processing,
//     completed or refunded, or a status WooCommerce core does not define
//     (a plugin's, e.g. "shipped") with date_paid_gmt set. pending,
//     on-hold, cancelled, failed, trash and draft orders are not: the
//     delivery is ignored unless it carries refunds.
//   - EventID = schemas.ID("woocommerce", store, order id, "paid"), whatever
//     the topic: WooCommerce sends order.updated on every change, and each
//     delivery of a paid order gets the same id, so downstream keeps the
//     first (the one where it became paid) and drops the repeats.
//     SourceEvent is the topic that carried it.
//   - Amounts are parsed exactly with money.Parse in the order's currency
//     and exclude tax, as WooCommerce stores them: Subtotal = sum of
//     line_items[].subtotal (before coupons), Discount = discount_total,
//     Shipping = shipping_total, Tax = total_tax, Total = total. A
//     negative, malformed or over-precise amount, or an unknown currency,
//     is a payload error.
//   - Codes = coupon_lines[].code normalised with promocode.Normalize (so
//     WooCommerce's lower-case codes match), each with its discount; a
//     repeated code is summed; a code Normalize refuses is left out.
//   - Customer: EmailHash = Hasher.Email(billing.email), never the clear
//     address; CustomerID = customer_id (0, a guest, is none); FirstOrder is
//     unknown (nil) unless meta_data _heldsway_first_order (or
//     heldsway_first_order) says 1/true/yes or 0/false/no. VisitorID /
//     ClickID come from meta_data _heldsway_vid / _heldsway_cid (or without
//     the underscore), else from the hs_vid / hs_cid query of the order
//     attribution landing page (_wc_order_attribution_session_entry), which
//     is also LandingURL. Values without the shape HeldSway issues are
//     dropped. Customer.Key = identity.CustomerKey(visitor, click, email
//     hash, "woocommerce/<store>/<order id>").
//   - OccurredAt = date_created_gmt (WooCommerce writes it without a zone;
//     date_created read as UTC when it is absent), dead-lettered (200) outside
//     eventtime's window of Delivery.Now; except that a delivery carrying
//     refunds leaves out an order created before the window (it was
//     published, or refused, when created: same event id) and publishes
//     the refunds, which have their own time. ReceivedAt = Delivery.Now.
//
// # Refunds
//
// Each refunds[] entry of an order.created/order.updated becomes a Refund
// on Topics.Refunds keyed by "woocommerce/<store>/<order id>", with
// CustomerKey set to the order's customer key. Every delivery repeats all
// the order's refunds; they dedup downstream by event id:
//
//   - EventID = schemas.ID("woocommerce", store, "refund", refund id).
//   - Total = |total| (the entry's total is negative and includes tax and
//     shipping).
//   - Amount (merchandise net of discount) is not in the entry, so it is
//     estimated on the assumption that refunds return items with their tax:
//     Total × net / (net + cart_tax), rounded half up, where net =
//     Subtotal − Discount; then capped so that, taking the refunds in id
//     order, their amounts never exceed net, and never exceeds the
//     refund's own Total. A refund of shipping only is thus over-counted;
//     an order's refund amounts never sum beyond net.
//   - Full is true for the refund that brings the refunded totals to the
//     order total (and any after it); its Amount is what is left of net, so
//     a fully refunded order reverses exactly its net.
//   - Reason = reason (at most 1 KiB). OccurredAt = date_modified_gmt of the
//     order (the entry has no date), else Delivery.Now; outside eventtime's
//     window the delivery is dead-lettered (200).
//
// A refund deleted in WooCommerce disappears from later deliveries; the
// Refund already published stays.
//
// The package reads the payload into a checkout.Checkout; checkout.Build
// assembles and checks the schemas.Order, and every event id comes from
// checkout.EventID, the one recipe, which keeps the ids described here.
package woocommerce
