package conversion

import (
	"fmt"

	"github.com/heldsway/heldsway/schemas/money"
)

// TotalTolerance is how far a reported total may be from subtotal -
// discount + shipping + tax (computed, in minor units): the larger of 2
// minor units and 0.1% of computed, for the rounding of per-line taxes and
// discounts. A total further off is refused.
func TotalTolerance(computed int64) int64 { return max(2, computed/1000) }

// amount checks a minor-unit amount is in [0, money.Max].
func amount(field string, v int64) error {
	if v < 0 {
		return fmt.Errorf("%s: %d is negative", field, v)
	}
	if v > money.Max {
		return fmt.Errorf("%s: %d exceeds the maximum %d", field, v, money.Max)
	}
	return nil
}
