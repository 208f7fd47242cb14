package stripe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// stripeMock starts the official stripe-mock (STRIPE_MOCK_BIN, or
// stripe-mock on PATH) on free loopback ports and returns its HTTP base URL.
// Without the binary the test is skipped, except in CI (CI=true), which must
// install it.
func stripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK_BIN")
	if bin == "" {
		bin, _ = exec.LookPath("stripe-mock")
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("stripe-mock not found: CI must install it (go install github.com/stripe/stripe-mock@v0.203.0)")
		}
		t.Skip("stripe-mock not installed: set STRIPE_MOCK_BIN or put stripe-mock on PATH")
	}
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	base := "http://" + httpAddr
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/v1/promotion_codes/promo_ping")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not answer on %s: %v", base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestIntegrationStripeMock(t *testing.T) {
	base := stripeMock(t)
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
