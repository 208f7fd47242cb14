package broker

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
)

// DefaultSlowTxnWarn is Config.SlowTxnWarn's default: ending a transaction
// takes a few milliseconds on a busy machine (kfake warns from 5 ms, which
// normal load reaches all the time); a second means the broker is starved
// or its disk stalls.
const DefaultSlowTxnWarn = time.Second

// slowTxnWarnEvery is the least time between two slow-EndTxn warnings.
const slowTxnWarnEvery = 10 * time.Second

// slowEndTxn is the start of kfake's slow-EndTxn log line; its third
// argument is the elapsed milliseconds.
const slowEndTxn = "txn: EndTxn slow"

// kfakeLogger forwards kfake's own log lines to zap. kfake's slow-EndTxn
// warning is a warning only from slowWarn on, at most once per
// slowTxnWarnEvery with the count of those held back; below slowWarn it is
// a debug line.
type kfakeLogger struct {
	l        *zap.Logger
	slowWarn time.Duration
	clock    func() time.Time

	mu struct {
		sync.Mutex
		last       time.Time // of the last slow-EndTxn warning
		suppressed int       // slow-EndTxn warnings held back since
	}
}

func newKfakeLogger(l *zap.Logger, slowWarn time.Duration, clock func() time.Time) *kfakeLogger {
	if slowWarn <= 0 {
		slowWarn = DefaultSlowTxnWarn
	}
	return &kfakeLogger{l: l, slowWarn: slowWarn, clock: clock}
}

func (k *kfakeLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	if level == kfake.LogLevelWarn && strings.HasPrefix(msg, slowEndTxn) {
		k.slowTxn(msg, args)
		return
	}
	switch level {
	case kfake.LogLevelError:
		k.l.Error(fmt.Sprintf(msg, args...))
	case kfake.LogLevelWarn:
		k.l.Warn(fmt.Sprintf(msg, args...))
	case kfake.LogLevelInfo:
		k.l.Debug(fmt.Sprintf(msg, args...))
	}
}

func (k *kfakeLogger) slowTxn(msg string, args []any) {
	var elapsed time.Duration
	if len(args) > 2 {
		if ms, ok := args[2].(int64); ok {
			elapsed = time.Duration(ms) * time.Millisecond
		}
	}
	if elapsed < k.slowWarn {
		k.l.Debug(fmt.Sprintf(msg, args...))
		return
	}
	now := k.clock()
	k.mu.Lock()
	if !k.mu.last.IsZero() && now.Sub(k.mu.last) < slowTxnWarnEvery {
		k.mu.suppressed++
		k.mu.Unlock()
		return
	}
	k.mu.last = now
	held := k.mu.suppressed
	k.mu.suppressed = 0
	k.mu.Unlock()
	k.l.Warn(fmt.Sprintf(msg, args...), zap.Duration("threshold", k.slowWarn), zap.Int("held_back", held))
}
