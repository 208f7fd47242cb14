// Package apiclient holds the settings every store-platform API client
// shares (stripe.Client, paddle.Client): a base URL, one API key per store,
// an HTTP client and a cache of resolved answers.
//
// A platform keeps its own exported ClientConfig, with its own field names
// and documented defaults, and converts it to a Config. Config.Validate
// checks it with the platform's wording; Open applies the defaults and
// returns a Conn, the ready-to-use settings a client keeps.
//
// Account is the same for a client of one account sending with one key
// (stripeapi, paddleapi): each converts its Config to an Account, whose
// Validate wraps the platform's ErrConfig and whose NewClient returns the
// Client (stripeapi.Client and paddleapi.Client are this type). Answered
// is an answer outside 2xx as any platform's client reports it (a
// *StatusError or the platform's error type with its reason), so that a
// caller puts them in its own terms once (connectors/codesync).
//
// HTTP is the request mechanics every platform API client sends through
// (stripeapi, paddleapi, and connectors/codesync's Shopify and WooCommerce
// remotes): a Request in, the 2xx body decoded, a *StatusError (with the
// raw body, for the platform to read its error object) or a
// *TransportError (no whole answer) out, answers read up to MaxBody.
//
// Guarantees: Open copies the key map, so a caller changing its map later
// does not change the client; BaseURL has no trailing slash.
package apiclient
