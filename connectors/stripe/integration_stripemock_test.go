package stripe

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/heldsway/heldsway/connectors/stripe/stripemock"
)

func TestIntegrationStripeMock(t *testing.T) {
	base := stripemock.Start(t)
	c, err := NewClient(ClientConfig{BaseURL: base, SecretKeys: map[string]string{testStore: "sk_test_123"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// stripe-mock is stateless: any id returns the FALL20 fixture.
	code, err := c.Code(ctx, testStore, testPromo)
	if err != nil || code != "FALL20" {
		t.Fatalf("Code = %q, %v; want FALL20", code, err)
	}
	if _, err := c.InvoiceDiscounts(ctx, testStore, "in_1Pgc6tB7WZ01zgkWu9fdqL6I"); err != nil {
		t.Fatalf("InvoiceDiscounts: %v", err)
	}
	if _, err := c.InvoiceForPayment(ctx, testStore, "pi_123"); err != nil {
		t.Fatalf("InvoiceForPayment: %v", err)
	}
	// Without a usable key stripe-mock answers 401, which is temporary.
	bad, _ := NewClient(ClientConfig{BaseURL: base, SecretKeys: map[string]string{testStore: "not-a-key"}})
	if _, err := bad.Code(ctx, testStore, "promo_other"); !errors.Is(err, ErrTemporary) {
		t.Fatalf("bad key: %v", err)
	}
	// The whole path: a webhook naming a promo id publishes the code.
	p := newTestPlatform(t, Chain{StaticCodes{}, c})
	res, err := p.Parse(delivery(body(t, "checkout.session.completed", "fixtures3.checkout.session.json", func(o map[string]any) {
		paidSession(o)
		o["discounts"] = []any{map[string]any{"promotion_code": "promo_fresh"}}
	})))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(orderOf(t, res).Codes[0].Code); got != "FALL20" {
		t.Fatalf("code %q", got)
	}
}
