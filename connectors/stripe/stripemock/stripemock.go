// Package stripemock starts the official stripe-mock for contract tests:
// the binary named by STRIPE_MOCK_BIN or found on PATH (`make tools`
// installs it into bin/), on free loopback ports. It waits for it to answer
// up to HELDSWAY_STRIPE_MOCK_TIMEOUT (default 2m).
package stripemock

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Start runs stripe-mock for the rest of t and returns its HTTP base URL.
// Without the binary t is skipped, except in CI (CI=true), which must
// install it.
func Start(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK_BIN")
	if bin == "" {
		bin, _ = exec.LookPath("stripe-mock")
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("stripe-mock not found: CI must install it (make tools)")
		}
		t.Skip("stripe-mock not installed: set STRIPE_MOCK_BIN or put stripe-mock on PATH (make tools)")
	}
	httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "-http-addr", httpAddr, "-https-addr", httpsAddr)
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting stripe-mock: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	base := "http://" + httpAddr
	bound := 2 * time.Minute
	if v := os.Getenv("HELDSWAY_STRIPE_MOCK_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("HELDSWAY_STRIPE_MOCK_TIMEOUT: %v", err)
		}
		bound = d
	}
	// stripe-mock loads Stripe's whole OpenAPI spec before it listens: on a
	// loaded machine that takes far longer than on a quiet one.
	deadline := time.Now().Add(bound)
	for {
		resp, err := http.Get(base + "/v1/coupons/ping")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock did not answer on %s within %s (HELDSWAY_STRIPE_MOCK_TIMEOUT): %v", base, bound, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
