package attribution

import (
	"fmt"
	"slices"
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

type codeEval struct {
	code    string
	entry   *schemas.Code
	reasons []string
	dup     bool // listed again on the order: recorded, not evaluated
}

type clickEval struct {
	c      ClickTouch
	reason string // empty when qualified
}

// evaluation is the rule-independent part of a decision.
type evaluation struct {
	in      *input
	codes   []codeEval
	valid   int // index of the code (first valid), -1 when none
	clicks  []clickEval
	rule    Rule
	codeAt  time.Time
	window  time.Duration // the code's window, for stuffing
	clicked bool          // a non-bot click from the code's owner in window
}

func (a *Attributor) evaluate(in *input) *evaluation {
	o := in.order
	ev := &evaluation{in: in, valid: -1, rule: a.p.Defaults.Rule, codeAt: o.OccurredAt}
	if o.CodeAppliedAt != nil {
		ev.codeAt = *o.CodeAppliedAt
	}
	seen := map[string]bool{}
	for _, ac := range o.Codes {
		e := codeEval{code: ac.Code, entry: in.entry(ac.Code)}
		if seen[ac.Code] {
			e.dup = true
		} else {
			e.reasons = ValidateCode(e.entry, o, in.facts)
		}
		seen[ac.Code] = true
		if !e.dup && len(e.reasons) == 0 && ev.valid < 0 {
			ev.valid = len(ev.codes)
		}
		ev.codes = append(ev.codes, e)
	}
	var owner string
	if ev.valid >= 0 {
		e := ev.codes[ev.valid].entry
		owner = e.AffiliateID
		s := a.p.Settings(owner, e.Code)
		ev.rule, ev.window = s.Rule, s.Window
	}
	for _, c := range in.clicks {
		ce := clickEval{c: c}
		window := a.p.Settings(c.AffiliateID, c.Code).Window
		switch {
		case c.Bot:
			ce.reason = TouchBot
		case c.AffiliateID == "":
			ce.reason = TouchNoAffiliate
		case c.At.After(o.OccurredAt):
			ce.reason = TouchAfterOrder
		case o.OccurredAt.Sub(c.At) > window:
			ce.reason = TouchOutsideWindow
		case c.NotAllowed:
			ce.reason = TouchNotAllowed
		default:
			ce.reason = in.linkReason(c)
		}
		if owner != "" && !c.Bot && c.AffiliateID == owner && !c.At.After(o.OccurredAt) && o.OccurredAt.Sub(c.At) <= ev.window {
			ev.clicked = true
		}
		ev.clicks = append(ev.clicks, ce)
	}
	return ev
}

// credit is one credited affiliate.
type credit struct {
	affiliate string
	code      *string
	click     *ClickTouch
	first     time.Time
	touches   []int // indexes into the touch list that won
}

// decide builds the decision with the code (useCode) or as if the code had
// reached its usage limit.
func (a *Attributor) decide(ev *evaluation, useCode bool) Decision {
	in := ev.in
	o := in.order
	att := schemas.Attribution{
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
	var reasons []string
	addReason := func(r string) {
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	var touches []schemas.Touch
	codeTouch := -1
	for i, e := range ev.codes {
		t := schemas.Touch{Kind: "code", Code: ptr(e.code), At: ev.codeAt}
		if e.entry != nil {
			t.AffiliateID = ptr(e.entry.AffiliateID)
		}
		switch {
		case e.dup:
			t.Reason = ptr(TouchDuplicateCode)
		case len(e.reasons) > 0:
			t.Reason = ptr(TouchCodeInvalid + e.reasons[0])
			for _, r := range e.reasons {
				addReason(r)
			}
		case i == ev.valid && !useCode:
			t.Reason = ptr(TouchCodeInvalid + ReasonUsageLimitReached)
			addReason(ReasonUsageLimitReached)
		case i == ev.valid:
			t.Qualified = true
			codeTouch = len(touches)
		default:
			t.Reason = ptr(TouchNotFirstCode)
		}
		touches = append(touches, t)
	}
	var qualified []int // touch indexes of qualifying clicks, ascending time
	for _, ce := range ev.clicks {
		t := schemas.Touch{Kind: "click", ClickID: ptr(ce.c.ClickID), At: ce.c.At}
		if ce.c.AffiliateID != "" {
			t.AffiliateID = ptr(ce.c.AffiliateID)
		}
		if ce.c.Code != "" {
			t.Code = ptr(ce.c.Code)
		}
		if ce.reason != "" {
			t.Reason = ptr(ce.reason)
			switch ce.reason {
			case TouchLinkCodeInactive, TouchLinkCodePaused, TouchLinkCodeExpired, TouchLinkCodeNotYetValid, TouchAffiliateInactive:
				addReason(ce.reason)
			}
		} else {
			t.Qualified = true
			qualified = append(qualified, len(touches))
		}
		touches = append(touches, t)
	}
	clickAt := func(i int) *ClickTouch { return &ev.clicks[i-len(ev.codes)].c }

	// Pick the winner.
	winner, why := -1, ""
	lastClick, firstClick := -1, -1
	if n := len(qualified); n > 0 {
		lastClick, firstClick = qualified[n-1], qualified[0]
	}
	switch ev.rule {
	case CouponPriority:
		winner, why = codeTouch, WonCodePriority
		if winner < 0 {
			winner, why = lastClick, WonLastClick
		}
	case ClickPriority:
		winner, why = lastClick, WonLastClick
		if winner < 0 {
			winner, why = codeTouch, WonNoClick
		}
	case LastTouch:
		winner, why = lastClick, WonLatestTouch
		if codeTouch >= 0 && (lastClick < 0 || !ev.codeAt.Before(touches[lastClick].At)) {
			winner = codeTouch
		}
	case FirstTouch:
		winner, why = firstClick, WonEarliestClick
		if winner < 0 {
			winner, why = codeTouch, WonNoClick
		}
	}

	var credits []credit
	var entry *schemas.Code
	if codeTouch >= 0 {
		entry = ev.codes[ev.valid].entry
	}
	if sc := in.standing; sc != nil {
		// A standing credit outranks every touch.
		t := schemas.Touch{Kind: in.standingMethod, AffiliateID: ptr(sc.affiliate), At: o.OccurredAt, Qualified: true, Won: true}
		if sc.code != "" {
			t.Code = ptr(sc.code)
		}
		t.Reason = ptr(WonSubscription)
		if in.standingMethod == MethodCustomer {
			t.Reason = ptr(WonCustomer)
		}
		for _, ti := range append([]int{codeTouch}, qualified...) {
			if ti >= 0 {
				touches[ti].Reason = ptr(TouchOutrankedCredit)
			}
		}
		c := credit{affiliate: sc.affiliate, touches: []int{len(touches)}}
		if sc.code != "" {
			c.code = ptr(sc.code)
		}
		touches = append(touches, t)
		credits = append(credits, c)
	} else if ev.rule == Split {
		byAff := map[string]int{}
		add := func(aff string, ti int, at time.Time) *credit {
			k, ok := byAff[aff]
			if !ok {
				k = len(credits)
				byAff[aff] = k
				credits = append(credits, credit{affiliate: aff, first: at})
			}
			c := &credits[k]
			if at.Before(c.first) {
				c.first = at
			}
			return c
		}
		if codeTouch >= 0 {
			c := add(entry.AffiliateID, codeTouch, ev.codeAt)
			c.code = ptr(entry.Code)
			c.touches = append(c.touches, codeTouch)
		}
		for _, ti := range qualified {
			cl := clickAt(ti)
			c := add(cl.AffiliateID, ti, cl.At)
			for _, prev := range c.touches {
				if touches[prev].Kind == "click" {
					touches[prev].Reason = ptr(TouchSameAffiliate)
				}
			}
			c.touches = slices.DeleteFunc(c.touches, func(p int) bool { return touches[p].Kind == "click" })
			c.touches = append(c.touches, ti)
			c.click = cl
		}
		slices.SortStableFunc(credits, func(x, y credit) int {
			if c := x.first.Compare(y.first); c != 0 {
				return c
			}
			return strings.Compare(x.affiliate, y.affiliate)
		})
		for _, c := range credits {
			for _, ti := range c.touches {
				touches[ti].Won = true
				touches[ti].Reason = ptr(WonSplitShare)
			}
		}
	} else if winner >= 0 {
		touches[winner].Won = true
		touches[winner].Reason = ptr(why)
		c := credit{touches: []int{winner}}
		if winner == codeTouch {
			c.affiliate, c.code = entry.AffiliateID, ptr(entry.Code)
		} else {
			c.click = clickAt(winner)
			c.affiliate = c.click.AffiliateID
		}
		credits = append(credits, c)
		for _, ti := range append([]int{codeTouch}, qualified...) {
			if ti < 0 || ti == winner {
				continue
			}
			if winner == codeTouch {
				touches[ti].Reason = ptr(TouchOutrankedCode)
			} else {
				touches[ti].Reason = ptr(TouchOutrankedClick)
			}
		}
	}

	// Credit and commission.
	switch {
	case len(credits) == 0:
		att.Method = MethodNone
		addReason(ReasonNoQualifyingTouch)
	case in.standing != nil:
		c := credits[0]
		att.AffiliateID, att.Code, att.Method = ptr(c.affiliate), c.code, in.standingMethod
		var codeEntry *schemas.Code
		if c.code != nil {
			if e := in.linkEntry(*c.code); e != nil && e.AffiliateID == c.affiliate {
				codeEntry = e
			}
		}
		rule, ok := a.commissionRule(c.affiliate, codeEntry, nil, in)
		if !ok {
			addReason(ReasonNoCommissionRule)
		}
		amt, why := ComputeCommission(rule, o)
		if why != "" {
			addReason(why)
		}
		att.Commission = amt
	case ev.rule == Split:
		att.Method = MethodSplit
		// Each affiliate earns its weight of what its own rule gives. When
		// every share has the same rule, the commission is computed once
		// and divided exactly (largest remainder), so the parts add up.
		weights := EqualWeights(len(credits))
		rules := make([]schemas.CommissionRule, len(credits))
		same := true
		for i, c := range credits {
			rule, ok := a.commissionRule(c.affiliate, entry, c.click, in)
			if !ok {
				addReason(ReasonNoCommissionRule)
			}
			rules[i] = rule
			same = same && sameRule(rule, rules[0])
		}
		parts := make([]int64, len(credits))
		if same {
			total, why := ComputeCommission(rules[0], o)
			if why != "" {
				addReason(why)
			}
			parts = SplitAmount(total, weights)
		} else {
			for i := range credits {
				full, why := ComputeCommission(rules[i], o)
				if why != "" {
					addReason(why)
				}
				parts[i] = MulDivHalfEven(full, int64(weights[i]), 10000)
			}
		}
		var pool int64
		for i, c := range credits {
			pool += parts[i]
			sh := schemas.Share{AffiliateID: c.affiliate, Code: c.code, WeightBP: weights[i], Commission: parts[i]}
			if c.click != nil {
				sh.ClickID = ptr(c.click.ClickID)
				if sh.Code == nil {
					sh.Code = in.creditedLink(c)
				}
			}
			att.Shares = append(att.Shares, sh)
		}
		att.Commission = pool
		if len(credits) == 1 {
			att.AffiliateID = ptr(credits[0].affiliate)
		}
		if codeTouch >= 0 {
			att.Code = ptr(entry.Code)
		}
	default:
		c := credits[0]
		att.AffiliateID = ptr(c.affiliate)
		att.Code = c.code
		att.Method = MethodCode
		if c.click != nil {
			att.Method = MethodClick
			att.ClickID = ptr(c.click.ClickID)
			// A click through a code's link credits the code too, so that
			// the code's figures count its link partner's orders.
			att.Code = in.creditedLink(c)
		}
		rule, ok := a.commissionRule(c.affiliate, entry, c.click, in)
		if !ok {
			addReason(ReasonNoCommissionRule)
		}
		amt, why := ComputeCommission(rule, o)
		if why != "" {
			addReason(why)
		}
		att.Commission = amt
	}
	att.Touches = touches
	d := Decision{Attribution: att}

	// Fraud.
	ref := fraud.OrderRef{OrderID: o.OrderID, Platform: o.Platform, StoreID: o.StoreID, OccurredAt: o.OccurredAt}
	for _, c := range credits {
		if c.code == nil || in.standing != nil {
			continue
		}
		var times []time.Time
		for _, ce := range ev.clicks {
			if !ce.c.Bot && ce.c.AffiliateID == entry.AffiliateID {
				times = append(times, ce.c.At)
			}
		}
		f, ok := fraud.DetectStuffing(fraud.StuffingInput{
			Order: ref, Code: entry.Code, AffiliateID: entry.AffiliateID,
			RequiresClick: entry.RequiresClick, Window: ev.window, AffiliateClicks: times,
		}, a.p.Defaults.StuffingSeverity, in.now)
		if ok {
			d.Flags = append(d.Flags, f)
		}
	}
	// The credited click closest to checkout is judged for injection.
	var last *ClickTouch
	for _, c := range credits {
		if c.click != nil && (last == nil || compareClicks(*c.click, *last) > 0) {
			last = c.click
		}
	}
	if last != nil {
		in := fraud.InjectionInput{
			Order: ref, CheckoutAt: o.OccurredAt, ClickID: last.ClickID, AffiliateID: last.AffiliateID,
			ClickAt: last.At, PageType: last.PageType,
		}
		if last.Code != "" {
			in.Code = ptr(last.Code)
		}
		if f, ok := fraud.DetectInjection(in, a.p.Defaults.InjectionThreshold, a.p.Defaults.InjectionSeverity, ev.in.now); ok {
			d.Flags = append(d.Flags, f)
		}
	}
	for _, f := range d.Flags {
		addReason(ReasonFlagPrefix + f.Type)
	}
	d.Attribution.Reasons = reasons
	d.applyStatus()
	return d
}

func sameRule(a, b schemas.CommissionRule) bool {
	return a.Type == b.Type && a.Value == b.Value && a.RecurringMonths == b.RecurringMonths &&
		(a.Currency == nil) == (b.Currency == nil) && (a.Currency == nil || *a.Currency == *b.Currency)
}

// commissionRule is the rule a credited affiliate earns by, and whether
// any rule applies (false: no code commission, no program override, and a
// default of 0):
//
//   - credited through the order's code (the affiliate owns it): the
//     code's own Commission, else the program's settings for the code
//     (code override > affiliate override > default);
//   - credited through a click on a code's link (the affiliate owns the
//     code or is allowed to promote it): the same for the link's code;
//   - otherwise: the program's settings for the affiliate (affiliate
//     override > default).
func (a *Attributor) commissionRule(affiliate string, entry *schemas.Code, click *ClickTouch, in *input) (schemas.CommissionRule, bool) {
	code := entry
	if click != nil {
		code = nil
		if e := in.linkEntry(click.Code); e != nil && allowedToPromote(*e, affiliate) {
			code = e
		}
	} else if entry != nil && entry.AffiliateID != affiliate {
		code = nil
	}
	if code != nil {
		if code.Commission != nil {
			return *code.Commission, true
		}
		s := a.p.Settings(affiliate, code.Code)
		return s.Commission, s.CommissionSet
	}
	s := a.p.Settings(affiliate, "")
	return s.Commission, s.CommissionSet
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
