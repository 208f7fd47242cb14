package stream

import (
	"sync"
	"time"
)

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
