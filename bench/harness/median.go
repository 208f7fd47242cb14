package harness

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"

	"github.com/heldsway/heldsway/bench/world"
)

// MinMax is one figure over the repeats of a configuration.
type MinMax struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Values []float64 `json:"values"`
}

// Spread is how the throughput and latency figures varied over the
// repeats of one configuration (--repeat).
type Spread struct {
	Runs                 int     `json:"runs"`
	EventsPerSec         MinMax  `json:"events_per_sec"`
	LatencyP50           MinMax  `json:"latency_p50_ms"`
	LatencyP99           MinMax  `json:"latency_p99_ms"`
	LatencyP999          MinMax  `json:"latency_p99_9_ms"`
	CeilingEventsPerSec  *MinMax `json:"broker_ceiling_events_per_sec,omitempty"`
	IngestRequestsPerSec *MinMax `json:"ingest_requests_per_sec,omitempty"`
	IngestEventsPerSec   *MinMax `json:"ingest_events_per_sec,omitempty"`
	GokaEventsPerSec     *MinMax `json:"goka_events_per_sec,omitempty"`
	GokaP99              *MinMax `json:"goka_p99_ms,omitempty"`
}

// median is the middle of xs, the mean of the two middle values for an
// even count; 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

func minMax(xs []float64) MinMax {
	if len(xs) == 0 {
		return MinMax{}
	}
	return MinMax{Median: median(xs), Min: slices.Min(xs), Max: slices.Max(xs), Values: slices.Clone(xs)}
}

// minMaxOf is minMax of f over the runs, nil unless every run has it.
func minMaxOf(runs []SizeResult, f func(SizeResult) (float64, bool)) *MinMax {
	xs := make([]float64, 0, len(runs))
	for _, r := range runs {
		v, ok := f(r)
		if !ok {
			return nil
		}
		xs = append(xs, v)
	}
	m := minMax(xs)
	return &m
}

// medianIndex is the index of the run whose key is the (lower) median.
func medianIndex[T any](xs []T, key func(T) float64) int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ka, kb := key(xs[a]), key(xs[b])
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return 0
	})
	return idx[(len(idx)-1)/2]
}

// notMedianed are fields that describe one run and are kept from the
// median run rather than combined: sample orders, profile lines, error
// messages.
var notMedianed = map[string]bool{"Mismatches": true, "Profile": true, "Errors": true, "Values": true}

// medianOf returns a copy of xs[base] whose every numeric figure (also in
// nested structs, pointers and equally long slices) is the median of that
// figure over xs; integers are rounded. Strings, booleans, maps and the
// fields in notMedianed come from xs[base]. xs is not modified.
func medianOf[T any](xs []T, base int) (T, error) {
	var out T
	b, err := json.Marshal(xs[base])
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, err
	}
	srcs := make([]reflect.Value, len(xs))
	for i := range xs {
		srcs[i] = reflect.ValueOf(&xs[i]).Elem()
	}
	medianInto(reflect.ValueOf(&out).Elem(), srcs)
	return out, nil
}

func medianInto(dst reflect.Value, srcs []reflect.Value) {
	floats := func(f func(reflect.Value) float64) float64 {
		xs := make([]float64, len(srcs))
		for i, s := range srcs {
			xs[i] = f(s)
		}
		return median(xs)
	}
	switch dst.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		dst.SetInt(int64(math.Round(floats(func(v reflect.Value) float64 { return float64(v.Int()) }))))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		dst.SetUint(uint64(math.Round(floats(func(v reflect.Value) float64 { return float64(v.Uint()) }))))
	case reflect.Float32, reflect.Float64:
		dst.SetFloat(floats(func(v reflect.Value) float64 { return v.Float() }))
	case reflect.Struct:
		t := dst.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || notMedianed[f.Name] || !dst.Field(i).CanSet() {
				continue
			}
			fs := make([]reflect.Value, len(srcs))
			for j, s := range srcs {
				fs[j] = s.Field(i)
			}
			medianInto(dst.Field(i), fs)
		}
	case reflect.Pointer:
		if dst.IsNil() {
			return
		}
		es := make([]reflect.Value, len(srcs))
		for j, s := range srcs {
			if s.IsNil() {
				return
			}
			es[j] = s.Elem()
		}
		medianInto(dst.Elem(), es)
	case reflect.Slice, reflect.Array:
		for _, s := range srcs {
			if s.Len() != dst.Len() {
				return
			}
		}
		for k := 0; k < dst.Len(); k++ {
			es := make([]reflect.Value, len(srcs))
			for j, s := range srcs {
				es[j] = s.Index(k)
			}
			medianInto(dst.Index(k), es)
		}
	}
}

// summarize combines the repeats of one configuration: the median of each
// figure, and the spread of throughput and latency. One run is returned
// as it is.
func summarize(runs []SizeResult) (SizeResult, error) {
	if len(runs) == 1 {
		return runs[0], nil
	}
	base := medianIndex(runs, func(r SizeResult) float64 { return r.EventsPerSec })
	out, err := medianOf(runs, base)
	if err != nil {
		return SizeResult{}, err
	}
	all := func(f func(SizeResult) float64) func(SizeResult) (float64, bool) {
		return func(r SizeResult) (float64, bool) { return f(r), true }
	}
	sp := &Spread{
		Runs:                len(runs),
		EventsPerSec:        *minMaxOf(runs, all(func(r SizeResult) float64 { return r.EventsPerSec })),
		LatencyP50:          *minMaxOf(runs, all(func(r SizeResult) float64 { return r.Latency.P50 })),
		LatencyP99:          *minMaxOf(runs, all(func(r SizeResult) float64 { return r.Latency.P99 })),
		LatencyP999:         *minMaxOf(runs, all(func(r SizeResult) float64 { return r.Latency.P999 })),
		CeilingEventsPerSec: minMaxOf(runs, func(r SizeResult) (float64, bool) { return ceilingRate(r) }),
		IngestRequestsPerSec: minMaxOf(runs, func(r SizeResult) (float64, bool) {
			if r.Ingest == nil {
				return 0, false
			}
			return r.Ingest.Throughput.RequestsPerSec, true
		}),
		IngestEventsPerSec: minMaxOf(runs, func(r SizeResult) (float64, bool) {
			if r.Ingest == nil {
				return 0, false
			}
			return r.Ingest.Throughput.EventsPerSec, true
		}),
		GokaEventsPerSec: minMaxOf(runs, func(r SizeResult) (float64, bool) {
			if r.Goka == nil || r.Goka.Error != "" {
				return 0, false
			}
			return r.Goka.EventsPerSec, true
		}),
		GokaP99: minMaxOf(runs, func(r SizeResult) (float64, bool) {
			if r.Goka == nil || r.Goka.Error != "" {
				return 0, false
			}
			return r.Goka.Latency.P99, true
		}),
	}
	out.Repeats = sp
	return out, nil
}

func ceilingRate(r SizeResult) (float64, bool) {
	if r.Ceiling == nil {
		return 0, false
	}
	return r.Ceiling.EventsPerSec, true
}

// summarizeScores is the median of each figure of the repeats' scores.
func summarizeScores(scores []world.Score) (world.Score, error) {
	if len(scores) == 1 {
		return scores[0], nil
	}
	return medianOf(scores, medianIndex(scores, func(s world.Score) float64 { return s.Accuracy }))
}
