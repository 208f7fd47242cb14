package broker

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestSlowEndTxnWarning feeds kfake's slow-EndTxn line (its format and
// arguments) through the logger: a few milliseconds is debug, a second or
// more is a warning at most once per slowTxnWarnEvery, carrying the count
// of the ones held back.
func TestSlowEndTxnWarning(t *testing.T) {
	const format = "txn: EndTxn slow pid=%d epoch=%d elapsed=%dms batches=%d groups=%d"
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		at        time.Duration // since t0
		elapsedMS int64
		warn      bool
		heldBack  int64
	}{
		{"normal load", 0, 6, false, 0},
		{"busy machine", time.Second, 400, false, 0},
		{"starved", 2 * time.Second, 1500, true, 0},
		{"starved again within the period", 3 * time.Second, 2000, false, 0},
		{"and again", 4 * time.Second, 1200, false, 0},
		{"fast one inside the period", 5 * time.Second, 6, false, 0},
		{"after the period", 13 * time.Second, 1100, true, 2},
	}
	core, logs := observer.New(zapcore.DebugLevel)
	now := t0
	k := newKfakeLogger(zap.New(core), 0, func() time.Time { return now })
	for _, tt := range tests {
		now = t0.Add(tt.at)
		before := logs.FilterLevelExact(zapcore.WarnLevel).Len()
		k.Logf(kfake.LogLevelWarn, format, int64(1), int16(0), tt.elapsedMS, 3, 1)
		warns := logs.FilterLevelExact(zapcore.WarnLevel).All()
		if got := len(warns) > before; got != tt.warn {
			t.Fatalf("%s: warned %v, want %v", tt.name, got, tt.warn)
		}
		if tt.warn {
			if got := warns[len(warns)-1].ContextMap()["held_back"]; got != tt.heldBack {
				t.Errorf("%s: held_back %v, want %d", tt.name, got, tt.heldBack)
			}
		}
	}
	if n := logs.FilterLevelExact(zapcore.DebugLevel).Len(); n != 3 {
		t.Errorf("%d debug lines, want 3 (the fast ends)", n)
	}
	// Other kfake warnings pass through untouched.
	k.Logf(kfake.LogLevelWarn, "group %s: something", "g")
	if logs.FilterMessage("group g: something").FilterLevelExact(zapcore.WarnLevel).Len() != 1 {
		t.Error("an ordinary kfake warning was not forwarded")
	}
}
