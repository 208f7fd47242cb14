// Package codesync pushes registry codes to the store platforms — Shopify
// (REST Admin price rules and discount codes), WooCommerce (wc/v3
// coupons), Stripe (coupons and promotion codes) and Paddle Billing
// (discounts) — and imports the coupons stores already have.
//
// # Types
//
// A Remote is one store on one platform (Shopify, WooCommerce, Stripe,
// Paddle): look a code up, create, update, deactivate, delete, list. A
// Syncer runs codes from the registry through every configured Remote and
// records the outcome in the code's Platforms (schemas.PlatformSync: remote
// id, status, last error, time) through a Recorder, the registry.Writer. It is
// the registry.Syncer of a Writer: Sync queues the changed codes for a
// background worker (recording is itself a write, which the Writer cannot
// take while it is calling its Syncer); Run syncs codes now (`heldsway codes
// sync`); Import reads the stores' coupons into the registry. NewWriter
// makes a Writer and its Syncer together, as ingest and `heldsway codes`
// use them. Stripe and Paddle requests go through
// connectors/stripe/stripeapi and connectors/paddle/paddleapi, the API
// clients the webhook side uses too (one timeout, body limit and error
// reading per platform); Shopify and WooCommerce, which the webhook side
// never calls, share this package's client.
//
// # Guarantees
//
//   - Idempotent. Every step looks the code up in the store first (Shopify
//     discount_codes/lookup.json, WooCommerce coupons?code=, Stripe
//     promotion_codes?code=, Paddle discounts?code=) and adopts what it
//     finds, so a retried or repeated sync never makes a second remote code,
//     also after a crash between the remote create and the registry write.
//     Stripe creates also carry an Idempotency-Key derived from the store,
//     code and version. A sync that finds the store as defined writes
//     nothing, to the store or the registry.
//   - Retries. A step failing with 429, 5xx or no answer is retried as a
//     whole (look-up included) with exponential backoff and jitter, waiting
//     exactly the Retry-After (seconds or HTTP date) a 429 or 503 asks for;
//     after RetryPolicy.Attempts (default 5) the code's state on that store
//     is failed with the last error. Other 4xx answers fail at once with the
//     platform's message.
//   - Checked first. A code a platform would refuse (registry.CheckPlatform:
//     Paddle letters and digits up to 32, Stripe letters, digits and '-',
//     Shopify no spaces) or an amount in another currency than the store's
//     fails before any request, with a FieldError naming the field (code,
//     currency); Sync returns these at once (ApplyResult.SyncErr).
//
// # States
//
// PlatformSync.Status is synced (the store holds the code as defined,
// active or deactivated; RemoteID set), pending (the code waits for its
// valid_from on a platform without start dates), deleted (the store does
// not hold it: deleted, or never made because the code is not active) or
// failed (LastError says why; the previous RemoteID is kept). Codes paused
// or inactive in the registry, or past valid_until, are deactivated in the
// stores, never deleted unless Config.DeleteInactive; a code deleted from
// the registry is deleted from the stores (where the platform cannot
// delete, deactivated for good).
//
// # Mapping
//
// Discounts are percent (basis points) or fixed (minor units of Currency).
//
//	                 Shopify              WooCommerce            Stripe                       Paddle
//	code form        upper case           lower case             upper case                   upper case
//	remote id        discount code id     coupon id              promotion code id            discount id
//	percent 12.5%    value "-12.5",       percent "12.5"         coupon percent_off=12.5      percentage "12.5"
//	                 percentage
//	fixed 5.00 USD   value "-5.00",       fixed_cart "5.00"      coupon amount_off=500,       flat "500",
//	                 fixed_amount         (store currency)       currency=usd                 currency_code USD
//	                 (shop currency)
//	valid_from       starts_at            held back (pending)    held back (pending)          held back (pending)
//	valid_until      ends_at              date_expires_gmt       expires_at                   expires_at
//	max_uses         usage_limit          usage_limit            max_redemptions              usage_limit
//	once/customer    once_per_customer    usage_limit_per_user 1 not supported                not supported
//	min_order        prerequisite_        minimum_amount         restrictions[minimum_amount] not supported
//	                 subtotal_range                              (+ _currency)
//	first order only not supported        not supported          restrictions[first_time_     not supported
//	                                                             transaction]
//	deactivate       ends_at = now        status draft           active=false                 status archived
//	delete           DELETE price rule    DELETE ?force=true     deactivate (cannot delete)   archive (cannot delete)
//
// "Not supported" fields are not sent and not compared: the registry still
// applies them when attributing orders, but the store accepts such codes
// more widely than defined. Codes held back until valid_from are created
// (or re-activated) by the first sync after it: Config.Recheck in a
// long-running process, or `heldsway codes sync` from cron.
//
// Per platform:
//
//   - Shopify: one price rule per code (title = the code; all line items,
//     across, all customers) with one discount code. If adding the code to a
//     new price rule fails, the rule is deleted again; a crash between the
//     two calls leaves an empty price rule (it discounts nothing). Fixed
//     amounts and minimum orders are in the shop's currency (configure it to
//     have other currencies refused). The REST Admin API is legacy at
//     Shopify; GraphQL discountCodeBasicCreate is the successor.
//   - WooCommerce: codes are case-insensitive and stored lower-case; the
//     store has one currency. individual_use and other fields the registry
//     does not hold are left as they are in the store.
//   - Stripe: the discount lives on a coupon shared by the codes of one
//     registry coupon and discount ("hs-<coupon>-p<bp>" or
//     "hs-<coupon>-f<amount><currency>", duration once unless configured);
//     the promotion code holds the code and its limits. A promotion code
//     can only be (de)activated after creation, so any other change
//     deactivates it and creates a new one with the same code (the new id
//     becomes the RemoteID; the old one keeps its redemptions). Coupons are
//     never deleted. Requests are pinned to Stripe-Version
//     DefaultStripeVersion (promotion[coupon] form).
//   - Paddle: discounts enabled for checkout, applying to the first payment
//     of a subscription unless Recur is configured.
//
// # Import
//
// Import lists every store's coupons. A code the registry lacks becomes a
// code of ImportOptions.Affiliate (default "unassigned": orders with it are
// credited to that id until the code is reassigned) with a coupon id
// derived from its discount and its store state synced; a code the registry
// has is linked (its definition is kept; the state is pending when the
// store differs, so the next sync pushes the registry's definition).
// Coupons with rules the registry cannot hold (product or category
// restrictions, free shipping, customer restrictions, a Shopify price rule
// with several codes, a Stripe coupon of another duration, ...) are
// skipped with the reason, never imported half.
package codesync
