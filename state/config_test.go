package state

import (
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestOpenLogsToConfigLogger: the store logs to its Config's Logger (the
// one way a logger is passed), and a nil Logger logs nothing.
func TestOpenLogsToConfigLogger(t *testing.T) {
	for _, tc := range []struct {
		name   string
		logger bool
		want   int
	}{
		{name: "config logger", logger: true, want: 1},
		{name: "nil logger", logger: false, want: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.DebugLevel)
			cfg := Config{FS: vfs.NewMem(), CacheSize: 1 << 20, MemTableSize: 1 << 20}
			if tc.logger {
				cfg.Logger = zap.New(core).Named("state")
			}
			s, err := Open("db", cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			opened := logs.FilterMessage("state store opened").All()
			if len(opened) != tc.want {
				t.Fatalf("%d %q entries, want %d (all: %v)", len(opened), "state store opened", tc.want, logs.All())
			}
			for _, e := range opened {
				if e.LoggerName != "state" {
					t.Errorf("logger name %q, want %q", e.LoggerName, "state")
				}
			}
		})
	}
}

// TestEnsureDefaultsLogger: EnsureDefaults turns a nil Logger into a
// no-op one and keeps a given one.
func TestEnsureDefaultsLogger(t *testing.T) {
	var c Config
	c.EnsureDefaults()
	if c.Logger == nil {
		t.Fatal("EnsureDefaults left Logger nil")
	}
	l := zap.NewExample()
	c = Config{Logger: l}
	c.EnsureDefaults()
	if c.Logger != l {
		t.Fatal("EnsureDefaults replaced a given Logger")
	}
}
