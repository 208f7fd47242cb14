package world

import (
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
