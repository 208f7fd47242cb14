// Package codeadmin serves the code registry over HTTP under /v1/codes, behind
// the bearer token of the admin API: the same operations as `heldsway
// codes`, with the same CSV format and the same reports.
//
//	GET    /v1/codes                 list (JSON); filters affiliate, coupon, status, platform, prefix
//	GET    /v1/codes/export          CSV of the same selection (import round-trips it)
//	POST   /v1/codes/import          CSV body; ?dry_run=1&atomic=1&platform=stripe&require_known_affiliates=1&allow_reassign=1&rule=...
//	POST   /v1/codes/generate        {"rule", "affiliates": [{"id","name","email"}], "defaults": {column: value}, "dry_run", "platforms"}
//	POST   /v1/codes/deactivate      {"affiliate_id"}; ?dry_run=1
//	POST   /v1/codes/expire          {"before": "2026-01-01"}; ?dry_run=1
//	GET    /v1/codes/{code}          one code (JSON, ETag = version)
//	PUT    /v1/codes/{code}          create or update from CSV column names; "version" or If-Match for the check
//	DELETE /v1/codes/{code}          tombstone; ?version=N or If-Match
//
// Import and generate answer 200 with the report when every row succeeded,
// 422 with the report when some failed (atomic: nothing written; else the
// valid rows were written) and 400 when the file itself is unreadable.
// Version conflicts are 409, unknown codes 404.
//
// It is an edge in, like the webhooks and the conversion API: it is served
// by connectors/edge (bearer auth, body limits, JSON answers) and writes
// through the code registry (codes/registry, and codes/csvfile for the CSV
// format), neither of which imports a connector.
package codeadmin
