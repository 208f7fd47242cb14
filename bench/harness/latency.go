package harness

import (
	"slices"
	"time"
)

// samples is a plain sorted-sample histogram: a run has at most a few
// hundred thousand latencies, so keeping them all is exact and cheap.
type samples []time.Duration

// Percentiles summarises a latency distribution.
type Percentiles struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

func (s samples) percentiles() Percentiles {
	if len(s) == 0 {
		return Percentiles{}
	}
	c := slices.Clone(s)
	slices.Sort(c)
	at := func(q float64) float64 {
		i := int(q*float64(len(c))+0.5) - 1
		i = min(max(i, 0), len(c)-1)
		return float64(c[i]) / float64(time.Millisecond)
	}
	return Percentiles{Count: len(c), P50: at(0.50), P99: at(0.99), P999: at(0.999), Max: float64(c[len(c)-1]) / float64(time.Millisecond)}
}
