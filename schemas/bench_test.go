package schemas

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkEncode and BenchmarkDecode measure one record of each type,
// framed (single-object encoding), every optional field set: the per-record
// cost the processor pays. Besides ns/op (wall clock) they report
// cpu-ns/op, the process's CPU time per record (garbage collection
// included), which a loaded machine distorts less. docs/benchmarks.md has
// the figures.
func BenchmarkEncode(b *testing.B) {
	for _, v := range allFull() {
		b.Run(benchName(v), func(b *testing.B) { benchEncode(b, v) })
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, v := range allFull() {
		k, _ := kindOf(v)
		b.Run(benchName(v), func(b *testing.B) { benchDecode(b, v, newRecord(k)) })
	}
}

// BenchmarkDecodeAny is BenchmarkDecode into a new record, as the
// processor decodes its inputs.
func BenchmarkDecodeAny(b *testing.B) {
	for _, v := range allFull() {
		b.Run(benchName(v), func(b *testing.B) { benchDecode(b, v, nil) })
	}
}

func benchName(v any) string { return strings.TrimPrefix(fmt.Sprintf("%T", v), "*schemas.") }

func benchEncode(b *testing.B, v any) {
	s := NewSerde()
	buf, err := s.Encode(v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	start := cpuTime()
	for b.Loop() {
		if buf, err = s.AppendEncode(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

func benchDecode(b *testing.B, v, into any) {
	s := NewSerde()
	buf, err := s.Encode(v)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	start := cpuTime()
	for b.Loop() {
		if into == nil {
			_, err = s.DecodeAny(buf)
		} else {
			err = s.Decode(buf, into)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
}

func reportCPU(b *testing.B, start time.Duration) {
	if used := cpuTime() - start; used > 0 {
		b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
