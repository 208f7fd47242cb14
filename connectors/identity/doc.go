// Package identity decides who a customer is at the edge, without keeping
// personal data.
//
// Emails and IP addresses are replaced by a keyed HMAC-SHA256 (the hash key,
// HELDSWAY_HASH_KEY, never leaves the deployment), so the same customer
// always gets the same token and the clear value is never published.
//
// Visitor ids are issued by the click redirect and kept in a first-party
// cookie. A click id embeds the visitor id it was issued to, so an order that
// carries only the click id still reaches the visitor's partition.
//
// Customer key precedence (the Kafka key of clicks and orders, which is
// what makes a customer's clicks and orders meet in one processor
// partition):
//
//  1. the visitor id carried into checkout (cookie -> cart attribute),
//  2. the visitor id embedded in the click id carried into checkout,
//  3. "e:" + the keyed hash of the email,
//  4. "p:" + platform/store/customer id, where the platform has its own
//     customer ids and the payload carries one (Stripe, Paddle): keeps a
//     customer's subscription renewals together when nothing else does,
//  5. "o:" + platform/store/order id (the order stands alone).
package identity
