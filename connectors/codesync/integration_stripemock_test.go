package codesync

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/stripe/stripeapi"
	"github.com/heldsway/heldsway/connectors/stripe/stripemock"
	"github.com/heldsway/heldsway/schemas"
)

// TestIntegrationStripeMock sends every request the Stripe remote makes
// to stripe-mock, which validates parameters against Stripe's OpenAPI
// spec (it keeps no state, so behaviour is tested against fakeStripe).
func TestIntegrationStripeMock(t *testing.T) {
	base := stripemock.Start(t)
	s, err := NewStripe(StripeConfig{StoreID: "acct_1", BaseURL: base, SecretKey: "sk_test_123"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	c := testCode("Summer25", rich)
	want, err := s.Want(&c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Any code finds the FALL20 fixture, which is not ours.
	if _, found, err := s.Find(ctx, want.Code); err != nil || found {
		t.Fatalf("Find: %v %v", found, err)
	}
	// The coupon create (stripe-mock answers every GET, so post it
	// directly) and the promotion code create with every restriction.
	for _, w := range []Coupon{want, mustWant(t, s, testCode("Five", fixed))} {
		if _, err := s.do(ctx, stripeapi.Request{Method: http.MethodPost, Path: "/v1/coupons", Form: s.couponForm(w)}, nil); err != nil {
			t.Fatalf("coupon form refused: %v", err)
		}
	}
	created, err := s.Create(ctx, want, "heldsway-test-key")
	if err != nil || created.ID == "" {
		t.Fatalf("Create: %+v %v", created, err)
	}
	if _, err := s.Deactivate(ctx, created); err != nil {
		t.Fatalf("Deactivate: %v", err)
	}
	if _, err := s.Update(ctx, created, want, "heldsway-test-key"); err != nil {
		t.Fatalf("Update: %v", err)
	}
	n := 0
	if err := s.List(ctx, func(Coupon) error { n++; return nil }); err != nil || n == 0 {
		t.Fatalf("List: %d %v", n, err)
	}
	// The legacy coupon= form is refused, as the contract says.
	_, err = s.do(ctx, stripeapi.Request{Method: http.MethodPost, Path: "/v1/promotion_codes", Form: url.Values{"coupon": {"X"}, "code": {"X"}}}, nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest {
		t.Fatalf("legacy form: %v", err)
	}
	// Without a key: 401, permanent.
	bad, _ := NewStripe(StripeConfig{StoreID: "acct_1", BaseURL: base, SecretKey: "not-a-key"})
	if _, _, err := bad.Find(context.Background(), "X"); err == nil || temporary(err) {
		t.Fatalf("bad key: %v", err)
	}
}

func mustWant(t *testing.T, r Remote, c schemas.Code) Coupon {
	t.Helper()
	w, err := r.Want(&c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return w
}
