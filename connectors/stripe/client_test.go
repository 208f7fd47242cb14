package stripe

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStripe implements the documented GET /v1/promotion_codes/{id},
// GET /v1/invoices/{id} and GET /v1/invoice_payments contracts.
func fakeStripe(t *testing.T, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer sk_test_good" {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"message":"Invalid API Key provided: sk_test_***","type":"invalid_request_error"}}`))
			return
		}
		switch {
		case r.URL.Path == "/v1/promotion_codes/"+testPromo:
			w.Write([]byte(`{"id":"` + testPromo + `","object":"promotion_code","code":"FALL20","active":true}`))
		case r.URL.Path == "/v1/promotion_codes/promo_busy":
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"message":"Too many requests","type":"rate_limit_error"}}`))
		case r.URL.Path == "/v1/promotion_codes/promo_broken":
			w.WriteHeader(http.StatusInternalServerError)
		case r.URL.Path == "/v1/invoices/in_1" && r.URL.Query().Get("expand[]") == "discounts":
			w.Write([]byte(`{"id":"in_1","object":"invoice","discounts":[{"id":"di_1","object":"discount","promotion_code":"promo_a"},{"id":"di_2","object":"discount","promotion_code":null}]}`))
		case r.URL.Path == "/v1/invoice_payments" && r.URL.Query().Get("payment[payment_intent]") == "pi_sub":
			w.Write([]byte(`{"object":"list","data":[{"object":"invoice_payment","invoice":"in_7","status":"paid"}]}`))
		case r.URL.Path == "/v1/invoice_payments":
			w.Write([]byte(`{"object":"list","data":[]}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"code":"resource_missing","message":"No such promotion code: 'x'","param":"promotion_code","type":"invalid_request_error"}}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClient(t *testing.T) {
	var calls atomic.Int32
	srv := fakeStripe(t, &calls)
	now := testNow
	c, err := NewClient(ClientConfig{
		BaseURL:    srv.URL,
		SecretKeys: map[string]string{testStore: "sk_test_good", "acct_bad": "sk_test_bad"},
		CacheSize:  2, CacheTTL: time.Hour,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name, store, id string
		want            string
		err             error
	}{
		{"found", testStore, testPromo, "FALL20", nil},
		{"404 is not found", testStore, "promo_missing", "", ErrNotFound},
		{"429 is temporary", testStore, "promo_busy", "", ErrTemporary},
		{"500 is temporary", testStore, "promo_broken", "", ErrTemporary},
		{"401 is temporary", "acct_bad", testPromo, "", ErrTemporary},
		{"unknown store is temporary", "acct_none", testPromo, "", ErrTemporary},
		{"not a promo id never reaches the API", testStore, "../v1/charges", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Code(ctx, tt.store, tt.id)
			if got != tt.want || (tt.err == nil) != (err == nil) || tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("Code = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
	if _, err := c.Code(ctx, "acct_bad", testPromo); err == nil || !strings.Contains(err.Error(), "Invalid API Key") {
		t.Fatalf("error should carry Stripe's message: %v", err)
	}

	// Cache: a hit makes no request; expiry and eviction do.
	calls.Store(0)
	for range 3 {
		if _, err := c.Code(ctx, testStore, testPromo); err != nil {
			t.Fatal(err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("cached code made %d requests", n)
	}
	now = now.Add(2 * time.Hour)
	c.Code(ctx, testStore, testPromo)
	if n := calls.Load(); n != 1 {
		t.Fatalf("expired entry made %d requests, want 1", n)
	}
	c.InvoiceForPayment(ctx, testStore, "pi_a")
	c.InvoiceForPayment(ctx, testStore, "pi_b") // evicts the promo code
	if c.api.Cache.Len() != 2 {
		t.Fatalf("cache holds %d entries, want 2", c.api.Cache.Len())
	}
	calls.Store(0)
	c.Code(ctx, testStore, testPromo)
	if n := calls.Load(); n != 1 {
		t.Fatalf("evicted entry made %d requests, want 1", n)
	}

	m, err := c.InvoiceDiscounts(ctx, testStore, "in_1")
	if err != nil || m["di_1"] != "promo_a" || m["di_2"] != "" || len(m) != 2 {
		t.Fatalf("InvoiceDiscounts = %v, %v", m, err)
	}
	if _, err := c.InvoiceDiscounts(ctx, testStore, "in_missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing invoice: %v", err)
	}
	for pi, want := range map[string]string{"pi_sub": "in_7", "pi_oneoff": "", "not-a-pi": ""} {
		if got, err := c.InvoiceForPayment(ctx, testStore, pi); err != nil || got != want {
			t.Fatalf("InvoiceForPayment(%s) = %q, %v; want %q", pi, got, err, want)
		}
	}
}

func TestClientConfig(t *testing.T) {
	for _, cfg := range []ClientConfig{
		{},
		{SecretKeys: map[string]string{"": "k"}},
		{SecretKeys: map[string]string{"s": "k"}, BaseURL: "ftp://x"},
		{SecretKeys: map[string]string{"s": "k"}, CacheTTL: -1},
	} {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) accepted", cfg)
		}
	}
}

func TestClientTimeoutIsTemporary(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	c, _ := NewClient(ClientConfig{BaseURL: srv.URL, SecretKeys: map[string]string{testStore: "k"}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Code(ctx, testStore, testPromo); !errors.Is(err, ErrTemporary) {
		t.Fatalf("got %v, want temporary", err)
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	registry := StaticCodes{"promo_reg": "REG10"}
	api := &fakeCodes{codes: map[string]string{"promo_api": "API10", "promo_reg": "WRONG"}}
	down := &fakeCodes{err: errors.New("down")}
	tests := []struct {
		name  string
		chain Chain
		id    string
		want  string
		err   error
	}{
		{"first source wins", Chain{registry, api}, "promo_reg", "REG10", nil},
		{"falls through", Chain{registry, api}, "promo_api", "API10", nil},
		{"none knows", Chain{registry, api}, "promo_x", "", ErrNotFound},
		{"hit after a failure", Chain{down, api}, "promo_api", "API10", nil},
		{"failure and no hit is temporary", Chain{registry, down}, "promo_x", "", ErrTemporary},
		{"empty", Chain{nil}, "promo_x", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.chain.Code(ctx, testStore, tt.id)
			if got != tt.want || (tt.err == nil) != (err == nil) || tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}
