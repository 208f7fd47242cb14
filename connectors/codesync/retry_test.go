package codesync

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{"2.0", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{t0.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{t0.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, t0)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetrier(t *testing.T) {
	p := RetryPolicy{Attempts: 4}
	p.EnsureDefaults()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	r := retrier{p: p, sleep: sl.Sleep, now: func() time.Time { return t0 }, rand: func(n int64) int64 { return n - 1 }}
	calls := 0
	err := r.do(context.Background(), func() error {
		calls++
		return &APIError{Status: http.StatusBadGateway}
	})
	if calls != 4 || err == nil || !errors.As(err, new(*APIError)) {
		t.Fatalf("%d calls: %v", calls, err)
	}
	// Full jitter at its top: base doubling, capped.
	if got := sl.take(); len(got) != 3 || got[0] != 500*time.Millisecond || got[1] != time.Second || got[2] != 2*time.Second {
		t.Fatalf("waits %v", got)
	}
	calls = 0
	err = r.do(context.Background(), func() error { calls++; return &APIError{Status: http.StatusUnprocessableEntity} })
	if calls != 1 || err == nil {
		t.Fatalf("4xx retried: %d %v", calls, err)
	}
	calls = 0
	err = r.do(context.Background(), func() error { calls++; return transportError{errors.New("connection reset")} })
	if calls != 4 {
		t.Fatalf("transport errors are retried: %d %v", calls, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	_ = r.do(ctx, func() error { calls++; return transportError{context.Canceled} })
	if calls != 1 {
		t.Fatalf("cancelled context retried %d times", calls)
	}
}
