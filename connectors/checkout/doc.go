// Package checkout turns what a store platform says about a paid checkout
// into HeldSway's canonical records.
package checkout
