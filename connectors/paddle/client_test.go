package paddle

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakePaddle implements the documented GET /discounts/{id} contract: the
// fixture entity, 404 not_found, 429 with Retry-After, 403 without a key.
func fakePaddle(t *testing.T, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	entity, err := os.ReadFile("testdata/api_discount.response.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet || r.Header.Get("Authorization") != "Bearer pdl_live_apikey_good" {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":{"type":"request_error","code":"forbidden","detail":"You aren't permitted to perform this request."},"meta":{"request_id":"x"}}`))
			return
		}
		switch r.URL.Path {
		case "/discounts/dsc_01h83xenpcfjyhkqr4x214m02x":
			w.Write(entity)
		case "/discounts/dsc_nocode":
			w.Write([]byte(`{"data":{"id":"dsc_nocode","code":null,"status":"active"},"meta":{}}`))
		case "/discounts/dsc_busy":
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"type":"request_error","code":"too_many_requests","detail":"Too many requests"}}`))
		case "/discounts/dsc_broken":
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"type":"request_error","code":"not_found","detail":"Entity dsc_x not found"},"meta":{"request_id":"y"}}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClient(t *testing.T) {
	var calls atomic.Int32
	srv := fakePaddle(t, &calls)
	now := testNow
	c, err := NewClient(ClientConfig{
		BaseURL:   srv.URL + "/",
		APIKeys:   map[string]string{testStore: "pdl_live_apikey_good", "bad": "pdl_live_apikey_bad"},
		CacheSize: 1, CacheTTL: time.Minute,
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name, store, id, want string
		err                   error
	}{
		{"found", testStore, "dsc_01h83xenpcfjyhkqr4x214m02x", "ABCDE12345", nil},
		{"no code", testStore, "dsc_nocode", "", nil},
		{"404", testStore, "dsc_01h83xenpcfjyhkqr4x214m999", "", ErrNotFound},
		{"429", testStore, "dsc_busy", "", ErrTemporary},
		{"502", testStore, "dsc_broken", "", ErrTemporary},
		{"403", "bad", "dsc_01h83xenpcfjyhkqr4x214m02x", "", ErrTemporary},
		{"unknown store", "none", "dsc_01h83xenpcfjyhkqr4x214m02x", "", ErrTemporary},
		{"not a discount id", testStore, "dsc_../../transactions", "", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Code(ctx, tt.store, tt.id)
			if got != tt.want || (tt.err == nil) != (err == nil) || tt.err != nil && !errors.Is(err, tt.err) {
				t.Fatalf("Code = %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
	_, err = c.Code(ctx, testStore, "dsc_busy")
	var rl *RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
		t.Fatalf("429: %v, want RateLimitError with 30s", err)
	}
	if _, err := c.Code(ctx, testStore, "dsc_01h83xenpcfjyhkqr4x214m999"); !strings.Contains(err.Error(), "not found") {
		t.Fatalf("error should carry Paddle's detail: %v", err)
	}

	calls.Store(0)
	for range 3 {
		c.Code(ctx, testStore, "dsc_01h83xenpcfjyhkqr4x214m02x")
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("3 lookups made %d requests, want 1 (the entry was evicted by dsc_nocode)", n)
	}
	now = now.Add(2 * time.Minute)
	c.Code(ctx, testStore, "dsc_01h83xenpcfjyhkqr4x214m02x")
	if n := calls.Load(); n != 2 {
		t.Fatalf("expired entry: %d requests, want 2", n)
	}
}

func TestClientConfig(t *testing.T) {
	for _, cfg := range []ClientConfig{{}, {APIKeys: map[string]string{"s": ""}}, {APIKeys: map[string]string{"s": "k"}, BaseURL: "::"}} {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) accepted", cfg)
		}
	}
}

func TestChain(t *testing.T) {
	ctx := context.Background()
	down := &fakeDiscounts{err: errors.New("down")}
	api := &fakeDiscounts{codes: map[string]string{"dsc_a": "A10"}}
	if c, err := (Chain{StaticCodes{"dsc_r": "R10"}, api}).Code(ctx, testStore, "dsc_r"); c != "R10" || err != nil {
		t.Fatalf("registry first: %q %v", c, err)
	}
	if api.calls != 0 {
		t.Fatal("second source asked after a hit")
	}
	if c, err := (Chain{down, api}).Code(ctx, testStore, "dsc_a"); c != "A10" || err != nil {
		t.Fatalf("after failure: %q %v", c, err)
	}
	if _, err := (Chain{StaticCodes{}, api}).Code(ctx, testStore, "dsc_x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("none knows: %v", err)
	}
	if _, err := (Chain{down, api}).Code(ctx, testStore, "dsc_x"); !errors.Is(err, ErrTemporary) {
		t.Fatalf("failure and miss: %v", err)
	}
}
