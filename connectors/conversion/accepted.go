package conversion

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/heldsway/heldsway/connectors/ttlcache"
	"github.com/heldsway/heldsway/schemas"
)

// Defaults of the memory of accepted orders.
const (
	// DefaultAcceptedOrders is how many accepted orders the API remembers
	// to answer 409 for an order id posted again with other content.
	DefaultAcceptedOrders = 200_000
	// DefaultAcceptedTTL is how long it remembers each (the default
	// attribution window: within it the processor would otherwise revise
	// the order).
	DefaultAcceptedTTL = 30 * 24 * time.Hour
)

// accepted remembers what each accepted order said, by order reference.
type accepted struct {
	once  sync.Once
	cache *ttlcache.Cache
}

func (a *accepted) get(size int, ttl time.Duration) *ttlcache.Cache {
	a.once.Do(func() {
		if size <= 0 {
			size = DefaultAcceptedOrders
		}
		if ttl <= 0 {
			ttl = DefaultAcceptedTTL
		}
		a.cache = ttlcache.New(size, ttl)
	})
	return a.cache
}

// orderFields are the parts of an order that must not change when its id
// is posted again: its money, currency, codes and customer.
func orderFields(o *schemas.Order) []string {
	codes := make([]string, len(o.Codes))
	for i, c := range o.Codes {
		codes[i] = fmt.Sprintf("%s:%d", c.Code, c.Amount)
	}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return []string{
		"currency=" + o.Currency,
		fmt.Sprintf("subtotal=%d", o.Subtotal),
		fmt.Sprintf("discount=%d", o.Discount),
		fmt.Sprintf("shipping=%d", o.Shipping),
		fmt.Sprintf("tax=%d", o.Tax),
		"codes=" + strings.Join(codes, ","),
		"customer=" + o.Customer.Key,
		"customer.email=" + deref(o.Customer.EmailHash),
		"customer.id=" + deref(o.Customer.CustomerID),
		"visitor_id=" + deref(o.Customer.VisitorID),
		"click_id=" + deref(o.Customer.ClickID),
	}
}

// conflict returns the names of the fields that differ between the
// remembered fields and o's ("" when none does).
func conflict(remembered string, o *schemas.Order) string {
	prev := strings.Split(remembered, "\x1f")
	cur := orderFields(o)
	var diff []string
	for i, f := range cur {
		if i >= len(prev) || prev[i] != f {
			name, _, _ := strings.Cut(f, "=")
			diff = append(diff, name)
		}
	}
	return strings.Join(diff, ", ")
}
