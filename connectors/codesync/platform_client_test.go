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
// one the webhook side uses, with the sync's own request timeout: without
// an HTTPClient of their own, a store that never answers is given up after
// the remote's Timeout, by default DefaultRemoteTimeout (30s, as before
// the clients were shared), not the webhook side's 5s. The runs set a
// short Timeout so that the test does not wait 30s; the defaults are
// checked on the configs NewStripe and NewPaddle keep. The wait is bounded
// by HELDSWAY_TEST_WAIT (a Go duration, default 20s).
func TestRemotesUseThePlatformAPIClient(t *testing.T) {
	bound := 20 * time.Second
	if s := os.Getenv("HELDSWAY_TEST_WAIT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("HELDSWAY_TEST_WAIT: %v", err)
		}
		bound = d
	}
	if DefaultRemoteTimeout != 30*time.Second || stripeapi.DefaultTimeout != 5*time.Second || paddleapi.DefaultTimeout != 5*time.Second {
		t.Fatalf("timeouts: sync %v, stripeapi %v, paddleapi %v; want 30s for the sync and 5s for the webhook side's lookups",
			DefaultRemoteTimeout, stripeapi.DefaultTimeout, paddleapi.DefaultTimeout)
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
	const short = 300 * time.Millisecond
	for _, tt := range []struct {
		name    string
		remote  func(timeout time.Duration) (Remote, error)
		timeout func(Remote) time.Duration // the Timeout the remote kept
	}{
		{"stripe", func(d time.Duration) (Remote, error) {
			return NewStripe(StripeConfig{StoreID: "acct_1", BaseURL: srv.URL, SecretKey: "sk_test_1", Timeout: d})
		}, func(r Remote) time.Duration { return r.(*Stripe).cfg.Timeout }},
		{"paddle", func(d time.Duration) (Remote, error) {
			return NewPaddle(PaddleConfig{StoreID: "pro_1", BaseURL: srv.URL, APIKey: "pdl_key", Timeout: d})
		}, func(r Remote) time.Duration { return r.(*Paddle).cfg.Timeout }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def, err := tt.remote(0)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.timeout(def); got != DefaultRemoteTimeout {
				t.Errorf("default timeout %v, want DefaultRemoteTimeout %v", got, DefaultRemoteTimeout)
			}
			if _, err := tt.remote(-time.Second); err == nil {
				t.Error("a negative timeout was accepted")
			}
			r, err := tt.remote(short)
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
			// Well short of the webhook side's 5s, so that a remote falling
			// back to it fails here.
			if slack := min(bound/4, 2*time.Second); took < short || took > short+slack {
				t.Fatalf("gave up after %s, want the remote's timeout %s", took, short)
			}
		})
	}
}
