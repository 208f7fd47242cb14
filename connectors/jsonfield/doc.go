// Package jsonfield holds the lenient JSON field types the store-platform
// connectors (shopify, woocommerce) decode webhook bodies with: platforms
// and their plugins write the same field as a string in one payload and a
// number in the next, and a buyer-controlled field must not fail a whole
// order.
//
// Main types:
//   - Decimal: an amount written as a JSON string or number, kept as text
//     so that money.Parse reads it exactly and it never becomes a float.
//   - ID: a platform id written as a JSON integer or string; Check bounds
//     its length and rejects control characters.
//   - LooseString: a string that reads as "" when the JSON value is not a
//     string.
//
// Every type's zero value means absent or null. Errors quote the offending
// value cut by Abbrev, so an error message stays short whatever was sent.
package jsonfield
