package conversion

import (
	"fmt"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

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

// accepted remembers what each accepted order said, by order reference,
// in a size-bounded LRU (github.com/hashicorp/golang-lru/v2); an entry
// expires ttl after it was remembered, by the handler's clock.
type accepted struct {
	once  sync.Once
	ttl   time.Duration
	cache *lru.Cache[string, acceptedOrder]
}

// acceptedOrder is an order's fields (orderFields joined by \x1f) and when
// they are forgotten.
type acceptedOrder struct {
	fields  string
	expires time.Time
}

// init applies the defaults on first use.
func (a *accepted) init(size int, ttl time.Duration) {
	a.once.Do(func() {
		if size <= 0 {
			size = DefaultAcceptedOrders
		}
		if ttl <= 0 {
			ttl = DefaultAcceptedTTL
		}
		a.ttl = ttl
		a.cache, _ = lru.New[string, acceptedOrder](size) // size >= 1: no error
	})
}

// lookup returns the fields remembered for ref, unless they expired by now.
func (a *accepted) lookup(ref string, now time.Time) (string, bool) {
	e, ok := a.cache.Get(ref)
	if !ok || !now.Before(e.expires) {
		return "", false
	}
	return e.fields, true
}

// remember stores ref's fields from now on, evicting the least recently
// used order past the size.
func (a *accepted) remember(ref, fields string, now time.Time) {
	a.cache.Add(ref, acceptedOrder{fields: fields, expires: now.Add(a.ttl)})
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
