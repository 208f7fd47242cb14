package attribution

import "github.com/heldsway/heldsway/schemas"

// The third step of a decision: what the credited affiliates earn, and
// the attribution's method, affiliate, code and click.

// earn is the commission step: it fills att from credits.
func (a *Attributor) earn(tl *touchList, credits []credit, att *schemas.Attribution) {
	switch {
	case len(credits) == 0:
		att.Method = MethodNone
		tl.reasons.add(ReasonNoQualifyingTouch)
	case tl.ev.in.standing != nil:
		a.earnStanding(tl, credits[0], att)
	case tl.ev.rule == Split:
		a.earnSplit(tl, credits, att)
	default:
		a.earnSingle(tl, credits[0], att)
	}
}

// earnStanding credits a standing credit: by its code's rule when the
// affiliate still owns the code, else by the affiliate's.
func (a *Attributor) earnStanding(tl *touchList, c credit, att *schemas.Attribution) {
	in := tl.ev.in
	att.AffiliateID, att.Code, att.Method = ptr(c.affiliate), c.code, in.standingMethod
	var codeEntry *schemas.Code
	if c.code != nil {
		if e := in.linkEntry(*c.code); e != nil && e.AffiliateID == c.affiliate {
			codeEntry = e
		}
	}
	att.Commission = a.commission(tl, c.affiliate, codeEntry, nil)
}

// earnSingle credits one code or click.
func (a *Attributor) earnSingle(tl *touchList, c credit, att *schemas.Attribution) {
	att.AffiliateID = ptr(c.affiliate)
	att.Code = c.code
	att.Method = MethodCode
	if c.click != nil {
		att.Method = MethodClick
		att.ClickID = ptr(c.click.ClickID)
		// A click through a code's link credits the code too, so that
		// the code's figures count its link partner's orders.
		att.Code = tl.ev.in.creditedLink(c)
	}
	att.Commission = a.commission(tl, c.affiliate, tl.entry, c.click)
}

// commission is what affiliate earns on the order by its rule (see
// commissionRule), recording why it earns nothing or less.
func (a *Attributor) commission(tl *touchList, affiliate string, entry *schemas.Code, click *ClickTouch) int64 {
	rule, ok := a.commissionRule(affiliate, entry, click, tl.ev.in)
	if !ok {
		tl.reasons.add(ReasonNoCommissionRule)
	}
	return tl.compute(rule)
}

// compute is ComputeCommission on the order, recording its reason.
func (tl *touchList) compute(rule schemas.CommissionRule) int64 {
	amt, why := ComputeCommission(rule, tl.ev.in.order)
	if why != "" {
		tl.reasons.add(why)
	}
	return amt
}

// earnSplit credits equal shares. Each affiliate earns its weight of what
// its own rule gives. When every share has the same rule, the commission
// is computed once and divided exactly (largest remainder), so the parts
// add up.
func (a *Attributor) earnSplit(tl *touchList, credits []credit, att *schemas.Attribution) {
	att.Method = MethodSplit
	weights := EqualWeights(len(credits))
	parts := a.splitParts(tl, credits, weights)
	for i, c := range credits {
		att.Commission += parts[i]
		sh := schemas.Share{AffiliateID: c.affiliate, Code: c.code, WeightBP: weights[i], Commission: parts[i]}
		if c.click != nil {
			sh.ClickID = ptr(c.click.ClickID)
			if sh.Code == nil {
				sh.Code = tl.ev.in.creditedLink(c)
			}
		}
		att.Shares = append(att.Shares, sh)
	}
	if len(credits) == 1 {
		att.AffiliateID = ptr(credits[0].affiliate)
	}
	if tl.code >= 0 {
		att.Code = ptr(tl.entry.Code)
	}
}

// splitParts is each share's commission.
func (a *Attributor) splitParts(tl *touchList, credits []credit, weights []int32) []int64 {
	rules := make([]schemas.CommissionRule, len(credits))
	same := true
	for i, c := range credits {
		rule, ok := a.commissionRule(c.affiliate, tl.entry, c.click, tl.ev.in)
		if !ok {
			tl.reasons.add(ReasonNoCommissionRule)
		}
		rules[i] = rule
		same = same && sameRule(rule, rules[0])
	}
	if same {
		return SplitAmount(tl.compute(rules[0]), weights)
	}
	parts := make([]int64, len(credits))
	for i := range credits {
		parts[i] = MulDivHalfEven(tl.compute(rules[i]), int64(weights[i]), 10000)
	}
	return parts
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
