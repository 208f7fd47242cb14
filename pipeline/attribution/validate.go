package attribution

import (
	"slices"

	"github.com/heldsway/heldsway/schemas"
)

// Code validation outcomes, recorded in Attribution.Reasons and, prefixed
// with "code_invalid:", as the Reason of the code's touch.
const (
	ReasonCodeUnknown       = "code_unknown"
	ReasonCodePaused        = "code_paused"
	ReasonCodeInactive      = "code_inactive"
	ReasonCodeNotYetValid   = "code_not_yet_valid"
	ReasonCodeExpired       = "code_expired"
	ReasonOncePerCustomer   = "once_per_customer"
	ReasonMinOrderCurrency  = "min_order_currency_mismatch"
	ReasonMinOrderNotMet    = "min_order_not_met"
	ReasonFirstOrderOnly    = "first_order_only"
	ReasonUsageLimitReached = "usage_limit_reached"
)

// ValidateCode returns every reason the registry entry (nil when the code
// is not in the registry) does not validate for order o, in a fixed order:
// unknown; status (paused, or inactive for any status but active);
// not yet valid (OccurredAt before ValidFrom); expired (OccurredAt after
// ValidUntil, which is inclusive); once per customer (facts.Redeemed has
// it); minimum order (MinOrder against Subtotal, in the code's Currency
// when set: another order currency is min_order_currency_mismatch);
// first order only (Customer.FirstOrder when the platform says, else no
// prior order in facts). The usage limit is stage 2's (Resolve). An empty
// result means valid.
func ValidateCode(entry *schemas.Code, o schemas.Order, facts Facts) []string {
	if entry == nil {
		return []string{ReasonCodeUnknown}
	}
	var rs []string
	switch entry.Status {
	case "active":
	case "paused":
		rs = append(rs, ReasonCodePaused)
	default:
		rs = append(rs, ReasonCodeInactive)
	}
	if entry.ValidFrom != nil && o.OccurredAt.Before(*entry.ValidFrom) {
		rs = append(rs, ReasonCodeNotYetValid)
	}
	if entry.ValidUntil != nil && o.OccurredAt.After(*entry.ValidUntil) {
		rs = append(rs, ReasonCodeExpired)
	}
	if entry.OncePerCustomer && slices.Contains(facts.Redeemed, entry.Code) {
		rs = append(rs, ReasonOncePerCustomer)
	}
	if entry.MinOrder != nil {
		switch {
		case entry.Currency != nil && *entry.Currency != o.Currency:
			rs = append(rs, ReasonMinOrderCurrency)
		case o.Subtotal < *entry.MinOrder:
			rs = append(rs, ReasonMinOrderNotMet)
		}
	}
	if entry.FirstOrderOnly {
		first := !facts.PriorOrder
		if o.Customer.FirstOrder != nil {
			first = *o.Customer.FirstOrder
		}
		if !first {
			rs = append(rs, ReasonFirstOrderOnly)
		}
	}
	return rs
}

// allowedToPromote reports whether affiliateID may promote the code: its
// owner always; anyone else only when listed in AllowedAffiliates (an
// empty list means only the owner).
func allowedToPromote(entry schemas.Code, affiliateID string) bool {
	return affiliateID == entry.AffiliateID || slices.Contains(entry.AllowedAffiliates, affiliateID)
}
