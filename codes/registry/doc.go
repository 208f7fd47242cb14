// Package registry is the code registry: which promotion code belongs to
// which affiliate and under what rules, kept in Kafka.
//
// # Model
//
// A coupon (CouponID) owns promotion codes and their discount: percent
// (basis points, 1000 = 10%) or fixed (minor units of Currency). Every code
// of one coupon has the same discount. Each code (schemas.Code) belongs to
// one affiliate (who may hold many codes) and carries its status (active,
// paused, inactive), validity window, global usage limit, once per
// customer, minimum order, first order only, the affiliates allowed to
// promote it (empty: only its owner), whether redemptions need a click from
// the affiliate (stuffing detection), an optional commission rule, and its
// sync state on the store platforms (Platforms, written by the syncer).
//
// Codes are compared in normalised form (promocode.Normalize): trimmed, Unicode NFKC,
// upper case. "sarah10", " SARAH10" and "ＳＡＲＡＨ１０" are one code, unique
// across all coupons. ForPlatform gives the form a platform gets
// (WooCommerce: lower case) and CheckPlatform the characters each accepts.
//
// # Registry
//
// The source of truth is the compacted topic <prefix>.codes.v1, keyed by
// the normalised code; the value is the Avro Code, a null value (tombstone)
// deletes. Registry materialises it (all partitions, from the start,
// read_committed) with lookups by code, affiliate, coupon and platform
// remote id; every process reading the topic converges on the same
// registry, and a new one restores it from the topic alone. Writer produces
// changes, each Apply in one Kafka transaction, with optimistic version
// checks: Version increments per change and EventID is
// schemas.ID(code, version). After writing, the Writer calls its Syncer
// (package connectors/codesync) with the definition changes.
//
// Validate checks a definition and names each problem by its field
// (FieldError, the Field constants); Select, Deactivate and Expire plan
// changes over a Lookup (the Registry, or NewMemLookup in tests).
// Importing and exporting code definitions as CSV, and generating codes
// from a rule, are package codes/csvfile; pushing codes to the store
// platforms is connectors/codesync; the HTTP admin API is connectors/codeadmin.
// The package imports no connector and no CSV code.
package registry
