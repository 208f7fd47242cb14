// Package urlscrub removes what may identify a person from the URLs the
// edge receives (landing pages, referrers) before anything is published:
// URLs are stored in Kafka, the processor's state and ClickHouse, and a
// query string or fragment often carries an email, a name or a session
// token (a newsletter link with ?email=, a password-reset referrer).
//
// Scrub keeps the scheme, host and path, drops the userinfo and the
// fragment, and keeps only allowlisted query parameters: utm_* and the ad
// platforms' click ids (gclid, fbclid, msclkid, ttclid, ...) plus
// HeldSway's own hs_cid and hs_vid. A kept parameter whose value holds an
// '@' is dropped too, and so is a path segment holding one, so an email
// survives nowhere. It never adds anything but percent-encoding.
package urlscrub
