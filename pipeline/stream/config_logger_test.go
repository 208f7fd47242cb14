package stream

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestStateLoggerDefault: the state store logs to the stage's logger named
// "state" (with the stage's name) unless Config.State.Logger is given.
func TestStateLoggerDefault(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	given := zap.New(core).Named("mine")
	for _, tc := range []struct {
		name      string
		state     *zap.Logger
		wantName  string
		wantStage bool
	}{
		{name: "nil becomes stage logger", wantName: "proc.state", wantStage: true},
		{name: "given is kept", state: given, wantName: "mine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.TakeAll()
			c := Config{Name: "attribute", Logger: zap.New(core).Named("proc")}
			c.State.Logger = tc.state
			c.EnsureDefaults()
			c.State.Logger.Info("probe")
			got := logs.TakeAll()
			if len(got) != 1 {
				t.Fatalf("%d entries, want 1", len(got))
			}
			if got[0].LoggerName != tc.wantName {
				t.Errorf("logger name %q, want %q", got[0].LoggerName, tc.wantName)
			}
			if stage, ok := got[0].ContextMap()["stage"]; ok != tc.wantStage || ok && stage != "attribute" {
				t.Errorf("stage field %v (present %v), want present %v", stage, ok, tc.wantStage)
			}
		})
	}
}
