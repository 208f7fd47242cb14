// Package paddleapi is HeldSway's one HTTP client of the Paddle Billing
// API: the webhook side (connectors/paddle, which resolves discount ids
// while mapping a delivery) and the code sync (connectors/codesync, which creates
// and updates discounts) both send their requests through a Client, so
// base URL, authentication, timeout, body limit and error reading are the
// same for both.
//
// A Client holds one account's key. Do sends a request and decodes a 2xx
// answer; any other answer is an *Error with Paddle's error fields, and a
// request that got no answer is a *TransportError. Callers classify them
// (retry, not found, temporary) in their own terms.
package paddleapi
