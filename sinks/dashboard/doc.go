// Package dashboard serves HeldSway's analytics page at /dashboard: the
// per-code table (clicks, orders, conversion, revenue, AOV, commission,
// refund rate, flags, leak verdict) and two charts drawn as inline SVG by
// a small embedded script: redemptions per day with code_leak flags
// marked, and the click-versus-code share of attributed orders per code.
// Everything it needs is embedded (go:embed); no CDN, no build step.
//
// Routes (mounted on the ingest server by heldsway up / ingest):
//
//	GET /dashboard                    the page (?from=YYYY-MM-DD&to=...&code=...&currency=...)
//	GET /dashboard/static/{file}      its script and stylesheet
//	GET /dashboard/api/codes?from&to[&currency]       []analytics.CodeStats as JSON
//	GET /dashboard/api/daily?from&to[&code][&currency] []analytics.DayStats as JSON
//
// The figures come from a Source, in production an *analytics.Client over
// the ClickHouse rollups. The API defaults to the last 30 days. Mount
// registers the page, behind the API token login (RequireToken), on a
// server.
package dashboard
