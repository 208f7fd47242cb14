package codesync

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heldsway/heldsway/codes/registry"
	"github.com/heldsway/heldsway/connectors/paddle/paddleapi"
	"github.com/heldsway/heldsway/connectors/stripe/stripeapi"
)

// TestAPIError checks the one adapter from the platform API clients'
// failures to the syncer's terms, for every client the remotes send
// through: the platform's reason, status and Retry-After in an *APIError,
// no answer as a transportError.
func TestAPIError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_, _ = io.WriteString(w, r.Header.Get("X-Answer"))
	}))
	t.Cleanup(srv.Close)
	stripe, err := stripeapi.New(stripeapi.Config{BaseURL: srv.URL, Key: "sk_test_1"})
	if err != nil {
		t.Fatal(err)
	}
	paddle, err := paddleapi.New(paddleapi.Config{BaseURL: srv.URL, Key: "pdl"})
	if err != nil {
		t.Fatal(err)
	}
	shop, err := newClient(registry.PlatformShopify, srv.URL, nil, func(http.Header) {}, shopifyMessage)
	if err != nil {
		t.Fatal(err)
	}
	type sender func(ctx context.Context, body string) error
	send := map[string]sender{
		registry.PlatformStripe: func(ctx context.Context, body string) error {
			_, err := (&Stripe{api: stripe}).do(ctx, stripeapi.Request{Method: http.MethodGet, Path: "/x", Header: http.Header{"X-Answer": {body}}}, nil)
			return err
		},
		registry.PlatformPaddle: func(ctx context.Context, body string) error {
			_, err := (&Paddle{api: paddle}).do(ctx, paddleapi.Request{Method: http.MethodGet, Path: "/x", Header: http.Header{"X-Answer": {body}}}, nil)
			return err
		},
		registry.PlatformShopify: func(ctx context.Context, body string) error {
			_, err := shop.do(ctx, request{method: http.MethodGet, path: "/x", header: http.Header{"X-Answer": {body}}}, nil)
			return err
		},
	}
	for _, tt := range []struct {
		platform, body, want string
	}{
		{registry.PlatformStripe, `{"error":{"type":"invalid_request_error","code":"parameter_invalid","param":"code","message":"Bad code"}}`, "Bad code (param code) [parameter_invalid]"},
		{registry.PlatformStripe, `not json`, "not json"},
		{registry.PlatformPaddle, `{"error":{"type":"request_error","code":"invalid_field","detail":"Invalid request.","errors":[{"field":"amount","message":"must be positive"}]}}`, "Invalid request.; amount: must be positive [invalid_field]"},
		{registry.PlatformPaddle, `<html>gateway</html>`, "<html>gateway</html>"},
		{registry.PlatformShopify, `{"errors":"Not Found"}`, shopifyMessage([]byte(`{"errors":"Not Found"}`))},
	} {
		t.Run(tt.platform+"/"+tt.want, func(t *testing.T) {
			err := send[tt.platform](context.Background(), tt.body)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("%v (%T), want an *APIError", err, err)
			}
			if ae.Platform != tt.platform || ae.Method != http.MethodGet || ae.Path != "/x" || ae.Status != http.StatusUnprocessableEntity ||
				ae.RetryAfter != "7" || ae.Message != tt.want {
				t.Fatalf("%+v, want message %q", ae, tt.want)
			}
		})
	}
	t.Run("no answer", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for p, s := range send {
			var te transportError
			if err := s(ctx, ""); !errors.As(err, &te) {
				t.Errorf("%s: %v (%T), want a transportError", p, err, err)
			}
		}
	})
	t.Run("other errors as they are", func(t *testing.T) {
		other := errors.New("decoding")
		if got := apiError("x", other); got != other {
			t.Errorf("apiError(other) = %v", got)
		}
		if got := apiError("x", nil); got != nil {
			t.Errorf("apiError(nil) = %v", got)
		}
	})
}
