package broker

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestStartLogsToConfigLogger: the broker logs to its Config's Logger
// (the one way a logger is passed); a nil Logger logs nothing.
func TestStartLogsToConfigLogger(t *testing.T) {
	for _, tc := range []struct {
		name   string
		logger bool
		want   int
	}{
		{name: "config logger", logger: true, want: 1},
		{name: "nil logger", logger: false, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			cfg := Config{Listen: "127.0.0.1:0", DataDir: t.TempDir(), NoSyncWrites: true}
			if tc.logger {
				cfg.Logger = zap.New(core).Named("broker")
			}
			b, err := Start(cfg)
			if err != nil {
				t.Fatal(err)
			}
			b.Close()
			for _, msg := range []string{"embedded kafka broker started", "embedded kafka broker stopped"} {
				got := logs.FilterMessage(msg).All()
				if len(got) != tc.want {
					t.Fatalf("%d %q entries, want %d (all: %v)", len(got), msg, tc.want, logs.All())
				}
				for _, e := range got {
					if e.LoggerName != "broker" {
						t.Errorf("%q: logger name %q, want %q", msg, e.LoggerName, "broker")
					}
				}
			}
		})
	}
}
