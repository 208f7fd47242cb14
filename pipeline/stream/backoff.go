package stream

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// backoff doubles a wait from min to max.
type backoff struct {
	min, max, cur time.Duration
}

// wait sleeps for the next backoff; false if ctx ended first.
func (b *backoff) wait(ctx context.Context) bool {
	if b.cur == 0 {
		b.cur = b.min
	}
	t := time.NewTimer(b.cur)
	defer t.Stop()
	b.cur = min(2*b.cur, b.max)
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (b *backoff) reset() { b.cur = 0 }

// rateLimited allows one log line per period and counts the rest.
type rateLimited struct {
	every time.Duration
	clock func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int64
}

func (r *rateLimited) allow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.clock()
	if now.Sub(r.last) < r.every {
		r.suppressed++
		return false
	}
	r.last = now
	return true
}

func (r *rateLimited) takeSuppressed() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.suppressed
	r.suppressed = 0
	return n
}

func isTopicExists(err error) bool { return errors.Is(err, kerr.TopicAlreadyExists) }
