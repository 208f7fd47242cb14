package backoff

import (
	"context"
	"time"
)

// Policy is an exponential backoff: Min doubling per failure, capped at
// Max.
type Policy struct {
	// Min is the wait after the first failure.
	Min time.Duration
	// Max caps the wait. A Max below Min makes every wait Max.
	Max time.Duration
	// Jitter, when set, spreads each wait: the wait d becomes
	// d/2 + Jitter(d/2+1), between half of d and all of it. It is given
	// n and returns a number in [0, n) (math/rand/v2's Int64N). Nil: no
	// jitter.
	Jitter func(n int64) int64
}

// Delay is the wait after the attempt-th failure (the first is 1):
// Min doubled attempt-1 times, capped at Max, then jittered. It does not
// overflow however large attempt is.
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Min
	for i := 1; i < attempt && d < p.Max; i++ {
		if d > p.Max/2 {
			d = p.Max
			break
		}
		d *= 2
	}
	d = min(d, p.Max)
	if p.Jitter != nil && d > 0 {
		half := d / 2
		d = half + time.Duration(p.Jitter(int64(half)+1))
	}
	return d
}

// Sleeper waits d or until ctx ends, returning ctx's error then. Tests
// inject one that records d and returns at once.
type Sleeper func(ctx context.Context, d time.Duration) error

// Sleep is the real Sleeper: a timer, stopped if ctx ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Backoff counts failures and waits Policy.Delay of their number. The zero
// value of the count is "no failure yet"; Reset returns to it. Not safe for
// concurrent use.
type Backoff struct {
	Policy
	// Sleep waits; nil means Sleep (a real timer).
	Sleep Sleeper

	attempt int
}

// New returns a Backoff from lo to hi that sleeps for real.
func New(lo, hi time.Duration) *Backoff {
	return &Backoff{Policy: Policy{Min: lo, Max: hi}}
}

// Next counts a failure and returns the wait it calls for.
func (b *Backoff) Next() time.Duration {
	b.attempt++
	return b.Delay(b.attempt)
}

// Wait counts a failure and waits Next(); false if ctx ended first.
func (b *Backoff) Wait(ctx context.Context) bool {
	sleep := b.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	return sleep(ctx, b.Next()) == nil
}

// Attempt is the number of failures counted since the last Reset.
func (b *Backoff) Attempt() int { return b.attempt }

// Reset forgets the failures: the next wait is Min again.
func (b *Backoff) Reset() { b.attempt = 0 }
