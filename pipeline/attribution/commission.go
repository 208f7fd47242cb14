package attribution

import (
	"math"
	"math/bits"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// MulDivHalfEven returns a*b/d rounded half to even (banker's rounding),
// computed exactly in 128 bits. d must be positive. A result outside int64
// saturates to MaxInt64 or MinInt64. The commission, split and refund
// arithmetic all go through it, so every rounding in the package is the
// same: .5 goes to the even neighbour (2.5 -> 2, 3.5 -> 4, -2.5 -> -2).
func MulDivHalfEven(a, b, d int64) int64 {
	if d <= 0 {
		panic("attribution: MulDivHalfEven divisor must be positive")
	}
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(abs64(a), abs64(b))
	ud := uint64(d)
	if hi >= ud {
		return saturate(neg)
	}
	q, r := bits.Div64(hi, lo, ud)
	// r < d <= MaxInt64, so 2r fits in uint64.
	switch twice := 2 * r; {
	case twice > ud, twice == ud && q&1 == 1:
		q++
	}
	if neg {
		if q > 1<<63 {
			return math.MinInt64
		}
		return int64(-q)
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

func abs64(v int64) uint64 {
	if v < 0 {
		return uint64(-(v + 1)) + 1 // no overflow for MinInt64
	}
	return uint64(v)
}

func saturate(neg bool) int64 {
	if neg {
		return math.MinInt64
	}
	return math.MaxInt64
}

// NetAmount is the commission base of an order: Subtotal - Discount, no tax
// or shipping, never below zero.
func NetAmount(o schemas.Order) int64 {
	if o.Discount > 0 && o.Subtotal < math.MinInt64+o.Discount {
		return 0
	}
	return max(0, o.Subtotal-o.Discount)
}

// Commission reasons.
const (
	ReasonCurrencyMismatch    = "currency_mismatch"
	ReasonRecurringPeriodOver = "recurring_period_over"
)

// ComputeCommission applies rule to order o: percent is rule.Value basis
// points of NetAmount rounded half to even; fixed is rule.Value when the
// rule's currency is the order's (else 0 and currency_mismatch). A
// subscription payment past the rule's recurring period earns 0 with
// recurring_period_over (see RecurringEligible).
func ComputeCommission(rule schemas.CommissionRule, o schemas.Order) (int64, string) {
	if o.Subscription != nil && !RecurringEligible(rule.RecurringMonths, *o.Subscription, o.OccurredAt) {
		return 0, ReasonRecurringPeriodOver
	}
	switch rule.Type {
	case "percent":
		return MulDivHalfEven(NetAmount(o), rule.Value, 10000), ""
	case "fixed":
		if rule.Currency == nil || *rule.Currency != o.Currency {
			return 0, ReasonCurrencyMismatch
		}
		return rule.Value, ""
	}
	return 0, "commission_rule_invalid"
}

// RecurringEligible reports whether a subscription payment at event time
// at earns under a rule with the given recurring months:
//
//   - months > 0 and StartedAt known: at is before StartedAt + months
//     calendar months (UTC; on the same day of the month, or the month's
//     last day when it is shorter, as Stripe and Paddle bill: a start on
//     January 31 ends a month later on February 28 or 29, not March 2 or
//     3, so a subscription started late in a month is not paid a payment
//     more).
//   - months > 0, StartedAt unknown, Cycle known (> 0): cycles are taken
//     as monthly, so Cycle <= months.
//   - months == 0 (first payment only): Cycle == 1; with Cycle unknown,
//     at within 24h of StartedAt.
//   - Nothing known: the payment is treated as a one-off order and earns.
//     Stage 1 never asks that: Attributor.Order fills in the StartedAt of
//     such a payment from the customer's state (the subscription's start
//     as its payments showed; for a subscription never seen before, this
//     payment), so renewals that carry neither stop earning after months.
func RecurringEligible(months int32, s schemas.Subscription, at time.Time) bool {
	if months <= 0 {
		switch {
		case s.Cycle > 0:
			return s.Cycle == 1
		case s.StartedAt != nil:
			d := at.Sub(*s.StartedAt)
			return d < 24*time.Hour && d > -24*time.Hour
		}
		return true
	}
	switch {
	case s.StartedAt != nil:
		return at.Before(addMonths(*s.StartedAt, int(months)))
	case s.Cycle > 0:
		return s.Cycle <= months
	}
	return true
}

// addMonths returns t (in UTC) n calendar months later (earlier for a
// negative n) at the same time of day, on the same day of the month or
// the target month's last day when that month is shorter: January 31 plus
// one month is February 28 (29 in a leap year). time.AddDate would
// overflow into March instead.
func addMonths(t time.Time, n int) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// EqualWeights splits 10000 basis points among n shares: 10000/n each, the
// remainder one point each to the first shares. n must be positive.
func EqualWeights(n int) []int32 {
	w := make([]int32, n)
	base, rem := int32(10000/n), 10000%n
	for i := range w {
		w[i] = base
		if i < rem {
			w[i]++
		}
	}
	return w
}

// SplitAmount divides total by weights (basis points summing to 10000)
// with the largest-remainder method: each share gets floor(total*w/10000),
// and the units left over go one each to the shares with the largest
// remainders, ties to the earlier share. The parts sum to total exactly.
// total must not be negative.
func SplitAmount(total int64, weights []int32) []int64 {
	parts := make([]int64, len(weights))
	rems := make([]uint64, len(weights))
	var sum int64
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		q, r := bits.Div64(hi, lo, 10000)
		parts[i] = int64(q)
		rems[i] = r
		sum += parts[i]
	}
	left := total - sum
	if left > int64(len(weights)) { // weights not summing to 10000
		parts[0] += left - int64(len(weights))
		left = int64(len(weights))
	}
	for ; left > 0; left-- {
		best := -1
		for i, r := range rems {
			if best < 0 || r > rems[best] {
				best = i
			}
		}
		parts[best]++
		rems[best] = 0
	}
	return parts
}
