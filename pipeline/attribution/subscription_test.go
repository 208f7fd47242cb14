package attribution

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// payment is one subscription payment of a test: month is its anniversary
// (months after the subscription's start at t0), after how long past it
// the payment happened.
type payment struct {
	month int
	after time.Duration
	sub   schemas.Subscription
}

func (p payment) at() time.Time { return t0.AddDate(0, p.month, 0).Add(p.after) }

// renewal is what a Stripe or Paddle renewal says: its subscription, no
// cycle, no start.
func renewal(month int) payment {
	return payment{month: month, after: time.Hour, sub: schemas.Subscription{ID: "sub_1"}}
}

// subscriptionOrders decides payments in order for one customer, storing
// and loading its state between them as the stage does, with a code whose
// rule is 10% for months recurring months, and returns each payment's
// commission and reasons.
func subscriptionOrders(t *testing.T, months int32, pays []payment) ([]int64, [][]string, Customer) {
	t.Helper()
	a := New(NewProgram())
	reg := map[string]schemas.Code{"SUB": {Code: "SUB", AffiliateID: "aff", Status: "active",
		Commission: &schemas.CommissionRule{Type: "percent", Value: 1000, RecurringMonths: months}}}
	lookup := func(c string) (schemas.Code, bool) { e, ok := reg[c]; return e, ok }
	var st Customer
	var got []int64
	var reasons [][]string
	for i, p := range pays {
		at := p.at()
		sub := p.sub
		o := schemas.Order{
			EventID: fmt.Sprint("ev-", i), OrderID: fmt.Sprint("o-", i), Platform: "stripe", StoreID: "acct",
			Currency: "USD", Subtotal: 1000, Total: 1000, Codes: []schemas.AppliedCode{{Code: "SUB"}},
			Customer: schemas.Customer{Key: "cust"}, Subscription: &sub, OccurredAt: at,
		}
		cand, ok, _ := a.Order(&st, o, lookup, at)
		if !ok || cand.WithCode == nil {
			t.Fatalf("payment %d: not decided with its code", i)
		}
		if sub != p.sub {
			t.Fatalf("payment %d: the caller's subscription was changed to %+v", i, sub)
		}
		att := cand.WithCode.Attribution
		got = append(got, att.Commission)
		reasons = append(reasons, att.Reasons)
		b, err := st.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if st, err = UnmarshalCustomer(b); err != nil {
			t.Fatal(err)
		}
	}
	return got, reasons, st
}

// monthly is payments 0..n-1: the first as first, the rest renewals.
func monthly(first payment, n int) []payment {
	pays := []payment{first}
	for m := 1; m < n; m++ {
		pays = append(pays, renewal(m))
	}
	return pays
}

func TestRenewalsWithoutCycle(t *testing.T) {
	start := t0
	stripeFirst := payment{after: 2 * time.Second, sub: schemas.Subscription{ID: "sub_1", Cycle: 1, StartedAt: &start}}
	paddleStart := t0.Add(-10 * time.Minute) // billing_period.starts_at, before the payment
	paddleFirst := payment{sub: schemas.Subscription{ID: "sub_1", Cycle: 1, StartedAt: &paddleStart}}
	unmarked := payment{sub: schemas.Subscription{ID: "sub_1"}}
	const c = 100 // 10% of 1000
	for _, tc := range []struct {
		name   string
		months int32
		pays   []payment
		want   []int64
	}{
		{"Stripe: subscription_create, then renewals", 3, monthly(stripeFirst, 7), []int64{c, c, c, 0, 0, 0, 0}},
		{"Paddle: origin web, then subscription_recurring", 3, monthly(paddleFirst, 5), []int64{c, c, c, 0, 0}},
		{"first payment not marked either", 3, monthly(unmarked, 5), []int64{c, c, c, 0, 0}},
		{"one recurring month", 1, monthly(stripeFirst, 3), []int64{c, 0, 0}},
		{"a year", 12, monthly(stripeFirst, 14), []int64{c, c, c, c, c, c, c, c, c, c, c, c, 0, 0}},
		{"first payment only", 0, monthly(stripeFirst, 3), []int64{c, 0, 0}},
		{"first payment only, not marked", 0, monthly(unmarked, 3), []int64{c, 0, 0}},
		// The state never saw the first payments (they predate it, or went
		// to another customer key): the first renewal seen starts the
		// period, which then runs its months and stops.
		{"first seen at a renewal", 3, []payment{renewal(5), renewal(6), renewal(7), renewal(8), renewal(9)}, []int64{c, c, c, 0, 0}},
		{"first seen at a renewal, first payment only", 0, []payment{renewal(5), renewal(6)}, []int64{c, 0}},
		// A payment delivered after a later one moves the start back.
		{"renewal delivered before the first payment", 3, []payment{renewal(1), stripeFirst, renewal(2), renewal(3)}, []int64{c, c, c, 0}},
		// A known cycle decides as the platform counted it, even where the
		// remembered start (a month before cycle 2) would say otherwise.
		{"known cycles", 3, []payment{
			{month: 2, sub: schemas.Subscription{ID: "sub_1", Cycle: 2}},
			{month: 4, sub: schemas.Subscription{ID: "sub_1", Cycle: 3}},
			{month: 5, sub: schemas.Subscription{ID: "sub_1", Cycle: 4}},
		}, []int64{c, c, 0}},
		// A renewal that says nothing after a known cycle: the start is
		// estimated back from the cycle (month 2 is cycle 3: started at 0).
		{"unknown after a known cycle", 3, []payment{
			{month: 2, sub: schemas.Subscription{ID: "sub_1", Cycle: 3}},
			renewal(3),
		}, []int64{c, 0}},
		// A start the platform gives decides over the remembered one.
		{"a given start", 3, []payment{stripeFirst, renewal(1), {month: 4, after: time.Hour, sub: schemas.Subscription{ID: "sub_1", StartedAt: ptr(t0.AddDate(0, 2, 0))}}}, []int64{c, c, c}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, reasons, _ := subscriptionOrders(t, tc.months, tc.pays)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("commissions %v, want %v", got, tc.want)
			}
			for i, r := range reasons {
				if over := slices.Contains(r, ReasonRecurringPeriodOver); over != (got[i] == 0) {
					t.Errorf("payment %d: commission %d, reasons %v", i, got[i], r)
				}
			}
		})
	}
}

func TestSubscriptionsKeptPerID(t *testing.T) {
	start := t0
	a := schemas.Subscription{ID: "sub_a", Cycle: 1, StartedAt: &start}
	b := schemas.Subscription{ID: "sub_b"}
	got, _, st := subscriptionOrders(t, 2, []payment{
		{sub: a},
		{month: 1, sub: b}, // b starts a month after a
		{month: 1, after: time.Hour, sub: schemas.Subscription{ID: "sub_a"}},
		{month: 2, after: time.Hour, sub: schemas.Subscription{ID: "sub_a"}},
		{month: 2, after: 2 * time.Hour, sub: schemas.Subscription{ID: "sub_b"}},
		{month: 3, after: 2 * time.Hour, sub: schemas.Subscription{ID: "sub_b"}},
	})
	if want := []int64{100, 100, 100, 0, 100, 0}; !slices.Equal(got, want) {
		t.Fatalf("commissions %v, want %v", got, want)
	}
	// Each remembers who earned its first payment, for code-less renewals.
	want := []SubscriptionStart{{ID: "sub_a", Start: t0, AffiliateID: "aff", Code: "SUB"}, {ID: "sub_b", Start: t0.AddDate(0, 1, 0), AffiliateID: "aff", Code: "SUB"}}
	if !slices.Equal(st.Subscriptions, want) {
		t.Fatalf("subscriptions %+v, want %+v", st.Subscriptions, want)
	}
}

// TestSubscriptionsBounded: a customer keeps MaxSubscriptions starts and
// forgets the least recently paid; a renewal of a forgotten subscription
// is a first sight again (and earns its months from there).
func TestSubscriptionsBounded(t *testing.T) {
	var pays []payment
	for i := range MaxSubscriptions + 1 {
		pays = append(pays, payment{after: time.Duration(i) * time.Minute, sub: schemas.Subscription{ID: fmt.Sprint("sub_", i), Cycle: 1}})
	}
	// sub_1 renews, so sub_0 and then sub_2 are the least recently paid.
	pays = append(pays, payment{month: 1, after: time.Hour, sub: schemas.Subscription{ID: "sub_1"}})
	pays = append(pays, payment{month: 1, after: 2 * time.Hour, sub: schemas.Subscription{ID: "sub_extra"}})
	got, _, st := subscriptionOrders(t, 1, pays)
	if n := len(st.Subscriptions); n != MaxSubscriptions {
		t.Fatalf("%d subscriptions kept, want %d", n, MaxSubscriptions)
	}
	ids := make([]string, 0, len(st.Subscriptions))
	for _, s := range st.Subscriptions {
		ids = append(ids, s.ID)
	}
	if slices.Contains(ids, "sub_0") || slices.Contains(ids, "sub_2") || ids[len(ids)-2] != "sub_1" || ids[len(ids)-1] != "sub_extra" {
		t.Fatalf("kept %v", ids)
	}
	if got[MaxSubscriptions+1] != 0 {
		t.Fatalf("sub_1's renewal earned %d past its month", got[MaxSubscriptions+1])
	}
	got, _, _ = subscriptionOrders(t, 1, append(pays, payment{month: 1, after: 3 * time.Hour, sub: schemas.Subscription{ID: "sub_0"}}))
	if got[len(got)-1] != 100 {
		t.Fatalf("forgotten sub_0's renewal earned %d, want a first sight's 100", got[len(got)-1])
	}
}

// TestRenewalRevisionKeepsStart: a late click that revises a renewal's
// decision judges it with the start it was first decided with, so the
// revision earns no more than the first decision.
func TestRenewalRevisionKeepsStart(t *testing.T) {
	p := NewProgram()
	p.Defaults.Commission = Commission{Type: "percent", Value: 1000, RecurringMonths: 1}
	a := New(p)
	var st Customer
	start := t0
	first := schemas.Order{EventID: "e1", OrderID: "o1", Platform: "paddle", StoreID: "s", Currency: "USD", Subtotal: 1000,
		Subscription: &schemas.Subscription{ID: "sub_1", Cycle: 1, StartedAt: &start}, OccurredAt: t0}
	a.Click(&st, schemas.Click{EventID: "c1", ClickID: "k1", AffiliateID: ptr("aff-a"), OccurredAt: t0.Add(-time.Hour)}, nil, t0)
	if c, _, _ := a.Order(&st, first, nil, t0); c.Fallback.Attribution.Commission != 100 {
		t.Fatalf("first payment earned %d", c.Fallback.Attribution.Commission)
	}
	at := t0.AddDate(0, 1, 0).Add(time.Hour)
	// The renewal carries a code (unknown), so it is decided by its
	// touches, not credited to the first payment's affiliate.
	rn := schemas.Order{EventID: "e2", OrderID: "o2", Platform: "paddle", StoreID: "s", Currency: "USD", Subtotal: 1000,
		Subscription: &schemas.Subscription{ID: "sub_1"}, OccurredAt: at, Codes: []schemas.AppliedCode{{Code: "NOPE"}}}
	c, _, _ := a.Order(&st, rn, nil, at)
	if got := c.Fallback.Attribution; got.Method != MethodNone {
		t.Fatalf("renewal credited before the click: %+v", got)
	}
	st = snapStore{}.store(t, &st)
	revs, err := a.Click(&st, schemas.Click{EventID: "c2", ClickID: "k2", AffiliateID: ptr("aff-b"), OccurredAt: at.Add(-time.Minute)}, nil, at.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 1 {
		t.Fatalf("%d revisions, want 1", len(revs))
	}
	att := revs[0].Fallback.Attribution
	if deref(att.AffiliateID) != "aff-b" || att.Commission != 0 || !slices.Contains(att.Reasons, ReasonRecurringPeriodOver) {
		t.Fatalf("revision: aff %s commission %d reasons %v", deref(att.AffiliateID), att.Commission, att.Reasons)
	}
}
