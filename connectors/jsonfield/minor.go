package jsonfield

import (
	"fmt"

	"github.com/heldsway/heldsway/schemas/money"
)

// Minor parses d as a decimal amount in cur to signed minor units, for the
// named field; an absent field is 0, or an error when required.
func (d Decimal) Minor(field, cur string, required bool) (int64, error) {
	if d == "" {
		if required {
			return 0, fmt.Errorf("%s is missing", field)
		}
		return 0, nil
	}
	v, err := money.Parse(string(d), cur)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", field, err)
	}
	return v, nil
}

// NonNegative is Minor for amounts that cannot be negative (prices,
// discounts, taxes as the platforms report them).
func (d Decimal) NonNegative(field, cur string, required bool) (int64, error) {
	v, err := d.Minor(field, cur, required)
	if err != nil {
		return 0, err
	}
	if v < 0 {
		return 0, fmt.Errorf("%s: %s is negative", field, Abbrev([]byte(d)))
	}
	return v, nil
}
