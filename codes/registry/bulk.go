package registry

import (
	"strings"
	"time"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Filter selects codes; zero fields match everything.
type Filter struct {
	Affiliate string // owner
	Coupon    string
	Status    string
	Platform  string // synced (any status) to this platform
	// Prefix matches the start of the normalised code.
	Prefix string
}

// Match reports whether c passes f.
func (f Filter) Match(c *schemas.Code) bool {
	if f.Affiliate != "" && c.AffiliateID != f.Affiliate ||
		f.Coupon != "" && c.CouponID != f.Coupon ||
		f.Status != "" && c.Status != strings.ToLower(f.Status) {
		return false
	}
	if f.Prefix != "" {
		p, err := promocode.Normalize(f.Prefix)
		if err != nil || !strings.HasPrefix(c.Code, p) {
			return false
		}
	}
	if f.Platform != "" {
		for _, p := range c.Platforms {
			if strings.EqualFold(p.Platform, f.Platform) {
				return true
			}
		}
		return false
	}
	return true
}

// Select returns the codes of l that match f, sorted by code.
func Select(l Lookup, f Filter) []schemas.Code {
	var all []schemas.Code
	if f.Affiliate != "" {
		all = l.ByAffiliate(f.Affiliate)
	} else if f.Coupon != "" {
		all = l.ByCoupon(f.Coupon)
	} else {
		all = l.All()
	}
	out := all[:0]
	for i := range all {
		if f.Match(&all[i]) {
			out = append(out, all[i])
		}
	}
	return out
}

// Deactivate returns the changes that make every active or paused code of
// affiliate inactive, e.g. when the affiliate leaves the program. Codes it
// may only promote (AllowedAffiliates) are not touched.
func Deactivate(l Lookup, affiliate string) []Change {
	return retire(l.ByAffiliate(affiliate), func(*schemas.Code) bool { return true })
}

// Expire returns the changes that make inactive every active or paused
// code whose validity ended before before (ValidUntil < before), so the
// platforms stop accepting it and listings stop showing it as live.
func Expire(l Lookup, before time.Time) []Change {
	return retire(l.All(), func(c *schemas.Code) bool { return c.ValidUntil != nil && c.ValidUntil.Before(before) })
}

func retire(cs []schemas.Code, pick func(*schemas.Code) bool) []Change {
	var out []Change
	for i := range cs {
		c := &cs[i]
		if c.Status == StatusInactive || !pick(c) {
			continue
		}
		base := c.Version
		c.Status = StatusInactive
		out = append(out, Change{Code: c.Code, Base: base, Value: c})
	}
	return out
}
