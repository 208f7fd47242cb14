package stripeapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"key only", Config{Key: "sk_test_1"}, true},
		{"no key", Config{}, false},
		{"base URL not http", Config{Key: "k", BaseURL: "ftp://x"}, false},
		{"base URL without host", Config{Key: "k", BaseURL: "http://"}, false},
		{"base URL", Config{Key: "k", BaseURL: "http://127.0.0.1:1/"}, true},
		{"timeout", Config{Key: "k", Timeout: time.Minute}, true},
		{"negative timeout", Config{Key: "k", Timeout: -time.Second}, false},
	} {
		err := tt.cfg.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if _, err := New(tt.cfg); (err == nil) != tt.ok {
			t.Errorf("%s: New: %v", tt.name, err)
		}
	}
}

// TestDo runs requests against a server that answers as Stripe does:
// form bodies in, JSON out, errors as {"error": {...}}.
func TestDo(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Path {
		case "/v1/promotion_codes/promo_1":
			_, _ = io.WriteString(w, `{"id":"promo_1","code":"FALL20"}`)
		case "/v1/missing":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","param":"id","message":"No such promotion code: 'x'"}}`)
		case "/v1/limited":
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, "slow down\n")
		case "/v1/created":
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/", Key: "sk_test_1", Version: "2026-08-26.dahlia", UserAgent: "heldsway-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var pc struct{ ID, Code string }
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/promotion_codes/promo_1", Query: url.Values{"expand[]": {"coupon"}}}, &pc); err != nil || pc.Code != "FALL20" {
		t.Fatalf("GET: %+v %v", pc, err)
	}
	for h, want := range map[string]string{"Authorization": "Bearer sk_test_1", "Stripe-Version": "2026-08-26.dahlia", "User-Agent": "heldsway-test", "Accept": "application/json"} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("%s: %q, want %q", h, v, want)
		}
	}
	if got.URL.RawQuery != "expand%5B%5D=coupon" {
		t.Errorf("query %q", got.URL.RawQuery)
	}

	_, err = c.Do(ctx, Request{Method: http.MethodPost, Path: "/v1/created", Form: url.Values{"code": {"X"}}, Header: http.Header{"Idempotency-Key": {"k1"}}}, nil)
	if err != nil || gotBody != "code=X" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || got.Header.Get("Idempotency-Key") != "k1" {
		t.Errorf("POST: %v, body %q, headers %v", err, gotBody, got.Header)
	}

	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/missing"}, nil)
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "resource_missing" || ae.Param != "id" || ae.Type != "invalid_request_error" ||
		ae.Message != "No such promotion code: 'x'" || !strings.Contains(err.Error(), "stripe answered 404 to GET /v1/missing") {
		t.Errorf("404: %#v", err)
	}
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/limited"}, nil)
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != "3" || ae.Body != "slow down" || ae.Message != "" {
		t.Errorf("429: %#v", err)
	}

	srv.Close()
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/v1/promotion_codes/promo_1"}, nil)
	var te *TransportError
	if !errors.As(err, &te) || te.Path != "/v1/promotion_codes/promo_1" {
		t.Errorf("closed server: %#v", err)
	}
}

func TestDoWithoutVersionSendsNone(t *testing.T) {
	var version []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		version = r.Header.Values("Stripe-Version")
		_, _ = io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), Request{Method: http.MethodGet, Path: "/v1/x"}, nil); err != nil || len(version) != 0 {
		t.Errorf("%v, Stripe-Version %q", err, version)
	}
}
