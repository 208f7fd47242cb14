package world

import (
	"fmt"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

func TestHalfEven(t *testing.T) {
	for _, c := range []struct{ a, d, want int64 }{
		{25, 10, 2}, {35, 10, 4}, {24, 10, 2}, {26, 10, 3}, {0, 10, 0}, {15000, 10000, 2}, {5000, 10000, 0},
	} {
		if got := halfEven(c.a, c.d); got != c.want {
			t.Errorf("halfEven(%d, %d) = %d, want %d", c.a, c.d, got, c.want)
		}
	}
}

// TestOracleRules checks the expectation of every rule on hand-built
// journeys.
func TestOracleRules(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	affs := []Affiliate{newAffiliate(0, Podcast, start), newAffiliate(1, LinkPartner, start), newAffiliate(2, LinkPartner, start), newAffiliate(3, CouponSite, start)}
	def := schemas.CommissionRule{Type: "percent", Value: 300}
	at := start.Add(10 * 24 * time.Hour)
	applied := at.Add(-20 * time.Minute)
	type clk struct {
		aff int
		ago time.Duration
		bot bool
	}
	for _, c := range []struct {
		name    string
		clicks  []clk
		code    int // -1 none
		applied *time.Time
		sub     *schemas.Subscription
		want    map[string]string // rule -> affiliate/method
	}{
		{"code only", nil, 0, nil, nil, map[string]string{"coupon_priority": "aff-00000/code", "click_priority": "aff-00000/code", "last_touch": "aff-00000/code", "first_touch": "aff-00000/code"}},
		{"click only", []clk{{1, 48 * time.Hour, false}}, -1, nil, nil, map[string]string{"coupon_priority": "aff-00001/click", "click_priority": "aff-00001/click", "last_touch": "aff-00001/click", "first_touch": "aff-00001/click"}},
		{"nothing", nil, -1, nil, nil, map[string]string{"coupon_priority": "/none", "first_touch": "/none"}},
		{"bot only", []clk{{1, time.Hour, true}}, -1, nil, nil, map[string]string{"coupon_priority": "/none", "click_priority": "/none"}},
		{"outside window", []clk{{1, 31 * 24 * time.Hour, false}}, -1, nil, nil, map[string]string{"click_priority": "/none"}},
		{"cross channel", []clk{{1, 5 * 24 * time.Hour, false}, {3, 5 * time.Minute, false}}, 0, &applied, nil,
			map[string]string{"coupon_priority": "aff-00000/code", "click_priority": "aff-00003/click", "last_touch": "aff-00003/click", "first_touch": "aff-00001/click"}},
		{"code after clicks", []clk{{2, 2 * time.Hour, false}}, 0, nil, nil, map[string]string{"last_touch": "aff-00000/code", "click_priority": "aff-00002/click"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := NewOracle(affs, OracleConfig{DefaultCommission: def})
			v := VisitorID(1)
			for i, k := range c.clicks {
				id := affs[k.aff].ID
				o.Observe(&Event{Kind: KindClick, Key: v, At: at.Add(-k.ago), Click: &schemas.Click{ClickID: string(rune('a' + i)), AffiliateID: &id, IsBot: k.bot, OccurredAt: at.Add(-k.ago)}})
			}
			ord := &schemas.Order{OrderID: "o000000001", Subtotal: 10000, OccurredAt: at, CodeAppliedAt: c.applied, Subscription: c.sub}
			if c.code >= 0 {
				ord.Discount = 1000
				ord.Codes = []schemas.AppliedCode{{Code: affs[c.code].Code.Code, Amount: 1000}}
			}
			o.Observe(&Event{Kind: KindOrder, Key: v, At: at, Order: ord})
			for rule, want := range c.want {
				got, _, ok := o.Expected("o000000001", rule)
				if !ok || got.Affiliate+"/"+got.Method != want {
					t.Errorf("%s: got %+v, want %s", rule, got, want)
				}
			}
		})
	}
}

func TestOracleCommission(t *testing.T) {
	pct := func(bp int64, months int32) schemas.CommissionRule {
		return schemas.CommissionRule{Type: "percent", Value: bp, RecurringMonths: months}
	}
	for _, c := range []struct {
		name string
		rule schemas.CommissionRule
		net  int64
		sub  *schemas.Subscription
		want int64
	}{
		{"percent", pct(1000, 0), 12345, nil, 1234},         // 1234.5 -> 1234 (even)
		{"half up to even", pct(1000, 0), 12355, nil, 1236}, // 1235.5 -> 1236
		{"first payment only", pct(1000, 0), 1000, &schemas.Subscription{Cycle: 2}, 0},
		{"first payment", pct(1000, 0), 1000, &schemas.Subscription{Cycle: 1}, 100},
		{"within months", pct(1000, 12), 1000, &schemas.Subscription{Cycle: 3}, 100},
		{"past months", pct(1000, 1), 1000, &schemas.Subscription{Cycle: 2}, 0},
		{"fixed", schemas.CommissionRule{Type: "fixed", Value: 500}, 1000, nil, 500},
	} {
		if got := commission(c.rule, c.net, c.sub); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// TestOracleLinksAndRenewals: the truth for issue 14's items 2, 4 and 5.
// A click credit earns its link code's rule; clicks through a link whose
// code is inactive, paused or expired at the click do not qualify, nor
// does an order's code that is not usable at the order; a renewal without
// a code goes to whoever earned the subscription's first payment, under
// each rule.
func TestOracleLinksAndRenewals(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cfg := Config{Start: start, Span: 60 * 24 * time.Hour}
	var affs []Affiliate
	for i := 0; i < 20; i++ {
		kind := LinkPartner
		switch i % 5 {
		case 0, 1:
			kind = Podcast
		case 4:
			kind = CouponSite
		}
		a := newAffiliate(i, kind, start)
		restrict(&a, i, cfg)
		affs = append(affs, a)
	}
	def := schemas.CommissionRule{Type: "percent", Value: 300}
	if affs[7].Code.Status != "inactive" || affs[13].Code.ValidUntil == nil || affs[14].Code.Status != "paused" || affs[2].Code.Status != "active" {
		t.Fatal("restrict does not restrict partners 7, 13, 14 as documented")
	}
	expired := *affs[13].Code.ValidUntil
	type clk struct {
		aff int
		at  time.Time
	}
	at := start.Add(40 * 24 * time.Hour) // after partner 13's code expired
	o := NewOracle(affs, OracleConfig{DefaultCommission: def})
	n := 0
	order := func(v string, clicks []clk, code int, sub *schemas.Subscription, when time.Time) string {
		for i, k := range clicks {
			id, c := affs[k.aff].ID, affs[k.aff].Code.Code
			o.Observe(&Event{Kind: KindClick, Key: v, At: k.at, Click: &schemas.Click{ClickID: fmt.Sprint(v, i), AffiliateID: &id, Code: &c, OccurredAt: k.at}})
		}
		n++
		ord := &schemas.Order{OrderID: fmt.Sprintf("o%09d", n), Subtotal: 10000, OccurredAt: when, Subscription: sub}
		if code >= 0 {
			ord.Codes = []schemas.AppliedCode{{Code: affs[code].Code.Code}}
		}
		o.Observe(&Event{Kind: KindOrder, Key: v, At: when, Order: ord})
		return ord.OrderID
	}
	rate := func(i int) int64 { return affs[i].Code.Commission.Value } // of 10000 net: value/1 bp -> value minor units
	for _, c := range []struct {
		name   string
		id     string
		rule   string
		aff    string
		method string
		comm   int64
	}{
		{"click earns its link code's rule", order(VisitorID(1), []clk{{2, at.Add(-time.Hour)}}, -1, nil, at), "coupon_priority", affs[2].ID, MethodClick, rate(2)},
		{"inactive link", order(VisitorID(2), []clk{{7, at.Add(-time.Hour)}}, -1, nil, at), "click_priority", "", MethodNone, 0},
		{"paused link", order(VisitorID(3), []clk{{14, at.Add(-time.Hour)}}, -1, nil, at), "click_priority", "", MethodNone, 0},
		{"expired link", order(VisitorID(4), []clk{{13, expired.Add(time.Hour)}}, -1, nil, expired.Add(2*time.Hour)), "click_priority", "", MethodNone, 0},
		{"link before expiry", order(VisitorID(5), []clk{{13, expired.Add(-time.Hour)}}, -1, nil, expired.Add(2*time.Hour)), "click_priority", affs[13].ID, MethodClick, rate(13)},
		{"inactive code on the order", order(VisitorID(6), nil, 7, nil, at), "coupon_priority", "", MethodNone, 0},
	} {
		got, _, ok := o.Expected(c.id, c.rule)
		if !ok || got.Affiliate != c.aff || got.Method != c.method || got.Commission != c.comm {
			t.Errorf("%s: got %+v, want %s/%s/%d", c.name, got, c.aff, c.method, c.comm)
		}
	}
	// Subscription: the first payment by podcast 0's code with a click of
	// partner 2 before it; renewals without the code.
	v := VisitorID(9)
	first := order(v, []clk{{2, at.Add(-time.Hour)}}, 0, &schemas.Subscription{ID: "sub-x", Cycle: 1}, at)
	renewal := order(v, nil, -1, &schemas.Subscription{ID: "sub-x", Cycle: 2}, at.Add(30*24*time.Hour))
	for _, rule := range []string{"coupon_priority", "click_priority"} {
		f, _, _ := o.Expected(first, rule)
		r, _, _ := o.Expected(renewal, rule)
		if r.Method != MethodSubscription || r.Affiliate != f.Affiliate {
			t.Errorf("%s: renewal %+v, want credited by subscription to the first payment's %s", rule, r, f.Affiliate)
		}
	}
	// Podcast 0's rule pays the first payment only (recurring months 0);
	// partner 2's pays 12 months (index 2: recurring 12).
	if r, _, _ := o.Expected(renewal, "coupon_priority"); r.Commission != 0 {
		t.Errorf("renewal of podcast 0 (first payment only) earned %d", r.Commission)
	}
	if r, _, _ := o.Expected(renewal, "click_priority"); r.Commission != rate(2) {
		t.Errorf("renewal credited to partner 2 (12 months) earned %d, want %d", r.Commission, rate(2))
	}
}
