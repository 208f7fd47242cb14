package attribution_test

import (
	"fmt"
	"time"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/schemas"
)

// Example shows one order through the three stages.
func Example() {
	p, err := attribution.Parse([]byte("defaults:\n  commission: {type: percent, value: 1000}\n"))
	if err != nil {
		panic(err)
	}
	limit := int64(100)
	registry := map[string]schemas.Code{
		"SARAH10": {Code: "SARAH10", AffiliateID: "aff-sarah", Status: "active", MaxUses: &limit},
	}
	lookup := func(c string) (schemas.Code, bool) { e, ok := registry[c]; return e, ok }
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

	// Stage 1.
	a := attribution.New(p)
	var customer attribution.Customer
	aff := "aff-blog"
	a.Click(&customer, schemas.Click{EventID: "c1", ClickID: "c1", AffiliateID: &aff, OccurredAt: now.Add(-time.Hour)}, lookup, now)
	cand, _, _ := a.Order(&customer, schemas.Order{
		EventID: "o1", OrderID: "1001", Platform: "shopify", StoreID: "shop", Currency: "USD",
		Subtotal: 10000, Discount: 1000, Total: 9500, Codes: []schemas.AppliedCode{{Code: "SARAH10"}}, OccurredAt: now,
	}, lookup, now)

	// Stage 2: the processor passes its transaction as the state; a map
	// serves here.
	usage := attribution.CodeUsage{State: mapState{}}
	d, _, err := usage.Resolve(cand)
	if err != nil {
		panic(err)
	}
	cnt, _ := usage.Counter("SARAH10")
	att := d.Attribution
	fmt.Println(att.Status, att.Method, *att.AffiliateID, att.Commission, "uses:", cnt.Uses)

	// Stage 3.
	_, ledger := attribution.Revise(attribution.OrderLedger{}, att, now)
	adjs, _ := attribution.Reverse(ledger, schemas.Refund{RefundID: "r1", Amount: 4500, Currency: "USD"}, now)
	fmt.Println(adjs[0].AffiliateID, adjs[0].Amount, adjs[0].Reason)
	// Output:
	// approved code aff-sarah 900 uses: 1
	// aff-sarah -450 partial_refund
}

// mapState is an attribution.UsageState in memory.
type mapState map[string][]byte

func (m mapState) Get(key []byte) ([]byte, bool, error) { v, ok := m[string(key)]; return v, ok, nil }
func (m mapState) Set(key, val []byte)                  { m[string(key)] = append([]byte(nil), val...) }
func (m mapState) Delete(key []byte)                    { delete(m, string(key)) }
