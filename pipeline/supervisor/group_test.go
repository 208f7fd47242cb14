package supervisor

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// bound is how long a test waits for stages to stop;
// SUPERVISOR_TEST_TIMEOUT overrides the default of 30s.
func bound(t *testing.T) time.Duration {
	t.Helper()
	if s := os.Getenv("SUPERVISOR_TEST_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("SUPERVISOR_TEST_TIMEOUT: %v", err)
		}
		return d
	}
	return 30 * time.Second
}

// waitStage runs until its context ends and returns ctx.Err().
func waitStage(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestGroup(t *testing.T) {
	boom := errors.New("boom")
	for _, tt := range []struct {
		name   string
		stages map[string]func(context.Context) error
		cancel bool   // cancel the parent context
		want   string // Wait's error; "" for nil
	}{
		{"one fails, the others stop", map[string]func(context.Context) error{
			"sink": func(context.Context) error { return boom }, "ingest": waitStage, "process": waitStage,
		}, false, "sink: boom"},
		{"unnamed stage keeps its message", map[string]func(context.Context) error{
			"": func(context.Context) error { return boom }, "http": waitStage,
		}, false, "boom"},
		{"one returns nil, the others stop, no error", map[string]func(context.Context) error{
			"rollup": func(context.Context) error { return nil }, "ingest": waitStage,
		}, false, ""},
		{"parent cancelled: canceled is no error", map[string]func(context.Context) error{
			"ingest": waitStage, "process": waitStage,
		}, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			parent, cancel := context.WithCancel(context.Background())
			defer cancel()
			g := New(parent, Config{})
			for name, f := range tt.stages {
				g.Go(name, f)
			}
			if tt.cancel {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- g.Wait() }()
			select {
			case err := <-done:
				if got := errString(err); got != tt.want {
					t.Errorf("Wait() = %q, want %q", got, tt.want)
				}
				if tt.want != "" && !errors.Is(err, boom) {
					t.Errorf("Wait() = %v does not wrap the stage's error", err)
				}
			case <-time.After(bound(t)):
				t.Fatal("stages did not stop")
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return strings.TrimSpace(err.Error())
}
