package attribution

import (
	"fmt"
	"testing"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// BenchmarkOrder is rule evaluation on the hot path: a customer with a few
// clicks places an order with a valid code (coupon_priority, validation,
// commission, fraud checks), then the state round-trips as Pebble holds it.
func BenchmarkOrder(b *testing.B) {
	a := New(NewProgram())
	code := schemas.Code{Code: "SARAH10", AffiliateID: "aff-sarah", Status: "active", DiscountType: "percent", DiscountValue: 1000,
		RequiresClick: true, Commission: &schemas.CommissionRule{Type: "percent", Value: 1000}}
	lookup := func(c string) (schemas.Code, bool) { return code, c == code.Code }
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var base Customer
	for i := 0; i < 5; i++ {
		aff := "aff-sarah"
		a.Click(&base, schemas.Click{EventID: fmt.Sprint("c", i), ClickID: fmt.Sprint("v.c", i), VisitorID: "v", AffiliateID: &aff,
			Source: "redirect", OccurredAt: at.Add(-time.Duration(i+1) * time.Hour)}, lookup, at)
	}
	state, err := base.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		st, err := UnmarshalCustomer(state)
		if err != nil {
			b.Fatal(err)
		}
		o := schemas.Order{EventID: fmt.Sprint("o", i), OrderID: fmt.Sprint(i), Platform: "api", StoreID: "s", Currency: "EUR",
			Subtotal: 5990, Discount: 599, Codes: []schemas.AppliedCode{{Code: "SARAH10", Amount: 599}}, OccurredAt: at,
			Customer: schemas.Customer{Key: "v"}}
		if _, ok, _ := a.Order(&st, o, lookup, at); !ok {
			b.Fatal("order not decided")
		}
		if _, err := st.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}
