// Package checkout turns what a store platform says about a paid checkout
// or a refund into HeldSway's canonical records. It is where the five
// order sources (the Shopify, WooCommerce, Stripe and Paddle webhooks and
// the conversion API) meet: each reads its own payload into a neutral
// Checkout or Refund and calls Build or BuildRefund, so every
// schemas.Order and schemas.Refund is assembled, checked and keyed one
// way, and is refused with the same reason whichever platform sent it.
//
// Main names:
//   - Checkout, a paid checkout in neutral terms (minor units, plain ids);
//     Build validates it and returns the schemas.Order.
//   - Refund, a refund in the same terms; BuildRefund validates it and
//     returns the schemas.Refund.
//   - Currency, the ISO 4217 check both builders make, for a platform that
//     needs a currency's decimal places to read its amounts first.
//   - EventKey and EventID, the one recipe for the event ids of orders and
//     refunds. Event ids are idempotency keys already stored in Kafka and
//     ClickHouse, so the platforms that published before the recipe was
//     unified keep their layouts, held in one table in eventid.go; a new
//     platform gets the shared layout.
//   - Codes, the discount codes of a checkout: normalised, a repeated code
//     summed, a code that cannot be normalised left out.
//   - Optional and Add, the small conversions every mapping needs.
//
// Guarantees: Build refuses an order without a platform or an order id, an
// unknown currency, an amount below zero or above money.Max, and a missing
// event time; it never publishes an email, only its Hasher token.
// BuildRefund refuses a refund without a platform, an order id or a refund
// id, an unknown currency, an amount or total below zero or above
// money.Max, and a missing event time, and cuts a reason to MaxReason
// bytes on a rune boundary. Every error wraps ErrCheckout and names the
// field; a webhook platform wraps it in webhook.ErrPayload, so the
// delivery is dead-lettered with that reason.
package checkout
