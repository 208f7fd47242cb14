package checkout

import (
	"fmt"

	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

// Codes collects the discount codes of a checkout.
type Codes struct {
	list []schemas.AppliedCode
	at   map[string]int
}

// Add adds raw with the discount it gave, in minor units. The code is
// normalised; a code used twice is listed once with the amounts summed. A
// code that cannot be normalised (e.g. it contains a space) cannot be in
// the registry, so it is left out rather than failing the order. The error
// is a sum above money.Max.
func (c *Codes) Add(raw string, amount int64) error {
	code, err := promocode.Normalize(raw)
	if err != nil {
		return nil
	}
	if j, ok := c.at[code]; ok {
		if c.list[j].Amount, err = Add(c.list[j].Amount, amount); err != nil {
			return fmt.Errorf("%s: %w", code, err)
		}
		return nil
	}
	if c.at == nil {
		c.at = map[string]int{}
	}
	c.at[code] = len(c.list)
	c.list = append(c.list, schemas.AppliedCode{Code: code, Amount: amount})
	return nil
}

// List returns the codes in the order first added; empty, not nil, when
// there are none.
func (c *Codes) List() []schemas.AppliedCode {
	if c.list == nil {
		return []schemas.AppliedCode{}
	}
	return c.list
}
