package attribution

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/heldsway/heldsway/schemas"
)

// TestLedgerReconciles drives random attribution versions and refunds, in
// random order with duplicates and stale versions, through the ledger, and
// checks the money after every step: for each affiliate, the adjustments
// emitted add up to minus its share of the cumulative refunds of its
// credit in the latest attribution (0 for affiliates no longer credited),
// never more than it earned; and the result does not depend on the order
// the events arrived in.
func TestLedgerReconciles(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	affs := []string{"a", "b", "c"}
	for iter := range 3000 {
		net := r.Int64N(20000)
		var events []any
		nVersions := 1 + r.IntN(3)
		for v := 1; v <= nVersions; v++ {
			att := schemas.Attribution{OrderID: "o", Platform: "p", StoreID: "s", Version: int32(v), Currency: "USD", NetAmount: net}
			if r.IntN(3) == 0 {
				n := 1 + r.IntN(3)
				for i := range n {
					c := r.Int64N(5000)
					att.Shares = append(att.Shares, schemas.Share{AffiliateID: affs[(i+v)%3], Commission: c})
					att.Commission += c
				}
			} else if r.IntN(5) > 0 {
				aff := affs[r.IntN(3)]
				att.AffiliateID, att.Commission = &aff, r.Int64N(5000)
			}
			events = append(events, att)
		}
		for i := range r.IntN(5) {
			events = append(events, schemas.Refund{
				RefundID: fmt.Sprint("r", i), Amount: r.Int64N(net + 2), Full: r.IntN(10) == 0, Currency: []string{"USD", "USD", "USD", "EUR"}[r.IntN(4)],
			})
		}
		// Duplicates.
		for range r.IntN(3) {
			events = append(events, events[r.IntN(len(events))])
		}
		var want map[string]int64
		for perm := range 3 {
			r.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
			var l OrderLedger
			sums := map[string]int64{}
			for _, e := range events {
				var adjs []schemas.Adjustment
				switch e := e.(type) {
				case schemas.Attribution:
					adjs, l = Revise(l, e, t0)
				case schemas.Refund:
					adjs, l = Reverse(l, e, t0)
				}
				for _, a := range adjs {
					sums[a.AffiliateID] += a.Amount
					if a.Amount == 0 {
						t.Fatalf("iter %d: zero adjustment", iter)
					}
				}
				checkLedger(t, iter, l, sums)
			}
			for k, v := range sums {
				if v == 0 {
					delete(sums, k)
				}
			}
			if perm == 0 {
				want = sums
			} else if fmt.Sprint(want) != fmt.Sprint(sums) {
				t.Fatalf("iter %d: arrival order changed the outcome: %v vs %v", iter, want, sums)
			}
		}
	}
}

func checkLedger(t *testing.T, iter int, l OrderLedger, sums map[string]int64) {
	t.Helper()
	for _, x := range l.Adjusted {
		if sums[x.AffiliateID] != x.Sum {
			t.Fatalf("iter %d: ledger says %s adjusted %d, emitted %d", iter, x.AffiliateID, x.Sum, sums[x.AffiliateID])
		}
	}
	if l.Attribution == nil {
		if len(sums) != 0 {
			t.Fatalf("iter %d: adjustments before an attribution", iter)
		}
		return
	}
	a := l.Attribution
	credit := map[string]int64{}
	for _, c := range l.credits() {
		credit[c.affiliate] += c.amount
	}
	full, amount := l.refunded(len(l.Refunds))
	for aff, sum := range sums {
		earned := credit[aff]
		want := int64(0)
		switch {
		case earned == 0:
		case full:
			want = -earned
		case a.NetAmount > 0:
			want = -MulDivHalfEven(earned, amount, a.NetAmount)
		}
		if sum != want {
			t.Fatalf("iter %d: %s adjusted %d, want %d (earned %d, refunded %d of %d, full %v)", iter, aff, sum, want, earned, amount, a.NetAmount, full)
		}
		if sum > 0 || -sum > earned {
			t.Fatalf("iter %d: %s reversed %d of %d earned", iter, aff, -sum, earned)
		}
		// Latest commission plus adjustments is what the affiliate keeps.
		if kept := earned + sum; kept < 0 {
			t.Fatalf("iter %d: %s keeps %d", iter, aff, kept)
		}
	}
}

func TestAdjustmentIDsDeterministic(t *testing.T) {
	aff := "a"
	att := schemas.Attribution{OrderID: "o", Platform: "p", StoreID: "s", Version: 1, Currency: "USD", NetAmount: 100, AffiliateID: &aff, Commission: 10}
	ref := schemas.Refund{RefundID: "r1", Amount: 50, Currency: "USD"}
	_, l1 := Revise(OrderLedger{}, att, t0)
	a1, _ := Reverse(l1, ref, t0)
	_, l2 := Reverse(OrderLedger{}, ref, t0)
	a2, _ := Revise(l2, att, t0)
	if len(a1) != 1 || len(a2) != 1 || a1[0].EventID != a2[0].EventID || a1[0].EventID != AdjustmentID("p", "s", "o", 1, "refund:r1", "a") {
		t.Fatalf("adjustment ids differ by arrival order: %+v vs %+v", a1, a2)
	}
}

// TestLedgerKeepsNoTouches: the ledger stored per order keeps the credit,
// not the touches and reasons of the attribution (most of its bytes), and
// the caller's attribution is left as it was.
func TestLedgerKeepsNoTouches(t *testing.T) {
	aff := "aff"
	a := schemas.Attribution{EventID: "e", OrderID: "o", Platform: "p", StoreID: "s", Version: 1, Currency: "USD",
		NetAmount: 1000, Commission: 100, AffiliateID: &aff, Method: MethodClick, Status: StatusApproved,
		Reasons: []string{"r"}, Touches: []schemas.Touch{{Kind: "click", ClickID: &aff, At: t0}}}
	_, l := Revise(OrderLedger{}, a, t0)
	if l.Attribution.Touches != nil || l.Attribution.Reasons != nil || len(a.Touches) != 1 {
		t.Fatalf("ledger keeps touches %v reasons %v; caller's touches %d", l.Attribution.Touches, l.Attribution.Reasons, len(a.Touches))
	}
	adjs, _ := Reverse(l, schemas.Refund{RefundID: "r1", OrderID: "o", Platform: "p", StoreID: "s", Amount: 500, Currency: "USD", OccurredAt: t0}, t0)
	if len(adjs) != 1 || adjs[0].Amount != -50 {
		t.Fatalf("adjustments %+v, want -50", adjs)
	}
}
