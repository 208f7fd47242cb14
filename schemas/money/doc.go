// Package money converts the amounts store platforms send into integer
// minor units of an ISO-4217 currency, exactly: no floating point ever
// touches a price.
//
// Shopify and WooCommerce send decimal strings ("59.90"); Stripe and Paddle
// send integers in the lowest denomination already. Parse refuses more
// fractional digits than the currency has (unless they are zeros), so a
// "0.005" that cannot be represented is an error, not a silent rounding.
//
// The package is a leaf value type of the wire contract (every amount in
// schemas is minor units of a currency): it imports nothing of HeldSway, so
// connectors, the code registry and the sinks may all use it.
package money
