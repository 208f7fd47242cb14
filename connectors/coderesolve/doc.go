// Package coderesolve turns a platform's discount id (a Stripe promotion
// code id, a Paddle discount id) into the code a customer typed, by asking
// sources in order: usually the code registry's synced ids first, then the
// platform API.
//
// A Source is anything with Code(ctx, storeID, id). First walks a list of
// sources, Kind.Lookup answers from a fixed map. The errors are the
// platform's own: a Kind carries the platform's not-found and temporary
// sentinels and the noun its messages use, so stripe and paddle keep their
// error texts and their errors.Is checks.
//
// Guarantees: the first source that knows the id wins; the answer wraps
// Kind.NotFound only when every source said not found, and Kind.Temporary
// when any source failed otherwise (the id may exist where the lookup
// failed), so a webhook can answer 503 and be redelivered.
package coderesolve
