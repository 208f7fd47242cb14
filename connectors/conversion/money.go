package conversion

import (
	"fmt"

	"github.com/heldsway/heldsway/connectors/money"
)

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

// currency validates an ISO-4217 code for field "currency".
func currency(s string) (string, error) {
	c, _, err := money.Currency(s)
	if err != nil {
		return "", fmt.Errorf("currency: %w", err)
	}
	return c, nil
}
