// Package hmacsig verifies the HMAC-SHA256 signatures store platforms put on
// their webhooks, in constant time, with errors wrapping ErrSignature
// (missing, malformed or wrong) or ErrStale (authentic but outside the
// tolerance window). It imports nothing of HeldSway: connectors/webhook, the
// shared flow, depends on it (it answers 401 for both errors), not the other
// way round.
//
// Two shapes are covered:
//   - Scheme: a timestamped header of key=value parts, such as Stripe's
//     "t=<unix>,v1=<hex>" over t+"."+body or Paddle's "ts=<unix>;h1=<hex>"
//     over ts+":"+body. Several signatures may be sent (secret rotation);
//     any one matching is enough, and every one is compared so the time
//     does not reveal which matched. The timestamp is judged only once the
//     signature matched, so a forger is never told "stale".
//   - VerifyBase64: a bare base64 HMAC of the body, as Shopify and
//     WooCommerce send.
//
// Each platform keeps its own header, separators and key names, and so its
// own wire format and error messages; this package holds the mechanism.
package hmacsig
