package attribution

import (
	"slices"
	"strings"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// The second step of a decision: who is credited. A standing credit (a
// subscription's first payment, a customer's first credited order)
// outranks every touch; otherwise the order's rule chooses among its
// qualifying touches. Each rule marks the touches it credits Won (with
// why) and the others it outranked, and returns the credited affiliates.

// credit is one credited affiliate.
type credit struct {
	affiliate string
	code      *string
	click     *ClickTouch
	first     time.Time
	touches   []int // indexes into the touch list that won
}

// creditRule chooses the credited affiliates among a touch list's
// qualifying touches (none: nil).
type creditRule func(tl *touchList) []credit

// creditRules holds every Rule a Program accepts (Rule.Valid).
var creditRules = map[Rule]creditRule{
	CouponPriority: couponPriority,
	ClickPriority:  clickPriority,
	LastTouch:      lastTouch,
	FirstTouch:     firstTouch,
	Split:          split,
}

// credits is the credit step: the standing credit when there is one, else
// the rule's choice.
func (tl *touchList) credits() []credit {
	if tl.ev.in.standing != nil {
		return tl.standingCredit()
	}
	if rule, ok := creditRules[tl.ev.rule]; ok {
		return rule(tl)
	}
	return nil
}

// couponPriority credits the code, else the last qualifying click.
func couponPriority(tl *touchList) []credit {
	if tl.code >= 0 {
		return tl.award(tl.code, WonCodePriority)
	}
	return tl.award(tl.lastClick(), WonLastClick)
}

// clickPriority credits the last qualifying click, else the code.
func clickPriority(tl *touchList) []credit {
	if c := tl.lastClick(); c >= 0 {
		return tl.award(c, WonLastClick)
	}
	return tl.award(tl.code, WonNoClick)
}

// lastTouch credits the latest of the last qualifying click and the code;
// a tie goes to the code.
func lastTouch(tl *touchList) []credit {
	w := tl.lastClick()
	if tl.code >= 0 && (w < 0 || !tl.ev.codeAt.Before(tl.touches[w].At)) {
		w = tl.code
	}
	return tl.award(w, WonLatestTouch)
}

// firstTouch credits the earliest qualifying click, else the code.
func firstTouch(tl *touchList) []credit {
	if c := tl.firstClick(); c >= 0 {
		return tl.award(c, WonEarliestClick)
	}
	return tl.award(tl.code, WonNoClick)
}

// split credits every distinct affiliate with a qualifying touch, ordered
// by its first touch (ties by affiliate id); an affiliate's later click
// replaces its earlier one.
func split(tl *touchList) []credit {
	var credits []credit
	byAff := map[string]int{}
	add := func(aff string, at time.Time) *credit {
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
	if tl.code >= 0 {
		c := add(tl.entry.AffiliateID, tl.ev.codeAt)
		c.code = ptr(tl.entry.Code)
		c.touches = append(c.touches, tl.code)
	}
	for _, ti := range tl.qualified {
		cl := tl.click(ti)
		c := add(cl.AffiliateID, cl.At)
		tl.replaceClick(c, ti)
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
			tl.touches[ti].Won = true
			tl.touches[ti].Reason = ptr(WonSplitShare)
		}
	}
	return credits
}

// replaceClick makes click touch ti c's click touch: an earlier one of the
// same affiliate gives way (same_affiliate_later_click).
func (tl *touchList) replaceClick(c *credit, ti int) {
	isClick := func(p int) bool { return tl.touches[p].Kind == "click" }
	for _, prev := range c.touches {
		if isClick(prev) {
			tl.touches[prev].Reason = ptr(TouchSameAffiliate)
		}
	}
	c.touches = append(slices.DeleteFunc(c.touches, isClick), ti)
}

// award credits touch w alone (why it won) and marks the other qualifying
// touches outranked by it; w < 0 credits no one.
func (tl *touchList) award(w int, why string) []credit {
	if w < 0 {
		return nil
	}
	tl.touches[w].Won = true
	tl.touches[w].Reason = ptr(why)
	c := credit{touches: []int{w}}
	outranked := TouchOutrankedClick
	if w == tl.code {
		c.affiliate, c.code = tl.entry.AffiliateID, ptr(tl.entry.Code)
		outranked = TouchOutrankedCode
	} else {
		c.click = tl.click(w)
		c.affiliate = c.click.AffiliateID
	}
	for _, ti := range tl.competing() {
		if ti != w {
			tl.touches[ti].Reason = ptr(outranked)
		}
	}
	return []credit{c}
}

// standingCredit credits the input's standing credit through a touch of
// its own (kind subscription or customer), outranking every qualifying
// touch.
func (tl *touchList) standingCredit() []credit {
	in := tl.ev.in
	sc := in.standing
	t := schemas.Touch{Kind: in.standingMethod, AffiliateID: ptr(sc.affiliate), At: in.order.OccurredAt, Qualified: true, Won: true}
	t.Reason = ptr(WonSubscription)
	if in.standingMethod == MethodCustomer {
		t.Reason = ptr(WonCustomer)
	}
	for _, ti := range tl.competing() {
		tl.touches[ti].Reason = ptr(TouchOutrankedCredit)
	}
	c := credit{affiliate: sc.affiliate, touches: []int{len(tl.touches)}}
	if sc.code != "" {
		t.Code = ptr(sc.code)
		c.code = ptr(sc.code)
	}
	tl.touches = append(tl.touches, t)
	return []credit{c}
}
