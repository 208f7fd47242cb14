// Package eventtime bounds the time an event says it happened (a webhook's
// order or refund time, a reported click's or conversion's occurred_at)
// against the server clock, so that a record dated years away from now is
// refused at the edge rather than credited to the wrong attribution window.
//
// One window for every connector: at most MaxAhead after the server clock
// (platform clocks drift a little) and at most MaxPast before it (longer
// than any attribution window, so a late redelivery still lands).
package eventtime
