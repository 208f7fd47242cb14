// Package backoff is HeldSway's one exponential backoff: the wait after
// the n-th failure is Policy.Min doubled n-1 times, capped at Policy.Max,
// optionally with jitter (drawn between half of it and all of it).
//
// Policy.Delay is the pure function; Backoff is its stateful form with an
// injectable Sleeper, so that tests count the waits instead of sleeping.
// The stream runtime (pipeline/stream), the ClickHouse sink
// (sinks/clickhouse) and the store code sync (connectors/codesync) use it, each with
// its own Min and Max. It imports nothing of HeldSway, so any folder may
// import it.
package backoff
