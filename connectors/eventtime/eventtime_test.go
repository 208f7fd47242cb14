package eventtime

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		t     time.Time
		ahead *bool // nil: accepted
		want  string
	}{
		{"now", now, nil, ""},
		{"10 minutes ahead", now.Add(MaxAhead), nil, ""},
		{"400 days back", now.Add(-MaxPast), nil, ""},
		{"just over 10 minutes ahead", now.Add(MaxAhead + time.Millisecond), ptr(true), "created_at: 2026-11-22T12:10:00Z is outside [now-400d, now+10m]: more than 10 minutes ahead of the server clock 2026-11-22T12:00:00Z"},
		{"an hour ahead", now.Add(time.Hour), ptr(true), "more than 10 minutes ahead"},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), ptr(true), "9999-12-31T23:59:59Z is outside"},
		{"just over 400 days back", now.Add(-MaxPast - time.Millisecond), ptr(false), "more than 400 days before the server clock 2026-11-22T12:00:00Z"},
		{"1970", time.Unix(0, 0), ptr(false), "created_at: 1970-01-01T00:00:00Z is outside [now-400d, now+10m]"},
		{"zone kept apart from the comparison", time.Date(2026, 11, 22, 7, 5, 0, 0, time.FixedZone("EST", -5*3600)), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check("created_at", tt.t, now)
			if tt.ahead == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *RangeError
			if !errors.As(err, &re) || re.Ahead != *tt.ahead {
				t.Fatalf("got %v, want a RangeError with Ahead %v", err, *tt.ahead)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("reason %q does not contain %q", err, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
