package attribution

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

func TestMulDivHalfEven(t *testing.T) {
	for _, tc := range []struct {
		a, b, d, want int64
	}{
		{25, 1, 10, 2},   // 2.5 -> 2
		{35, 1, 10, 4},   // 3.5 -> 4
		{15, 1, 10, 2},   // 1.5 -> 2
		{5, 1, 10, 0},    // 0.5 -> 0
		{-25, 1, 10, -2}, // -2.5 -> -2
		{-35, 1, 10, -4}, // -3.5 -> -4
		{26, 1, 10, 3},
		{24, 1, 10, 2},
		{9996, 1250, 10000, 1250}, // 1249.5 -> 1250
		{9988, 1250, 10000, 1248}, // 1248.5 -> 1248
		{1, 1, 3, 0},
		{2, 1, 3, 1},
		{0, 1000, 10000, 0},
		// Products beyond 64 bits.
		{math.MaxInt64, 10000, 10000, math.MaxInt64},
		{math.MaxInt64, 5000, 10000, 4611686018427387904}, // (2^63-1)/2 = ...903.5 -> ...904
		{math.MaxInt64 - 1, 5000, 10000, 4611686018427387903},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MinInt64, 1, 1, math.MinInt64},
		{math.MinInt64, 1, 2, -4611686018427387904},
		// Saturation.
		{math.MaxInt64, 2, 1, math.MaxInt64},
		{math.MinInt64, 2, 1, math.MinInt64},
	} {
		if got := MulDivHalfEven(tc.a, tc.b, tc.d); got != tc.want {
			t.Errorf("MulDivHalfEven(%d, %d, %d) = %d, want %d", tc.a, tc.b, tc.d, got, tc.want)
		}
	}
}

// TestMulDivHalfEvenBig checks random values against math/big.
func TestMulDivHalfEvenBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a, b, d := r.Int64()-r.Int64()/2, r.Int64N(1<<40)-1<<39, r.Int64N(math.MaxInt64)+1
		if r.IntN(2) == 0 {
			b, d = r.Int64N(10001), 10000
		}
		want := bigHalfEven(a, b, d)
		if !want.IsInt64() {
			continue
		}
		if got := MulDivHalfEven(a, b, d); got != want.Int64() {
			t.Fatalf("MulDivHalfEven(%d, %d, %d) = %d, want %s", a, b, d, got, want)
		}
	}
}

func bigHalfEven(a, b, d int64) *big.Int {
	p := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	q, m := new(big.Int).QuoRem(p, big.NewInt(d), new(big.Int))
	twice := new(big.Int).Abs(m)
	twice.Lsh(twice, 1)
	switch c := twice.Cmp(big.NewInt(d)); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		if p.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func TestComputeCommission(t *testing.T) {
	usd, eur := "USD", "EUR"
	start := t0.Add(-45 * 24 * time.Hour)
	for _, tc := range []struct {
		name   string
		rule   schemas.CommissionRule
		order  schemas.Order
		want   int64
		reason string
	}{
		{"percent of net", schemas.CommissionRule{Type: "percent", Value: 1000}, schemas.Order{Subtotal: 10000, Discount: 1000, Tax: 500, Shipping: 300}, 900, ""},
		{"half to even down", schemas.CommissionRule{Type: "percent", Value: 500}, schemas.Order{Subtotal: 50}, 2, ""},
		{"half to even up", schemas.CommissionRule{Type: "percent", Value: 500}, schemas.Order{Subtotal: 70}, 4, ""},
		{"huge order", schemas.CommissionRule{Type: "percent", Value: 9999}, schemas.Order{Subtotal: math.MaxInt64}, 9222449699651090329, ""},
		{"negative net", schemas.CommissionRule{Type: "percent", Value: 1000}, schemas.Order{Subtotal: 100, Discount: 200}, 0, ""},
		{"fixed", schemas.CommissionRule{Type: "fixed", Value: 700, Currency: &usd}, schemas.Order{Currency: "USD"}, 700, ""},
		{"fixed other currency", schemas.CommissionRule{Type: "fixed", Value: 700, Currency: &eur}, schemas.Order{Currency: "USD"}, 0, ReasonCurrencyMismatch},
		{"recurring inside", schemas.CommissionRule{Type: "percent", Value: 1000, RecurringMonths: 2}, schemas.Order{Subtotal: 1000, OccurredAt: t0, Subscription: &schemas.Subscription{Cycle: 2, StartedAt: &start}}, 100, ""},
		{"recurring over", schemas.CommissionRule{Type: "percent", Value: 1000, RecurringMonths: 1}, schemas.Order{Subtotal: 1000, OccurredAt: t0, Subscription: &schemas.Subscription{Cycle: 2, StartedAt: &start}}, 0, ReasonRecurringPeriodOver},
	} {
		got, reason := ComputeCommission(tc.rule, tc.order)
		if got != tc.want || reason != tc.reason {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, got, reason, tc.want, tc.reason)
		}
	}
}

func TestRecurringEligible(t *testing.T) {
	start := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		months  int32
		cycle   int32
		started *time.Time
		at      time.Time
		want    bool
	}{
		{0, 1, nil, t0, true},
		{0, 2, nil, t0, false},
		{0, 0, &start, start.Add(time.Hour), true},
		{0, 0, &start, start.Add(48 * time.Hour), false},
		{0, 0, nil, t0, true},
		// Three months after January 31 end on April 30 (not May 1, as
		// AddDate would have it): the payment of April 30 is the fourth.
		{3, 0, &start, time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond), true},
		{3, 0, &start, time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC), false},
		{1, 0, &start, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Add(-time.Millisecond), true},
		{1, 0, &start, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), false},
		{3, 9, &start, start.AddDate(0, 1, 0), true}, // the start decides, not the cycle
		{3, 3, nil, t0, true},
		{3, 4, nil, t0, false},
		{3, 0, nil, t0, true},
	} {
		s := schemas.Subscription{Cycle: tc.cycle, StartedAt: tc.started}
		if got := RecurringEligible(tc.months, s, tc.at); got != tc.want {
			t.Errorf("RecurringEligible(%d, cycle %d, started %v, at %v) = %v, want %v", tc.months, tc.cycle, tc.started, tc.at, got, tc.want)
		}
	}
}

func TestSplitAmount(t *testing.T) {
	for _, tc := range []struct {
		total   int64
		weights []int32
		want    []int64
	}{
		{900, EqualWeights(3), []int64{300, 300, 300}},
		{100, EqualWeights(3), []int64{34, 33, 33}},
		{1, EqualWeights(2), []int64{1, 0}},
		{5, EqualWeights(4), []int64{2, 1, 1, 1}},
		{math.MaxInt64, EqualWeights(3), []int64{3075072237087382254, 3074149899883696777, 3074149899883696776}},
	} {
		got := SplitAmount(tc.total, tc.weights)
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("SplitAmount(%d, %v) = %v, want %v", tc.total, tc.weights, got, tc.want)
				break
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := 1 + r.IntN(7)
		total := r.Int64N(1 << 50)
		var sum, wsum int64
		for _, w := range EqualWeights(n) {
			wsum += int64(w)
		}
		for _, p := range SplitAmount(total, EqualWeights(n)) {
			sum += p
		}
		if sum != total || wsum != 10000 {
			t.Fatalf("n=%d total=%d: parts sum %d, weights %d", n, total, sum, wsum)
		}
	}
}

func TestAddMonths(t *testing.T) {
	for _, tc := range []struct {
		t    string
		n    int
		want string
	}{
		{"2024-01-31T10:30:00Z", 1, "2024-02-29T10:30:00Z"},
		{"2025-01-31T10:30:00Z", 1, "2025-02-28T10:30:00Z"},
		{"2025-01-31T10:30:00Z", 2, "2025-03-31T10:30:00Z"},
		{"2025-01-31T10:30:00Z", 3, "2025-04-30T10:30:00Z"},
		{"2025-01-15T00:00:00.123Z", 12, "2026-01-15T00:00:00.123Z"},
		{"2025-03-31T10:30:00Z", -1, "2025-02-28T10:30:00Z"},
		{"2025-03-15T10:30:00Z", -14, "2024-01-15T10:30:00Z"},
		{"2025-12-31T23:59:59Z", 2, "2026-02-28T23:59:59Z"},
		{"2025-05-01T12:00:00+02:00", 1, "2025-06-01T10:00:00Z"},
		{"2025-05-01T12:00:00Z", 0, "2025-05-01T12:00:00Z"},
	} {
		in, err := time.Parse(time.RFC3339Nano, tc.t)
		if err != nil {
			t.Fatal(err)
		}
		if got := addMonths(in, tc.n).Format(time.RFC3339Nano); got != tc.want {
			t.Errorf("addMonths(%s, %d) = %s, want %s", tc.t, tc.n, got, tc.want)
		}
	}
}
