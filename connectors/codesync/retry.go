package codesync

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/pipeline/backoff"
)

// RetryPolicy bounds the attempts at one code on one store. A step (look
// the code up, then create, update, deactivate or delete it) is retried as
// a whole after a temporary failure: 429, 5xx, or no answer.
type RetryPolicy struct {
	// Attempts is the most tries of one step, the first included.
	// Default 5.
	Attempts int
	// Base is the wait after the first failure; it doubles per attempt,
	// with jitter: the wait is drawn between half of it and all of it.
	// Default 500ms.
	Base time.Duration
	// Max caps the exponential wait. Default 30s.
	Max time.Duration
	// MaxRetryAfter caps the wait a platform asks for with Retry-After
	// (seconds or an HTTP date) on 429 and 503, which is honoured exactly
	// up to this; a longer ask ends the attempts. Default 2m.
	MaxRetryAfter time.Duration
}

// EnsureDefaults sets p's zero fields to their defaults.
func (p *RetryPolicy) EnsureDefaults() {
	if p.Attempts == 0 {
		p.Attempts = 5
	}
	if p.Base == 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.Max == 0 {
		p.Max = 30 * time.Second
	}
	if p.MaxRetryAfter == 0 {
		p.MaxRetryAfter = 2 * time.Minute
	}
}

// Validate reports whether p is usable. It does not change p.
func (p RetryPolicy) Validate() error {
	if p.Attempts < 0 || p.Base < 0 || p.Max < 0 || p.MaxRetryAfter < 0 {
		return errors.New("sync: negative retry setting")
	}
	return nil
}

// Sleeper waits d or until ctx ends. Tests inject one that does not sleep.
type Sleeper = backoff.Sleeper

// retrier runs steps under a policy.
type retrier struct {
	p     RetryPolicy
	sleep Sleeper
	now   func() time.Time
	rand  func(n int64) int64
}

// do runs step until it succeeds, fails for good, or the attempts run out;
// the error is the last one, saying how many attempts were made.
func (r *retrier) do(ctx context.Context, step func() error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = step()
		if err == nil {
			return nil
		}
		if !temporary(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= r.p.Attempts {
			return fmt.Errorf("giving up after %d attempts: %w", attempt, err)
		}
		wait, ok := r.wait(err, attempt)
		if !ok {
			return fmt.Errorf("giving up: asked to retry after %s: %w", wait, err)
		}
		if serr := r.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("waiting to retry: %w (last error: %w)", serr, err)
		}
	}
}

// wait returns how long to wait before attempt+1: the platform's
// Retry-After on 429 and 503 when it sent one, else exponential backoff
// with jitter. ok is false when Retry-After exceeds MaxRetryAfter.
func (r *retrier) wait(err error, attempt int) (time.Duration, bool) {
	var ae *APIError
	if errors.As(err, &ae) && (ae.Status == http.StatusTooManyRequests || ae.Status == http.StatusServiceUnavailable) {
		if d, found := parseRetryAfter(ae.RetryAfter, r.now()); found {
			return d, d <= r.p.MaxRetryAfter
		}
	}
	return backoff.Policy{Min: r.p.Base, Max: r.p.Max, Jitter: r.rand}.Delay(attempt), true
}

// parseRetryAfter reads a Retry-After header: delay seconds (Shopify sends
// fractions, "2.0") or an HTTP date. A date in the past is no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0, true
		}
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d, true
		}
		return 0, true
	}
	return 0, false
}

// temporary reports whether err may pass on retry: a 429 or 5xx answer,
// or no answer at all (a transport error), but not a cancelled context.
func temporary(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	return isTransport(err)
}

// transportError marks errors from sending a request (no HTTP answer).
type transportError struct{ err error }

func (e transportError) Error() string { return e.err.Error() }
func (e transportError) Unwrap() error { return e.err }

func isTransport(err error) bool {
	var te transportError
	return errors.As(err, &te)
}

func newRand() func(n int64) int64 { return rand.Int64N }
