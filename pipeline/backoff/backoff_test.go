package backoff

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	const ms = time.Millisecond
	upper := func(n int64) int64 { return n - 1 } // the longest jittered wait
	lower := func(int64) int64 { return 0 }       // the shortest
	for _, tc := range []struct {
		name    string
		p       Policy
		attempt int
		want    time.Duration
	}{
		{"first is min", Policy{Min: 100 * ms, Max: 10 * time.Second}, 1, 100 * ms},
		{"doubles", Policy{Min: 100 * ms, Max: 10 * time.Second}, 4, 800 * ms},
		{"capped", Policy{Min: 100 * ms, Max: 10 * time.Second}, 8, 10 * time.Second},
		{"cap not a power of two", Policy{Min: 20 * ms, Max: 500 * ms}, 6, 500 * ms},
		{"huge attempt", Policy{Min: 100 * ms, Max: 10 * time.Second}, math.MaxInt, 10 * time.Second},
		{"huge max", Policy{Min: time.Second, Max: math.MaxInt64}, 200, math.MaxInt64},
		{"max below min", Policy{Min: 100 * ms, Max: 50 * ms}, 1, 50 * ms},
		{"attempt zero is min", Policy{Min: 100 * ms, Max: time.Second}, 0, 100 * ms},
		{"jitter upper", Policy{Min: 500 * ms, Max: 30 * time.Second, Jitter: upper}, 2, time.Second},
		{"jitter lower", Policy{Min: 500 * ms, Max: 30 * time.Second, Jitter: lower}, 2, 500 * ms},
		{"jitter capped", Policy{Min: 500 * ms, Max: 30 * time.Second, Jitter: upper}, 40, 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Delay(tc.attempt); got != tc.want {
				t.Errorf("Delay(%d) = %s, want %s", tc.attempt, got, tc.want)
			}
		})
	}
}

// recorder is a Sleeper that records each wait and returns at once (or
// ctx's error).
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func TestBackoffWaitAndReset(t *testing.T) {
	const ms = time.Millisecond
	var rec recorder
	b := &Backoff{Policy: Policy{Min: 20 * ms, Max: 100 * ms}, Sleep: rec.sleep}
	ctx := context.Background()
	for range 5 {
		if !b.Wait(ctx) {
			t.Fatal("Wait returned false with a live context")
		}
	}
	if b.Attempt() != 5 {
		t.Errorf("Attempt %d, want 5", b.Attempt())
	}
	b.Reset()
	b.Wait(ctx)
	want := []time.Duration{20 * ms, 40 * ms, 80 * ms, 100 * ms, 100 * ms, 20 * ms}
	if !slices.Equal(rec.waits, want) {
		t.Errorf("waits %v, want %v", rec.waits, want)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if b.Wait(cctx) {
		t.Error("Wait returned true with an ended context")
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// An hour's wait returns at once: the context has ended.
	if err := Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep = %v, want context.Canceled", err)
	}
	if New(time.Hour, time.Hour).Wait(ctx) {
		t.Error("a real Backoff's Wait returned true with an ended context")
	}
}
