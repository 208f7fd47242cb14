package attribution

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/pipeline/fraud"
	"github.com/heldsway/heldsway/schemas"
)

// Statuses and methods, as in schemas.Attribution.
const (
	StatusApproved      = "approved"
	StatusPendingReview = "pending_review"
	StatusRejected      = "rejected"
	StatusUnattributed  = "unattributed"

	MethodCode  = "code"
	MethodClick = "click"
	MethodSplit = "split"
	MethodNone  = "none"
	// MethodSubscription: a renewal without a code, credited to the
	// affiliate of the subscription's first payment.
	MethodSubscription = "subscription"
	// MethodCustomer: an order within the program's lifetime_months of
	// the customer's first credited order, credited to its affiliate.
	MethodCustomer = "customer"
)

// Touch reasons. A qualifying touch that did not win says what beat it.
const (
	TouchBot            = "bot"
	TouchNoAffiliate    = "no_affiliate"
	TouchAfterOrder     = "after_order"
	TouchOutsideWindow  = "outside_window"
	TouchNotAllowed     = "affiliate_not_allowed"
	TouchCodeInvalid    = "code_invalid:" // + the validation reason
	TouchNotFirstCode   = "not_first_valid_code"
	TouchDuplicateCode  = "duplicate_code"
	TouchOutrankedCode  = "outranked_by_code"
	TouchOutrankedClick = "outranked_by_click"
	TouchSameAffiliate  = "same_affiliate_later_click"
	// TouchOutrankedCredit: a code or click beaten by a subscription's or
	// a customer's standing credit.
	TouchOutrankedCredit = "outranked_by_standing_credit"
	// A click through the link of a code that is not active, or outside
	// its validity at the click's time, does not qualify; nor does a click
	// of an affiliate the registry knows only with inactive codes (it left
	// the program).
	TouchLinkCodeInactive    = "link_code_inactive"
	TouchLinkCodePaused      = "link_code_paused"
	TouchLinkCodeExpired     = "link_code_expired"
	TouchLinkCodeNotYetValid = "link_code_not_yet_valid"
	TouchAffiliateInactive   = "affiliate_inactive"

	WonCodePriority  = "code_priority"
	WonLastClick     = "last_click"
	WonNoClick       = "no_qualifying_click"
	WonLatestTouch   = "latest_touch"
	WonEarliestClick = "earliest_click"
	WonSplitShare    = "split_share"
	WonSubscription  = "subscription_first_payment"
	WonCustomer      = "customer_first_order"

	ReasonNoQualifyingTouch = "no_qualifying_touch"
	// ReasonNoCommissionRule: the credited affiliate earns by no rule (no
	// code commission, no program override, a default of 0).
	ReasonNoCommissionRule = "no_commission_rule"
	ReasonFlagPrefix       = "flag:" // + flag type
)

// Decision is one complete outcome for an order: the attribution and the
// flags behind its status.
type Decision struct {
	Attribution schemas.Attribution `json:"a"`
	Flags       []schemas.Flag      `json:"f,omitempty"`
}

// AddFlag adds f (e.g. a code_leak flag from stage 2 during an episode)
// and recomputes the status: reject beats review beats approved. A
// rejected attribution earns nothing. Unattributed stays unattributed.
func (d *Decision) AddFlag(f schemas.Flag) {
	d.Flags = append(d.Flags, f)
	d.Attribution.Reasons = append(d.Attribution.Reasons, ReasonFlagPrefix+f.Type)
	d.applyStatus()
}

func (d *Decision) applyStatus() {
	a := &d.Attribution
	if a.Method == MethodNone {
		a.Status = StatusUnattributed
		return
	}
	a.Status = StatusApproved
	for _, f := range d.Flags {
		switch {
		case f.Severity == fraud.SeverityReject:
			a.Status = StatusRejected
		case a.Status == StatusApproved:
			a.Status = StatusPendingReview
		}
	}
	if a.Status == StatusRejected {
		a.Commission = 0
		for i := range a.Shares {
			a.Shares[i].Commission = 0
		}
	}
}

// AttributionID is the deterministic event id of version v of an order's
// attribution.
func AttributionID(platform, storeID, orderID string, v int32) string {
	return schemas.ID(platform, storeID, orderID, "attribution", strconv.Itoa(int(v)))
}

// input is everything a decision depends on.
type input struct {
	order schemas.Order
	codes []schemas.Code // registry snapshot of the order's codes
	// lookup reads the registry for codes the snapshot does not hold
	// (those of the clicks' links); nil reads nothing.
	lookup CodeLookup
	// affiliates says whether an affiliate has left the program; nil
	// knows none.
	affiliates AffiliateLookup
	// standing, when set, is the credit the order gets before any touch:
	// the subscription's first payment's, or the customer's first
	// credited order's; standingMethod is MethodSubscription or
	// MethodCustomer.
	standing       *standingCredit
	standingMethod string
	facts          Facts
	clicks         []ClickTouch
	version        int32
	now            time.Time
	// hold is the leak hold stage 2 asked for (HoldNone, HoldReview,
	// HoldReject): applied to the decision with the code.
	hold byte
}

// standingCredit is an affiliate (and the code, if any) credited before
// any touch.
type standingCredit struct {
	affiliate, code string
}

func (in *input) entry(code string) *schemas.Code {
	for i := range in.codes {
		if in.codes[i].Code == code {
			return &in.codes[i]
		}
	}
	return nil
}

// linkEntry is the registry entry of a click's link code: the order's
// snapshot when the order has it, else the registry now.
func (in *input) linkEntry(code string) *schemas.Code {
	if code == "" {
		return nil
	}
	if e := in.entry(code); e != nil {
		return e
	}
	if e, ok := lookupCode(in.lookup, code); ok {
		return &e
	}
	return nil
}

// creditedLink is the code of a credited click's link, when its affiliate
// may promote that code: the attribution names it so that per-code
// figures count orders won through the link (nil otherwise).
func (in *input) creditedLink(c credit) *string {
	if c.click == nil {
		return nil
	}
	if e := in.linkEntry(c.click.Code); e != nil && allowedToPromote(*e, c.affiliate) {
		return ptr(e.Code)
	}
	return nil
}

// linkReason is why a click through a link of code entry e, or of an
// affiliate that left the program, does not qualify ("" when it may).
func (in *input) linkReason(c ClickTouch) string {
	if e := in.linkEntry(c.Code); e != nil {
		switch {
		case e.Status == "paused":
			return TouchLinkCodePaused
		case e.Status != "active":
			return TouchLinkCodeInactive
		case e.ValidFrom != nil && c.At.Before(*e.ValidFrom):
			return TouchLinkCodeNotYetValid
		case e.ValidUntil != nil && c.At.After(*e.ValidUntil):
			return TouchLinkCodeExpired
		}
	}
	if in.affiliates != nil && c.AffiliateID != "" {
		if known, active := in.affiliates(c.AffiliateID); known && !active {
			return TouchAffiliateInactive
		}
	}
	return ""
}

// decide builds the decision with the code (useCode) or as if the code had
// reached its usage limit, in four steps: the touches, the credit (a
// standing credit, else the rule's choice: rules.go), the commission
// (earn.go) and the fraud detectors (detect.go).
func (a *Attributor) decide(ev *evaluation, useCode bool) Decision {
	tl := ev.touches(useCode)
	credits := tl.credits()
	att := ev.header()
	a.earn(tl, credits, &att)
	att.Touches = tl.touches
	d := Decision{Attribution: att, Flags: a.detect(tl, credits)}
	for _, f := range d.Flags {
		tl.reasons.add(ReasonFlagPrefix + f.Type)
	}
	d.Attribution.Reasons = tl.reasons
	d.applyStatus()
	return d
}

// header is the attribution's order fields, before any credit.
func (ev *evaluation) header() schemas.Attribution {
	in := ev.in
	o := in.order
	return schemas.Attribution{
		EventID:         AttributionID(o.Platform, o.StoreID, o.OrderID, in.version),
		OrderID:         o.OrderID,
		Platform:        o.Platform,
		StoreID:         o.StoreID,
		Version:         in.version,
		Rule:            string(ev.rule),
		CustomerKey:     o.Customer.Key,
		Currency:        o.Currency,
		OrderTotal:      o.Total,
		NetAmount:       NetAmount(o),
		OrderOccurredAt: o.OccurredAt,
		DecidedAt:       in.now,
	}
}

// digest summarises what a decision credits, to tell whether a
// recomputation changed it.
func (d *Decision) digest() string {
	a := d.Attribution
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%d", a.Status, a.Method, deref(a.AffiliateID), deref(a.Code), deref(a.ClickID), a.Commission)
	for _, s := range a.Shares {
		fmt.Fprintf(&b, "|%s/%s/%d/%d", s.AffiliateID, deref(s.ClickID), s.WeightBP, s.Commission)
	}
	for _, f := range d.Flags {
		fmt.Fprintf(&b, "|%s", f.Type)
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
