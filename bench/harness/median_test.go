package harness

import (
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/bench/world"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{7}, 7},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{5, 5, 1, 9, 5}, 5},
		{[]float64{-1, 10}, 4.5},
	} {
		in := append([]float64(nil), c.in...)
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("median sorted its input: %v", c.in)
			}
		}
	}
	m := minMax([]float64{30, 10, 20})
	if m.Median != 20 || m.Min != 10 || m.Max != 30 || len(m.Values) != 3 || m.Values[0] != 30 {
		t.Errorf("minMax = %+v", m)
	}
	if i := medianIndex([]float64{30, 10, 20, 40}, func(f float64) float64 { return f }); i != 2 {
		t.Errorf("medianIndex picks %d, want 2 (20, the lower middle)", i)
	}
}

func run(eps, p99 float64, rss int64, correct int, ingest *IngestResult, mismatch string) SizeResult {
	return SizeResult{
		Events: 1000, Rule: "coupon_priority", Feed: FeedWebhooks, EventsPerSec: eps, Seconds: 1000 / eps,
		Latency: Percentiles{Count: 100, P50: p99 / 2, P99: p99, P999: p99 * 2}, ProcessorRSS: rss,
		Ceiling: &Ceiling{Records: 10, EventsPerSec: eps * 10},
		Score: world.Score{Rule: "coupon_priority", NonFraud: 10, Correct: correct, Accuracy: float64(correct) / 10,
			Mismatches: []world.Mismatch{{OrderID: mismatch}},
			Fraud:      []world.FraudScore{{Pattern: "stuffing", Recall: float64(correct) / 10}},
			Leaks:      []world.LeakScore{{Code: "P1", EventDelay: time.Duration(correct) * time.Second}}},
		Ingest:  ingest,
		Profile: []string{mismatch},
	}
}

func TestSummarize(t *testing.T) {
	ing := func(rps float64, r503 int64) *IngestResult {
		return &IngestResult{Clients: 4, Throughput: FeedStats{RequestsPerSec: rps, EventsPerSec: rps * 2, Status503: r503}}
	}
	runs := []SizeResult{
		run(300, 10, 3, 9, ing(30, 1), "a"),
		run(100, 30, 1, 7, ing(10, 0), "b"),
		run(200, 20, 4, 8, ing(20, 7), "c"),
	}
	got, err := summarize(runs)
	if err != nil {
		t.Fatal(err)
	}
	if got.EventsPerSec != 200 || got.Latency.P99 != 20 || got.Latency.P50 != 10 || got.ProcessorRSS != 3 || got.Ceiling.EventsPerSec != 2000 {
		t.Errorf("medians: %+v", got)
	}
	if got.Score.Correct != 8 || got.Score.Accuracy != 0.8 || got.Score.Fraud[0].Recall != 0.8 || got.Score.Leaks[0].EventDelay != 8*time.Second {
		t.Errorf("score medians: %+v", got.Score)
	}
	if got.Ingest.Throughput.RequestsPerSec != 20 || got.Ingest.Throughput.EventsPerSec != 40 || got.Ingest.Throughput.Status503 != 1 {
		t.Errorf("ingest medians: %+v", got.Ingest.Throughput)
	}
	// Descriptions come from the median run (200 events/s), not combined.
	if got.Score.Mismatches[0].OrderID != "c" || got.Profile[0] != "c" || got.Rule != "coupon_priority" || got.Feed != FeedWebhooks {
		t.Errorf("kept fields: %+v %v", got.Score.Mismatches, got.Profile)
	}
	sp := got.Repeats
	if sp == nil || sp.Runs != 3 {
		t.Fatalf("spread: %+v", sp)
	}
	if sp.EventsPerSec.Min != 100 || sp.EventsPerSec.Max != 300 || sp.EventsPerSec.Median != 200 {
		t.Errorf("events/s spread: %+v", sp.EventsPerSec)
	}
	if sp.LatencyP99.Min != 10 || sp.LatencyP99.Max != 30 || sp.LatencyP999.Max != 60 || sp.LatencyP50.Min != 5 {
		t.Errorf("latency spread: %+v %+v %+v", sp.LatencyP50, sp.LatencyP99, sp.LatencyP999)
	}
	if sp.IngestRequestsPerSec == nil || sp.IngestRequestsPerSec.Min != 10 || sp.IngestEventsPerSec.Max != 60 || sp.CeilingEventsPerSec.Max != 3000 {
		t.Errorf("ingest and ceiling spread: %+v %+v %+v", sp.IngestRequestsPerSec, sp.IngestEventsPerSec, sp.CeilingEventsPerSec)
	}
	if sp.GokaEventsPerSec != nil || sp.GokaP99 != nil {
		t.Errorf("goka spread without goka: %+v", sp)
	}
	// The inputs are untouched.
	if runs[0].EventsPerSec != 300 || runs[1].Ingest.Throughput.RequestsPerSec != 10 || runs[2].Score.Correct != 8 || runs[0].Repeats != nil {
		t.Errorf("summarize changed its input: %+v", runs)
	}

	// An even count: the mean of the middle two, integers rounded.
	got, err = summarize(runs[1:])
	if err != nil {
		t.Fatal(err)
	}
	if got.EventsPerSec != 150 || got.ProcessorRSS != 3 || got.Score.Correct != 8 || got.Latency.P99 != 25 {
		t.Errorf("even medians: eps %v rss %d correct %d p99 %v", got.EventsPerSec, got.ProcessorRSS, got.Score.Correct, got.Latency.P99)
	}
	// A figure only some runs have keeps the median run's value.
	mixed := []SizeResult{run(100, 1, 1, 1, nil, "x"), run(200, 2, 2, 2, ing(5, 0), "y"), run(300, 3, 3, 3, ing(7, 0), "z")}
	got, err = summarize(mixed)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ingest == nil || got.Ingest.Throughput.RequestsPerSec != 5 || got.Repeats.IngestRequestsPerSec != nil {
		t.Errorf("mixed ingest: %+v %+v", got.Ingest, got.Repeats.IngestRequestsPerSec)
	}
	// One run is reported as it is.
	one, err := summarize(runs[:1])
	if err != nil || one.Repeats != nil || one.EventsPerSec != 300 {
		t.Errorf("single run: %+v, %v", one, err)
	}
}

func TestSummarizeScores(t *testing.T) {
	scores := []world.Score{{Rule: "last_touch", Correct: 10, NonFraud: 10, Accuracy: 1}, {Rule: "last_touch", Correct: 8, NonFraud: 10, Accuracy: 0.8},
		{Rule: "last_touch", Correct: 9, NonFraud: 10, Accuracy: 0.9}}
	got, err := summarizeScores(scores)
	if err != nil {
		t.Fatal(err)
	}
	if got.Correct != 9 || got.Accuracy != 0.9 || got.Rule != "last_touch" || got.NonFraud != 10 {
		t.Errorf("summarizeScores = %+v", got)
	}
}

func TestMarkdownRepeatsAndIngest(t *testing.T) {
	runs := []SizeResult{
		run(300, 10, 3, 9, &IngestResult{Clients: 4, ClickBatch: 100, Throughput: FeedStats{RequestsPerSec: 30, EventsPerSec: 60, Events: 1000, EventsAccepted: 1000}}, "a"),
		run(100, 30, 1, 7, &IngestResult{Clients: 4, ClickBatch: 100, Throughput: FeedStats{RequestsPerSec: 10, EventsPerSec: 20, Events: 1000, EventsAccepted: 1000}}, "b"),
	}
	m, err := summarize(runs)
	if err != nil {
		t.Fatal(err)
	}
	md := (&Report{Runs: []SizeResult{m}, Repeat: 2}).Markdown()
	for _, want := range []string{"median of 2 runs", "200 (min-max 100-300)", "p99 10.0-30.0", "ingest accepted (2xx)", "20 (min-max 10-30); 40 (min-max 20-60)", "1000 / 1000", "ingest peak RSS"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
