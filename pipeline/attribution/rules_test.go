package attribution

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// touchSet is one combination of touches before an order at t0.
type touchSet struct {
	name   string
	clicks []schemas.Click
	codes  []string
	// want is the outcome under each rule, in allRules order, written as
	// method:affiliate (split: the share affiliates joined by +).
	want [5]string
}

var allRules = [5]Rule{CouponPriority, ClickPriority, LastTouch, FirstTouch, Split}

func mkClick(id, aff string, at time.Duration, opts ...func(*schemas.Click)) schemas.Click {
	c := schemas.Click{EventID: "ev-" + id, ClickID: id, OccurredAt: t0.Add(at)}
	if aff != "" {
		c.AffiliateID = &aff
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func bot(c *schemas.Click) { c.IsBot = true }

// TestRuleMatrix runs every rule against every touch combination.
func TestRuleMatrix(t *testing.T) {
	past := t0.Add(-time.Hour)
	future := t0.Add(time.Hour)
	registry := map[string]schemas.Code{
		"GOOD":    {Code: "GOOD", AffiliateID: "aff-code", Status: "active"},
		"EXPIRED": {Code: "EXPIRED", AffiliateID: "aff-code", Status: "active", ValidUntil: &past},
		"EARLY":   {Code: "EARLY", AffiliateID: "aff-code", Status: "active", ValidFrom: &future},
		"PAUSED":  {Code: "PAUSED", AffiliateID: "aff-code", Status: "paused"},
		"INACT":   {Code: "INACT", AffiliateID: "aff-code", Status: "inactive"},
		"MIN":     {Code: "MIN", AffiliateID: "aff-code", Status: "active", MinOrder: ptr(int64(1_000_000))},
		"FIRST":   {Code: "FIRST", AffiliateID: "aff-code", Status: "active", FirstOrderOnly: true},
	}
	valid := []touchSet{
		{name: "no touch", want: [5]string{"none", "none", "none", "none", "none"}},
		{name: "code only", codes: []string{"GOOD"},
			want: [5]string{"code:aff-code", "code:aff-code", "code:aff-code", "code:aff-code", "split:aff-code"}},
		{name: "click only", clicks: []schemas.Click{mkClick("c1", "aff-a", -time.Hour)},
			want: [5]string{"click:aff-a", "click:aff-a", "click:aff-a", "click:aff-a", "split:aff-a"}},
		{name: "code and click same affiliate", codes: []string{"GOOD"}, clicks: []schemas.Click{mkClick("c1", "aff-code", -time.Hour)},
			want: [5]string{"code:aff-code", "click:aff-code", "code:aff-code", "click:aff-code", "split:aff-code"}},
		{name: "code and click different affiliates", codes: []string{"GOOD"}, clicks: []schemas.Click{mkClick("c1", "aff-a", -time.Hour)},
			want: [5]string{"code:aff-code", "click:aff-a", "code:aff-code", "click:aff-a", "split:aff-a+aff-code"}},
		{name: "multiple clicks", clicks: []schemas.Click{mkClick("c1", "aff-a", -3*time.Hour), mkClick("c2", "aff-b", -time.Hour)},
			want: [5]string{"click:aff-b", "click:aff-b", "click:aff-b", "click:aff-a", "split:aff-a+aff-b"}},
		{name: "multiple clicks and code", codes: []string{"GOOD"}, clicks: []schemas.Click{mkClick("c1", "aff-a", -3*time.Hour), mkClick("c2", "aff-b", -time.Hour)},
			want: [5]string{"code:aff-code", "click:aff-b", "code:aff-code", "click:aff-a", "split:aff-a+aff-b+aff-code"}},
		{name: "bot click", clicks: []schemas.Click{mkClick("c1", "aff-a", -time.Hour, bot)},
			want: [5]string{"none", "none", "none", "none", "none"}},
		{name: "bot click and code", codes: []string{"GOOD"}, clicks: []schemas.Click{mkClick("c1", "aff-a", -time.Hour, bot)},
			want: [5]string{"code:aff-code", "code:aff-code", "code:aff-code", "code:aff-code", "split:aff-code"}},
		{name: "click after order", clicks: []schemas.Click{mkClick("c1", "aff-a", time.Minute)},
			want: [5]string{"none", "none", "none", "none", "none"}},
		{name: "click outside window", clicks: []schemas.Click{mkClick("c1", "aff-a", -721*time.Hour)},
			want: [5]string{"none", "none", "none", "none", "none"}},
		{name: "click outside window and code", codes: []string{"GOOD"}, clicks: []schemas.Click{mkClick("c1", "aff-a", -721*time.Hour)},
			want: [5]string{"code:aff-code", "code:aff-code", "code:aff-code", "code:aff-code", "split:aff-code"}},
		{name: "click without affiliate", clicks: []schemas.Click{mkClick("c1", "", -time.Hour)},
			want: [5]string{"none", "none", "none", "none", "none"}},
	}
	// Every invalid code behaves as no code: alone it leaves the order
	// unattributed, with a click the click wins under every rule.
	var cases []touchSet
	cases = append(cases, valid...)
	for _, code := range []string{"UNKNOWN", "EXPIRED", "EARLY", "PAUSED", "INACT", "MIN", "FIRST"} {
		cases = append(cases,
			touchSet{name: "invalid " + code + " only", codes: []string{code},
				want: [5]string{"none", "none", "none", "none", "none"}},
			touchSet{name: "invalid " + code + " and click", codes: []string{code}, clicks: []schemas.Click{mkClick("c1", "aff-a", -time.Hour)},
				want: [5]string{"click:aff-a", "click:aff-a", "click:aff-a", "click:aff-a", "split:aff-a"}},
			touchSet{name: "invalid " + code + " then valid", codes: []string{code, "GOOD"},
				want: [5]string{"code:aff-code", "code:aff-code", "code:aff-code", "code:aff-code", "split:aff-code"}},
		)
	}
	lookup := func(c string) (schemas.Code, bool) { e, ok := registry[c]; return e, ok }
	n := 0
	for _, tc := range cases {
		for ri, rule := range allRules {
			p := NewProgram()
			p.Defaults.Rule = rule
			p.Defaults.Commission = Commission{Type: "percent", Value: 1000}
			a := New(p)
			// A prior order so that FIRST is invalid from the state.
			st := Customer{OrdersSeen: 1}
			for _, c := range tc.clicks {
				a.Click(&st, c, lookup, t0)
			}
			o := schemas.Order{EventID: "ev-o", OrderID: "o", Platform: "p", StoreID: "s", Currency: "USD",
				Subtotal: 10000, Total: 10000, OccurredAt: t0, Customer: schemas.Customer{Key: "k"}}
			for _, c := range tc.codes {
				o.Codes = append(o.Codes, schemas.AppliedCode{Code: c})
			}
			cand, ok, _ := a.Order(&st, o, lookup, t0)
			if !ok {
				t.Fatalf("%s/%s: duplicate", tc.name, rule)
			}
			d, _ := Resolve(cand, 0)
			got := outcome(d.Attribution)
			if got != tc.want[ri] {
				t.Errorf("%s / %s: got %s, want %s", tc.name, rule, got, tc.want[ri])
			}
			checkInvariants(t, fmt.Sprintf("%s / %s", tc.name, rule), d.Attribution)
			n++
		}
	}
	t.Logf("%d rule x touch combinations", n)
}

func outcome(a schemas.Attribution) string {
	switch a.Method {
	case MethodNone:
		return "none"
	case MethodSplit:
		var affs []string
		for _, s := range a.Shares {
			affs = append(affs, s.AffiliateID)
		}
		return "split:" + strings.Join(affs, "+")
	}
	return a.Method + ":" + deref(a.AffiliateID)
}

// checkInvariants holds for every decision.
func checkInvariants(t *testing.T, name string, a schemas.Attribution) {
	t.Helper()
	won := 0
	for _, tc := range a.Touches {
		if tc.Won {
			won++
			if !tc.Qualified {
				t.Errorf("%s: a touch won without qualifying", name)
			}
		}
		if !tc.Qualified && tc.Reason == nil {
			t.Errorf("%s: an unqualified touch without a reason", name)
		}
	}
	switch a.Method {
	case MethodNone:
		if won != 0 || a.Status != StatusUnattributed || a.Commission != 0 || a.AffiliateID != nil {
			t.Errorf("%s: unattributed decision credits something: %+v", name, a)
		}
	case MethodSplit:
		var w int32
		var c int64
		for _, s := range a.Shares {
			w += s.WeightBP
			c += s.Commission
		}
		if w != 10000 || c != a.Commission {
			t.Errorf("%s: shares weigh %d and sum %d, commission %d", name, w, c, a.Commission)
		}
	default:
		if won != 1 || a.AffiliateID == nil {
			t.Errorf("%s: %d winning touches", name, won)
		}
	}
	if a.EventID != AttributionID(a.Platform, a.StoreID, a.OrderID, a.Version) {
		t.Errorf("%s: event id not deterministic", name)
	}
}

// TestNoRevisionAfterForgettingClicks: a newer order prunes the clicks an
// older order was credited by; a late click (read after both, with an
// event time before the older order) must not decide the older order
// again without them. The bench found this with click_priority: version
// 2 of an order lost the click that had won version 1.
func TestNoRevisionAfterForgettingClicks(t *testing.T) {
	p := NewProgram()
	p.Defaults.Rule = ClickPriority
	p.Defaults.Commission = Commission{Type: "percent", Value: 1000}
	a := New(p)
	now := t0.Add(100 * 24 * time.Hour)
	day := func(n float64) time.Time { return t0.Add(time.Duration(n * float64(24*time.Hour))) }
	var st Customer
	a.Click(&st, schemas.Click{EventID: "c1", ClickID: "c1", AffiliateID: ptr("aff-a"), OccurredAt: day(0)}, nil, now)
	c1, _, _ := a.Order(&st, schemas.Order{EventID: "o1", OrderID: "o1", Platform: "p", StoreID: "s", Currency: "USD", Subtotal: 1000, Total: 1000, OccurredAt: day(1)}, nil, now)
	if got := deref(c1.Fallback.Attribution.AffiliateID); got != "aff-a" {
		t.Fatalf("o1 v1 credited %q, want aff-a", got)
	}
	// 60 days later: the window (30d) plus PruneSlack (7d) has passed.
	a.Order(&st, schemas.Order{EventID: "o2", OrderID: "o2", Platform: "p", StoreID: "s", Currency: "USD", Subtotal: 1000, Total: 1000, OccurredAt: day(61)}, nil, now)
	if len(st.Clicks) != 0 || !st.ForgotClicksUntil.Equal(day(0)) {
		t.Fatalf("clicks %d, forgot until %v: the newer order should have pruned c1", len(st.Clicks), st.ForgotClicksUntil)
	}
	// A bot click before o1, read late: nothing to revise with.
	revs, err := a.Click(&st, schemas.Click{EventID: "c2", ClickID: "c2", AffiliateID: ptr("aff-b"), IsBot: true, OccurredAt: day(0.5)}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range revs {
		if r.OrderKey == c1.OrderKey {
			t.Fatalf("o1 revised to version %d (%s %q) after its click was forgotten", r.Version,
				r.Fallback.Attribution.Method, deref(r.Fallback.Attribution.AffiliateID))
		}
	}
	// The state round-trips the horizon.
	b, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalCustomer(b)
	if err != nil || !back.ForgotClicksUntil.Equal(st.ForgotClicksUntil) {
		t.Fatalf("round trip: %v, %v", back.ForgotClicksUntil, err)
	}
}

// TestCreditRulesTable checks that every rule a Program accepts has its
// function in creditRules (a rule without one would credit no one) and
// that the table holds nothing else.
func TestCreditRulesTable(t *testing.T) {
	for _, r := range allRules {
		if !r.Valid() {
			t.Errorf("rule %q: not valid", r)
		}
		if creditRules[r] == nil {
			t.Errorf("rule %q: no credit function", r)
		}
	}
	for r := range creditRules {
		if !r.Valid() {
			t.Errorf("creditRules holds %q, which a Program rejects", r)
		}
	}
	if len(creditRules) != len(allRules) {
		t.Errorf("creditRules has %d rules, allRules %d", len(creditRules), len(allRules))
	}
}
