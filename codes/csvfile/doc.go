// Package csvfile is the file format of the code registry: code
// definitions read from and written to CSV (ReadCSV, WriteCSV, Columns),
// the same columns as JSON fields (Entry, EntryOf, SheetOf: the admin
// API's bodies), the plan and report of an import (Plan, Import, Apply,
// Report, RowError; WriteReport prints a report), the list forms of
// `heldsway codes list` (WriteTable, WriteJSON), and codes generated from a
// rule for affiliates (Rule, ParseRule). It reads and writes through package codes/registry (a Lookup
// to plan against, a Writer to apply with); the registry does not import
// it.
//
// # Format
//
// Import and export share one format (see docs/codes-csv.md for the full
// description). Columns are found by header name, case-insensitive and
// trimmed, in any order; an unknown column is an error naming it.
//
//	code               required (may be empty when generating with a Rule)
//	affiliate_id       required
//	affiliate_name     optional; declares the affiliate, feeds {first}/{last}
//	affiliate_email    optional; only feeds {email}; not stored
//	coupon             default derived from the discount: percent-10, fixed-5.00-usd
//	discount_type      percent (default) or fixed
//	discount_value     percent "10" or "12.5"; fixed amount "5.00" in currency
//	currency           ISO-4217; required for fixed amounts and min_order
//	valid_from         date (start of day UTC) or RFC 3339 date-time
//	valid_until        date (END of that day UTC: 23:59:59.999) or date-time
//	max_uses           whole number >= 1; empty is unlimited
//	once_per_customer  boolean
//	min_order          amount in currency
//	first_order_only   boolean
//	requires_click     boolean
//	allowed_affiliates affiliate ids separated by ';'
//	commission_type    percent (of net order value) or fixed (per order)
//	commission_value   like discount_value; empty type and value: program default
//	recurring_months   0-120: renewals earn for that many months
//	status             active (default), paused or inactive
//
// Booleans are true/false, yes/no, 1/0 or empty (false). A date-time
// without an offset is UTC. On update, a column the file lacks keeps its
// value and an empty cell resets it; Platforms are never changed by an
// import.
//
// Formula injection (OWASP): the export prefixes with a single quote every
// cell that starts with '=', '+', '-', '@', tab or CR (or with quotes and
// then one of those), so a spreadsheet shows it as text; the import removes
// that one quote, so an export imports back unchanged.
//
// # Bad input
//
// ReadCSV rejects a file whose header is unusable (ErrFormat). Plan checks
// each row and reports every problem with its line and column (RowError):
// duplicate codes in the file (case-insensitively), malformed dates,
// valid_until before valid_from, negative amounts, percentages over 100,
// characters a platform the code is synced to rejects (warnings when no
// platform is known), a code that would move to another affiliate, a
// coupon whose codes disagree on the discount, and, when asked for
// (RequireKnownAffiliates), affiliates that hold no code and are not named
// with affiliate_name in the file. Any affiliate id is accepted otherwise:
// the registry is where affiliates get their codes, not a directory of
// affiliates. Atomic imports write nothing unless every row passes; the
// others write the valid rows and report the rest.
package csvfile
