// Package promocode holds the canonical form of a promotion code: Normalize
// trims it, folds it under Unicode NFKC and upper-cases it, so "sarah10",
// " SARAH10" and "ＳＡＲＡＨ１０" are one code. It refuses an empty code, one
// longer than MaxLen characters, invalid UTF-8 and a code with a space or
// control character inside; every refusal wraps ErrInvalid.
//
// The codes topic is keyed by this form, and every edge that reads a code
// (webhooks, the conversion API, click links) compares codes in it. The
// package is a leaf: it imports nothing of HeldSway, so connectors, the
// code registry and the pipeline may all use it without pulling in Kafka.
package promocode
