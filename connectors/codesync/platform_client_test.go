package codesync

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/paddle/paddleapi"
	"github.com/heldsway/heldsway/connectors/stripe/stripeapi"
)

// TestRemotesUseThePlatformAPIClient checks the Stripe and Paddle remotes
// send through the platform's one API client (stripeapi, paddleapi), the
// one the webhook side uses: without an HTTPClient of their own, a store
// that never answers is given up after that client's timeout, not after
// a timeout of the sync's own. The wait is bounded by
// HELDSWAY_TEST_WAIT (a Go duration, default 20s).
func TestRemotesUseThePlatformAPIClient(t *testing.T) {
	bound := 20 * time.Second
	if s := os.Getenv("HELDSWAY_TEST_WAIT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HELDSWAY_TEST_WAIT: %v", err)
		}
		bound = d
	}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never answers while the client waits
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	for _, tt := range []struct {
		name    string
		timeout time.Duration
		remote  func() (Remote, error)
	}{
		{"stripe", stripeapi.DefaultTimeout, func() (Remote, error) {
			return NewStripe(StripeConfig{StoreID: "acct_1", BaseURL: srv.URL, SecretKey: "sk_test_1"})
		}},
		{"paddle", paddleapi.DefaultTimeout, func() (Remote, error) {
			return NewPaddle(PaddleConfig{StoreID: "pro_1", BaseURL: srv.URL, APIKey: "pdl_key"})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := tt.remote()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			start := time.Now()
			_, _, err = r.Find(ctx, "SUMMER25")
			took := time.Since(start)
			var te transportError
			if !errors.As(err, &te) || ctx.Err() != nil {
				t.Fatalf("Find: %v (context %v); want the client's timeout as a transport error", err, ctx.Err())
			}
			if took < tt.timeout || took > tt.timeout+bound/4 {
				t.Fatalf("gave up after %s, want the API client's timeout %s", took, tt.timeout)
			}
		})
	}
}
