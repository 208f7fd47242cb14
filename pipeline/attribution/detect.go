package attribution

import (
	"time"

	"github.com/heldsway/heldsway/pipeline/fraud"
	"github.com/heldsway/heldsway/schemas"
)

// The last step of a decision: stage 1's fraud detectors on what was
// credited.

// detect runs code_without_click on each credited code (not a standing
// credit's) and click_injection on the credited click closest to checkout.
func (a *Attributor) detect(tl *touchList, credits []credit) []schemas.Flag {
	in := tl.ev.in
	o := in.order
	ref := fraud.OrderRef{OrderID: o.OrderID, Platform: o.Platform, StoreID: o.StoreID, OccurredAt: o.OccurredAt}
	var flags []schemas.Flag
	for _, c := range credits {
		if c.code == nil || in.standing != nil {
			continue
		}
		if f, ok := a.detectStuffing(tl, ref); ok {
			flags = append(flags, f)
		}
	}
	if f, ok := a.detectInjection(tl, ref, lastCredited(credits)); ok {
		flags = append(flags, f)
	}
	return flags
}

// detectStuffing judges the order's code by its owner's human clicks.
func (a *Attributor) detectStuffing(tl *touchList, ref fraud.OrderRef) (schemas.Flag, bool) {
	entry := tl.entry
	var times []time.Time
	for _, ce := range tl.ev.clicks {
		if !ce.c.Bot && ce.c.AffiliateID == entry.AffiliateID {
			times = append(times, ce.c.At)
		}
	}
	return fraud.DetectStuffing(fraud.StuffingInput{
		Order: ref, Code: entry.Code, AffiliateID: entry.AffiliateID,
		RequiresClick: entry.RequiresClick, Window: tl.ev.window, AffiliateClicks: times,
	}, a.p.Defaults.StuffingSeverity, tl.ev.in.now)
}

// lastCredited is the credited click closest to checkout (nil: none).
func lastCredited(credits []credit) *ClickTouch {
	var last *ClickTouch
	for _, c := range credits {
		if c.click != nil && (last == nil || compareClicks(*c.click, *last) > 0) {
			last = c.click
		}
	}
	return last
}

// detectInjection judges click last (nil: no flag) against checkout.
func (a *Attributor) detectInjection(tl *touchList, ref fraud.OrderRef, last *ClickTouch) (schemas.Flag, bool) {
	if last == nil {
		return schemas.Flag{}, false
	}
	in := fraud.InjectionInput{
		Order: ref, CheckoutAt: tl.ev.in.order.OccurredAt, ClickID: last.ClickID, AffiliateID: last.AffiliateID,
		ClickAt: last.At, PageType: last.PageType,
	}
	if last.Code != "" {
		in.Code = ptr(last.Code)
	}
	return fraud.DetectInjection(in, a.p.Defaults.InjectionThreshold, a.p.Defaults.InjectionSeverity, tl.ev.in.now)
}
