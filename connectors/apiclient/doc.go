// Package apiclient holds the settings every store-platform API client
// shares (stripe.Client, paddle.Client): a base URL, one API key per store,
// an HTTP client and a cache of resolved answers.
//
// A platform keeps its own exported ClientConfig, with its own field names
// and documented defaults, and converts it to a Config. Config.Validate
// checks it with the platform's wording; Open applies the defaults and
// returns a Conn, the ready-to-use settings a client keeps.
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
