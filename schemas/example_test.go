package schemas_test

import (
	"fmt"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

func Example() {
	s := schemas.NewSerde() // single-object framing; WithRegistry for Confluent
	code := "SUMMER10"
	in := &schemas.Order{
		EventID:  schemas.ID("shopify", "shop.example", "1001", "orders/paid"),
		OrderID:  "1001",
		Platform: "shopify",
		StoreID:  "shop.example",
		Currency: "EUR",
		Subtotal: 10000, Discount: 1000, Total: 9000,
		Codes:      []schemas.AppliedCode{{Code: code, Amount: 1000}},
		Customer:   schemas.Customer{Key: "vis_1"},
		OccurredAt: time.Date(2025, 3, 14, 15, 9, 26, 535_897_000, time.UTC),
	}
	b, err := s.Encode(in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("frame: % x ...\n", b[:2])

	var out schemas.Order
	if err := s.Decode(b, &out); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.OrderID, out.Codes[0].Code, out.Total, out.OccurredAt.Format(time.RFC3339Nano))

	var c schemas.Click
	fmt.Println(s.Decode(b, &c))
	// Output:
	// frame: c3 01 ...
	// 1001 SUMMER10 9000 2025-03-14T15:09:26.535Z
	// schemas: record is io.heldsway.v1.Order, not Click
}

func ExampleID() {
	fmt.Println(schemas.ID("shopify", "shop.example", "1001", "orders/paid"))
	// Output: 4d7201edbddb2a042805d5eaf77b56a7
}

func ExampleTypeOf() {
	name, _ := schemas.TypeOf(&schemas.Refund{})
	fmt.Println(name)
	// Output: io.heldsway.v1.Refund
}

func ExampleSerde_DecodeAny() {
	s := schemas.NewSerde()
	b, _ := s.Encode(schemas.Flag{Type: "code_leak", Severity: "review"})
	v, _ := s.DecodeAny(b)
	switch r := v.(type) {
	case *schemas.Flag:
		fmt.Println("flag", r.Type)
	case *schemas.Order:
		fmt.Println("order", r.OrderID)
	}
	// Output: flag code_leak
}
