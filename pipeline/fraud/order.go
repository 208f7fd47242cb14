package fraud

import (
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// StuffingInput is what DetectStuffing needs about one redemption.
type StuffingInput struct {
	Order         OrderRef
	Code          string
	AffiliateID   string // the code's owner
	RequiresClick bool
	Window        time.Duration
	// AffiliateClicks are the event times of the customer's non-bot clicks
	// from AffiliateID, in any order.
	AffiliateClicks []time.Time
}

// DetectStuffing reports a code_without_click flag when the code requires a
// click and none of AffiliateClicks lies in [order-window, order]. now is
// the processing time written as DetectedAt.
func DetectStuffing(in StuffingInput, severity string, now time.Time) (schemas.Flag, bool) {
	if !in.RequiresClick {
		return schemas.Flag{}, false
	}
	at := in.Order.OccurredAt
	outside := 0
	for _, t := range in.AffiliateClicks {
		if !t.After(at) && at.Sub(t) <= in.Window {
			return schemas.Flag{}, false
		}
		outside++
	}
	ev := map[string]string{
		"window":            in.Window.String(),
		"clicks_in_window":  "0",
		"clicks_outside":    itoa(int64(outside)),
		"code_affiliate_id": in.AffiliateID,
	}
	return orderFlag(in.Order, TypeCodeWithoutClick, severity, ptr(in.Code), ptr(in.AffiliateID), ev, now), true
}

// InjectionInput is what DetectInjection needs about the credited click.
type InjectionInput struct {
	Order       OrderRef
	CheckoutAt  time.Time // the order's event time
	ClickID     string
	AffiliateID string
	Code        *string
	ClickAt     time.Time
	PageType    string // landing, product, cart, checkout or empty
}

// DetectInjection reports a click_injection flag when the click landed less
// than threshold before CheckoutAt or on a cart or checkout page.
func DetectInjection(in InjectionInput, threshold time.Duration, severity string, now time.Time) (schemas.Flag, bool) {
	gap := in.CheckoutAt.Sub(in.ClickAt)
	var why string
	switch {
	case in.PageType == "cart" || in.PageType == "checkout":
		why = "page_type"
	case gap < threshold:
		why = "too_close_to_checkout"
	default:
		return schemas.Flag{}, false
	}
	ev := map[string]string{
		"click_id":       in.ClickID,
		"seconds_before": itoa(int64(gap / time.Second)),
		"threshold":      threshold.String(),
		"why":            why,
	}
	if in.PageType != "" {
		ev["page_type"] = in.PageType
	}
	return orderFlag(in.Order, TypeClickInjection, severity, in.Code, ptr(in.AffiliateID), ev, now), true
}
