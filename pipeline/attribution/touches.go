package attribution

import (
	"slices"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// The first step of a decision: every code and click of the order judged
// on its own (evaluate, once per candidate), then listed as the touches of
// one of the candidate's two decisions (touches), with or without the
// code.

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
	ev.evaluateCodes()
	var owner string
	if ev.valid >= 0 {
		e := ev.codes[ev.valid].entry
		owner = e.AffiliateID
		s := a.p.Settings(owner, e.Code)
		ev.rule, ev.window = s.Rule, s.Window
	}
	for _, c := range in.clicks {
		window := a.p.Settings(c.AffiliateID, c.Code).Window
		ev.clicks = append(ev.clicks, clickEval{c: c, reason: clickReason(in, c, window)})
		if owner != "" && c.AffiliateID == owner && inWindow(c, o.OccurredAt, ev.window) {
			ev.clicked = true
		}
	}
	return ev
}

// evaluateCodes validates the order's codes in order; the first valid one
// is the order's code.
func (ev *evaluation) evaluateCodes() {
	o := ev.in.order
	seen := map[string]bool{}
	for _, ac := range o.Codes {
		e := codeEval{code: ac.Code, entry: ev.in.entry(ac.Code)}
		if seen[ac.Code] {
			e.dup = true
		} else {
			e.reasons = ValidateCode(e.entry, o, ev.in.facts)
		}
		seen[ac.Code] = true
		if !e.dup && len(e.reasons) == 0 && ev.valid < 0 {
			ev.valid = len(ev.codes)
		}
		ev.codes = append(ev.codes, e)
	}
}

// clickReason is why click c does not qualify for the order ("" when it
// does); window is the click's own (its affiliate's and its code's).
func clickReason(in *input, c ClickTouch, window time.Duration) string {
	o := in.order
	switch {
	case c.Bot:
		return TouchBot
	case c.AffiliateID == "":
		return TouchNoAffiliate
	case c.At.After(o.OccurredAt):
		return TouchAfterOrder
	case o.OccurredAt.Sub(c.At) > window:
		return TouchOutsideWindow
	case c.NotAllowed:
		return TouchNotAllowed
	}
	return in.linkReason(c)
}

// inWindow reports whether c is a human click at most window before at.
func inWindow(c ClickTouch, at time.Time, window time.Duration) bool {
	return !c.Bot && !c.At.After(at) && at.Sub(c.At) <= window
}

// reasonList is an attribution's Reasons: each reason once, in the order
// first given.
type reasonList []string

func (r *reasonList) add(s string) {
	if !slices.Contains(*r, s) {
		*r = append(*r, s)
	}
}

// touchList is the touches of one decision and what the rules choose
// from.
type touchList struct {
	ev      *evaluation
	touches []schemas.Touch
	// code is the index of the qualifying code touch (-1: none), entry
	// its registry entry.
	code  int
	entry *schemas.Code
	// qualified holds the indexes of the qualifying clicks, in ascending
	// time.
	qualified []int
	reasons   reasonList
}

// touches lists the order's codes, then its clicks, as touches; useCode
// false lists the order's code as invalid for usage_limit_reached.
func (ev *evaluation) touches(useCode bool) *touchList {
	tl := &touchList{ev: ev, code: -1}
	for i, e := range ev.codes {
		tl.addCode(i, e, useCode)
	}
	if tl.code >= 0 {
		tl.entry = ev.codes[ev.valid].entry
	}
	for _, ce := range ev.clicks {
		tl.addClick(ce)
	}
	return tl
}

func (tl *touchList) addCode(i int, e codeEval, useCode bool) {
	t := schemas.Touch{Kind: "code", Code: ptr(e.code), At: tl.ev.codeAt}
	if e.entry != nil {
		t.AffiliateID = ptr(e.entry.AffiliateID)
	}
	switch {
	case e.dup:
		t.Reason = ptr(TouchDuplicateCode)
	case len(e.reasons) > 0:
		t.Reason = ptr(TouchCodeInvalid + e.reasons[0])
		for _, r := range e.reasons {
			tl.reasons.add(r)
		}
	case i == tl.ev.valid && !useCode:
		t.Reason = ptr(TouchCodeInvalid + ReasonUsageLimitReached)
		tl.reasons.add(ReasonUsageLimitReached)
	case i == tl.ev.valid:
		t.Qualified = true
		tl.code = len(tl.touches)
	default:
		t.Reason = ptr(TouchNotFirstCode)
	}
	tl.touches = append(tl.touches, t)
}

func (tl *touchList) addClick(ce clickEval) {
	t := schemas.Touch{Kind: "click", ClickID: ptr(ce.c.ClickID), At: ce.c.At}
	if ce.c.AffiliateID != "" {
		t.AffiliateID = ptr(ce.c.AffiliateID)
	}
	if ce.c.Code != "" {
		t.Code = ptr(ce.c.Code)
	}
	switch ce.reason {
	case "":
		t.Qualified = true
		tl.qualified = append(tl.qualified, len(tl.touches))
	case TouchLinkCodeInactive, TouchLinkCodePaused, TouchLinkCodeExpired, TouchLinkCodeNotYetValid, TouchAffiliateInactive:
		// The order's own reasons say why a link partner was not credited.
		tl.reasons.add(ce.reason)
	}
	if ce.reason != "" {
		t.Reason = ptr(ce.reason)
	}
	tl.touches = append(tl.touches, t)
}

// click is the click of touch i (a click touch).
func (tl *touchList) click(i int) *ClickTouch { return &tl.ev.clicks[i-len(tl.ev.codes)].c }

// lastClick and firstClick are the latest and earliest qualifying click
// touches (-1: none).
func (tl *touchList) lastClick() int {
	if n := len(tl.qualified); n > 0 {
		return tl.qualified[n-1]
	}
	return -1
}

func (tl *touchList) firstClick() int {
	if len(tl.qualified) > 0 {
		return tl.qualified[0]
	}
	return -1
}

// competing is the qualifying touches: the code's, when it qualifies, then
// the clicks'.
func (tl *touchList) competing() []int {
	out := make([]int, 0, 1+len(tl.qualified))
	if tl.code >= 0 {
		out = append(out, tl.code)
	}
	return append(out, tl.qualified...)
}
