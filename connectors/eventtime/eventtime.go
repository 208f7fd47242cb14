package eventtime

import (
	"fmt"
	"time"
)

const (
	// MaxAhead is how far after the server clock an event time may be.
	MaxAhead = 10 * time.Minute
	// MaxPast is how far before the server clock an event time may be.
	MaxPast = 400 * 24 * time.Hour
	// Window is the accepted range as reasons name it.
	Window = "[now-400d, now+10m]"
)

// RangeError is an event time outside the window.
type RangeError struct {
	// Field names the time in the payload, e.g. "created_at".
	Field string
	// Time is the event time; Now the server clock it was checked against.
	Time, Now time.Time
	// Ahead is true when Time is after the window, false when before.
	Ahead bool
}

func (e *RangeError) Error() string {
	side := "more than 400 days before"
	if e.Ahead {
		side = "more than 10 minutes ahead of"
	}
	return fmt.Sprintf("%s: %s is outside %s: %s the server clock %s",
		e.Field, e.Time.UTC().Format(time.RFC3339), Window, side, e.Now.UTC().Format(time.RFC3339))
}

// Check returns nil when t lies within [now-MaxPast, now+MaxAhead] (bounds
// included), else a *RangeError naming field.
func Check(field string, t, now time.Time) error {
	switch {
	case t.After(now.Add(MaxAhead)):
		return &RangeError{Field: field, Time: t, Now: now, Ahead: true}
	case t.Before(now.Add(-MaxPast)):
		return &RangeError{Field: field, Time: t, Now: now}
	}
	return nil
}
