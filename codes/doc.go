// Package codes is the code registry: which promotion code belongs to which
// affiliate and under what rules.
//
// Codes are compared in normalised form (Normalize): trimmed, Unicode NFKC,
// upper case. "sarah10", " SARAH10" and "ＳＡＲＡＨ１０" are one code.
package codes
