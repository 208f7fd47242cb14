// Package money converts the amounts store platforms send into integer
// minor units of an ISO-4217 currency, exactly: no floating point ever
// touches a price.
//
// Shopify and WooCommerce send decimal strings ("59.90"); Stripe and Paddle
// send integers in the lowest denomination already. Parse refuses more
// fractional digits than the currency has (unless they are zeros), so a
// "0.005" that cannot be represented is an error, not a silent rounding.
package money
