package chtest

import (
	"errors"
	"fmt"
	"testing"
)

// recorder stands in for a test to see whether usable skips or fails.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skip(...any)           { r.skipped = true }
func (r *recorder) Fatalf(string, ...any) { r.failed = true }

func TestUsableSkipsOnlyOutsideCI(t *testing.T) {
	notInstalled := fmt.Errorf("setting up: %w", ErrNotInstalled)
	tests := []struct {
		name       string
		ci         string
		err        error
		skip, fail bool
		wantUsable bool
	}{
		{name: "ok", err: nil, wantUsable: true},
		{name: "not installed, locally", err: notInstalled, skip: true},
		{name: "not installed, CI", ci: "true", err: notInstalled, fail: true},
		{name: "broken server", err: errors.New("server exited"), fail: true},
		{name: "broken server, CI", ci: "true", err: errors.New("server exited"), fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			if got := usable(r, tt.err); got != tt.wantUsable || r.skipped != tt.skip || r.failed != tt.fail {
				t.Fatalf("usable = %v, skipped %v, failed %v; want %v, %v, %v", got, r.skipped, r.failed, tt.wantUsable, tt.skip, tt.fail)
			}
		})
	}
}

func TestFindServerWithoutClickHouse(t *testing.T) {
	_, _, err := findServer([]candidate{{bin: "/nonexistent/clickhouse-server"}})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("findServer: %v, want ErrNotInstalled", err)
	}
}
