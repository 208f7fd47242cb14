// Package click records affiliate link clicks.
//
// GET /c/{code} and /c/{code}/{destination} record a click for the code's
// affiliate and answer 302 to a configured destination with hs_cid (the click
// id) and hs_vid (the visitor id) appended, so the storefront can carry them
// into checkout. The visitor id lives in a first-party cookie (hs_vid) and is
// reused on later clicks. Only configured destinations are ever redirected
// to: there is no open redirect.
//
// POST /v1/clicks accepts batches from a server-side tracker (bearer token).
//
// An affiliate listed in a code's allowed_affiliates promotes it with
// /c/{code}?aff={affiliate id}, and a batch click may name it as
// affiliate_id with the code. The redirect records any other named
// affiliate as claimed (the processor does not let it qualify) and counts
// it; the batch API refuses it.
//
// Obvious bots (crawler and link-preview user agents, prefetch requests) are
// recorded with is_bot and a reason, not dropped; the processor never lets
// them qualify. IPs are replaced by their keyed hash at the edge.
//
// A redirect waits up to Config.PublishTimeout for Kafka to acknowledge the
// click. If Kafka does not answer, the customer is still redirected (a shop
// visit must never fail because of tracking), and the lost click is counted
// in the heldsway_clicks_unrecorded_total metric and logged; the click id in
// the URL still ties the later order to the visitor.
package click
