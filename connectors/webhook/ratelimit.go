package webhook

import (
	"sync"
	"time"
)

// rateLimited allows one log line per period and counts the rest; its zero
// value is ready.
type rateLimited struct {
	mu         sync.Mutex
	last       time.Time
	logged     bool
	suppressed int64
}

// allow reports whether a line may be logged at now, and how many were
// suppressed since the last one logged.
func (r *rateLimited) allow(now time.Time, every time.Duration) (bool, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.logged && now.Sub(r.last) < every {
		r.suppressed++
		return false, 0
	}
	n := r.suppressed
	r.last, r.logged, r.suppressed = now, true, 0
	return true, n
}
