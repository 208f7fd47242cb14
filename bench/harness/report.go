package harness

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

func targets(rep *Report) []Target {
	if len(rep.Runs) == 0 {
		return nil
	}
	var out []Target
	best := slices.MaxFunc(rep.Runs, func(a, b SizeResult) int { return a.Events - b.Events })
	t := Target{Name: "sustained throughput, exactly-once", Want: fmt.Sprintf(">= %d events/s", TargetEventsPerSec),
		Got: fmt.Sprintf("%.0f events/s (%d events)", best.EventsPerSec, best.Events), Met: best.EventsPerSec >= TargetEventsPerSec}
	t.Margin = fmt.Sprintf("%.2fx of target", best.EventsPerSec/TargetEventsPerSec)
	out = append(out, t)
	p99 := time.Duration(best.Latency.P99 * float64(time.Millisecond))
	t = Target{Name: "p99 checkout-to-attribution", Want: fmt.Sprintf("< %v at %d events/s", TargetP99, TargetRate),
		Got: fmt.Sprintf("%.1f ms at %d/s offered (%.0f/s achieved)", best.Latency.P99, best.Rate, best.AchievedRate), Met: p99 < TargetP99 && best.Rate >= TargetRate}
	t.Margin = fmt.Sprintf("%.2fx of budget", float64(p99)/float64(TargetP99))
	out = append(out, t)
	t = Target{Name: "processor peak RSS at 10M events", Want: "< 1 GiB"}
	if best.Events >= TargetRSSEvents {
		t.Got = fmt.Sprintf("%s at %d events", bytes(best.ProcessorRSS), best.Events)
		t.Met = best.ProcessorRSS < TargetRSS
		t.Margin = fmt.Sprintf("%.2fx of budget", float64(best.ProcessorRSS)/TargetRSS)
	} else {
		t.Got = fmt.Sprintf("%s at %d events (not a 10M run)", bytes(best.ProcessorRSS), best.Events)
		t.Met = best.ProcessorRSS < TargetRSS
		t.Margin = "run --events 10000000 to judge"
	}
	out = append(out, t)
	if g := best.Goka; g != nil && g.Error == "" {
		t = Target{Name: "throughput ours ÷ Goka, same attribution code", Want: fmt.Sprintf(">= %.1f", TargetGokaRatio),
			Got: fmt.Sprintf("%.2f (%.0f / %.0f events/s, %d events)", g.ThroughputRatio, best.EventsPerSec, g.EventsPerSec, best.Events),
			Met: g.ThroughputRatio >= TargetGokaRatio, Margin: fmt.Sprintf("%.2fx of target", g.ThroughputRatio/TargetGokaRatio)}
		out = append(out, t)
	}
	return out
}

func bytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

func pct(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

// Markdown renders the report as the tables docs/benchmarks.md shows.
func (r *Report) Markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("Command: `%s` (%s, %d CPUs, %s, run %s)", r.Command, r.GoVersion, r.CPUs, r.StartedAt.Format(time.DateOnly), (time.Duration(r.Seconds) * time.Second).String())
	w("")
	w("| figure | " + strings.Join(mapRuns(r.Runs, func(s SizeResult) string {
		if s.Repeats != nil {
			return fmt.Sprintf("%d events (median of %d runs)", s.Events, s.Repeats.Runs)
		}
		return fmt.Sprintf("%d events", s.Events)
	}), " | ") + " |")
	w("| --- |" + strings.Repeat(" --- |", len(r.Runs)))
	row := func(name string, f func(SizeResult) string) {
		w("| %s | %s |", name, strings.Join(mapRuns(r.Runs, f), " | "))
	}
	row("feed", func(s SizeResult) string {
		if s.Feed == FeedWebhooks {
			return "signed webhooks, click batches and conversion API calls through heldsway ingest"
		}
		return "Avro produced straight to the input topics"
	})
	row("sustained events/s (produce -> processor -> outputs, exactly-once)", func(s SizeResult) string {
		return fmt.Sprintf("%.0f", s.EventsPerSec) + spread(s.Repeats, func(sp *Spread) *MinMax { return &sp.EventsPerSec }, "%.0f")
	})
	row("processor wall time per event", func(s SizeResult) string { return fmt.Sprintf("%.1f µs", s.NsPerEvent/1000) })
	row("broker ceiling events/s (produce+consume, no processing)", func(s SizeResult) string {
		if s.Ceiling == nil {
			return "-"
		}
		return fmt.Sprintf("%.0f (ours = %.0f%%)", s.Ceiling.EventsPerSec, 100*s.EventsPerSec/s.Ceiling.EventsPerSec) +
			spread(s.Repeats, func(sp *Spread) *MinMax { return sp.CeilingEventsPerSec }, "%.0f")
	})
	row("checkout-to-attribution p50 / p99 / p99.9", func(s SizeResult) string {
		out := fmt.Sprintf("%.1f / %.1f / %.1f ms at %d/s", s.Latency.P50, s.Latency.P99, s.Latency.P999, s.Rate)
		if sp := s.Repeats; sp != nil {
			out += fmt.Sprintf(" (min-max p50 %.1f-%.1f, p99 %.1f-%.1f, p99.9 %.1f-%.1f)", sp.LatencyP50.Min, sp.LatencyP50.Max,
				sp.LatencyP99.Min, sp.LatencyP99.Max, sp.LatencyP999.Min, sp.LatencyP999.Max)
		}
		return out
	})
	if slices.ContainsFunc(r.Runs, func(s SizeResult) bool { return s.Ingest != nil }) {
		row("ingest accepted (2xx), throughput phase: requests/s; events/s", func(s SizeResult) string {
			if s.Ingest == nil {
				return "-"
			}
			t := s.Ingest.Throughput
			return fmt.Sprintf("%.0f%s; %.0f%s (%d clients, clicks in batches of up to %d)",
				t.RequestsPerSec, spread(s.Repeats, func(sp *Spread) *MinMax { return sp.IngestRequestsPerSec }, "%.0f"),
				t.EventsPerSec, spread(s.Repeats, func(sp *Spread) *MinMax { return sp.IngestEventsPerSec }, "%.0f"), s.Ingest.Clients, s.Ingest.ClickBatch)
		})
		row("ingest events accepted / offered; 5xx (of which 503); retries; failed", func(s SizeResult) string {
			if s.Ingest == nil {
				return "-"
			}
			t, l := s.Ingest.Throughput, s.Ingest.Latency
			return fmt.Sprintf("%d / %d; %d (%d); %d; %d", t.EventsAccepted+l.EventsAccepted, t.Events+l.Events, t.Status5xx+l.Status5xx,
				t.Status503+l.Status503, t.Retries+l.Retries, t.Failed+l.Failed)
		})
		row("ingest peak RSS", func(s SizeResult) string {
			if s.Ingest == nil {
				return "-"
			}
			return bytes(s.Ingest.RSS)
		})
	}
	row("CPU µs per event, throughput phase: processor / broker / harness", func(s SizeResult) string {
		return fmt.Sprintf("%.1f / %.1f / %.1f", s.ProcessorCPUMicros, s.BrokerCPUMicros, s.HarnessCPUMicros)
	})
	row("processor peak RSS", func(s SizeResult) string { return bytes(s.ProcessorRSS) })
	row("broker peak RSS", func(s SizeResult) string { return bytes(s.BrokerRSS) })
	row("Pebble size per million customers", func(s SizeResult) string {
		return fmt.Sprintf("%s (%s for %d customers)", bytes(s.PebblePerMillion), bytes(s.StateBytes), s.Customers)
	})
	row("ClickHouse insert rows/s", func(s SizeResult) string { return s.ClickHouse })
	row("attribution accuracy, non-fraud orders", func(s SizeResult) string {
		return fmt.Sprintf("%s (%d/%d)", pct(s.Score.Accuracy), s.Score.Correct, s.Score.NonFraud)
	})
	row("refund reversals right", func(s SizeResult) string {
		return fmt.Sprintf("%d/%d", s.Score.PayableCorrect, s.Score.PayableChecked)
	})
	for i, p := range []string{"stuffing", "injection", "leak"} {
		row(fmt.Sprintf("fraud %s precision / recall", p), func(s SizeResult) string {
			if i >= len(s.Score.Fraud) {
				return "-"
			}
			f := s.Score.Fraud[i]
			return fmt.Sprintf("%s / %s (%d labelled, %d flagged)", pct(f.Precision), pct(f.Recall), f.Labelled, f.Flagged)
		})
	}
	row("time to detect a leak (event time; leaked redemptions until flagged)", func(s SizeResult) string {
		var parts []string
		for _, l := range s.Score.Leaks {
			if l.Detected {
				parts = append(parts, fmt.Sprintf("%v (%d)", l.EventDelay.Round(time.Second), l.Redemptions))
			} else {
				parts = append(parts, "not detected")
			}
		}
		return strings.Join(parts, ", ")
	})
	row("Goka baseline events/s (ours / Goka)", func(s SizeResult) string {
		switch {
		case s.Goka == nil:
			return "skipped"
		case s.Goka.Error != "":
			return "failed: " + s.Goka.Error
		}
		return fmt.Sprintf("%.0f (%.2fx)", s.Goka.EventsPerSec, s.Goka.ThroughputRatio) +
			spread(s.Repeats, func(sp *Spread) *MinMax { return sp.GokaEventsPerSec }, "%.0f")
	})
	row("Goka p99 latency (ours / Goka)", func(s SizeResult) string {
		if s.Goka == nil || s.Goka.Error != "" {
			return "-"
		}
		return fmt.Sprintf("%.1f ms (%.2fx)", s.Goka.Latency.P99, s.Goka.P99Ratio) +
			spread(s.Repeats, func(sp *Spread) *MinMax { return sp.GokaP99 }, "%.1f")
	})
	row("Goka CPU µs per event, its throughput phase: Goka / broker", func(s SizeResult) string {
		if s.Goka == nil || s.Goka.Error != "" {
			return "-"
		}
		return fmt.Sprintf("%.1f / %.1f", s.Goka.CPUMicros, s.Goka.BrokerCPUMicros)
	})
	row("Goka accuracy, non-fraud orders; refund reversals right; stuffing / injection / leak recall", func(s SizeResult) string {
		if s.Goka == nil || s.Goka.Error != "" {
			return "-"
		}
		sc := s.Goka.Score
		var recall []string
		for _, f := range sc.Fraud {
			recall = append(recall, pct(f.Recall))
		}
		return fmt.Sprintf("%s (%d/%d, %d missing); %d/%d; %s", pct(sc.Accuracy), sc.Correct, sc.NonFraud, sc.Missing,
			sc.PayableCorrect, sc.PayableChecked, strings.Join(recall, " / "))
	})
	row("Goka peak RSS; attribution versions duplicated after SIGKILL", func(s SizeResult) string {
		if s.Goka == nil || s.Goka.Error != "" {
			return "-"
		}
		return fmt.Sprintf("%s; %d of %d outputs", bytes(s.Goka.RSS), s.Goka.Duplicates, s.Goka.KillOutputs)
	})
	if len(r.Rules) > 0 {
		w("")
		w("| rule | accuracy on non-fraud orders | mismatches |")
		w("| --- | --- | --- |")
		for _, s := range r.Rules {
			w("| %s | %s (%d/%d) | %d |", s.Rule, pct(s.Accuracy), s.Correct, s.NonFraud, s.NonFraud-s.Correct)
		}
	}
	if len(r.Targets) > 0 {
		w("")
		w("| target | want | got | met | margin |")
		w("| --- | --- | --- | --- | --- |")
		for _, t := range r.Targets {
			met := "yes"
			if !t.Met {
				met = "**no**"
			}
			w("| %s | %s | %s | %s | %s |", t.Name, t.Want, t.Got, met, t.Margin)
		}
	}
	for _, s := range r.Runs {
		if len(s.Profile) > 0 && slices.ContainsFunc(r.Targets, func(t Target) bool { return !t.Met }) {
			w("")
			w("Processor CPU profile, %d events (top functions, `go tool pprof -top`):", s.Events)
			w("")
			w("```")
			for _, l := range s.Profile {
				w("%s", l)
			}
			w("```")
		}
	}
	if len(r.Notes) > 0 {
		w("")
		for _, n := range r.Notes {
			w("- %s", n)
		}
	}
	return b.String()
}

// spread renders " (min-max a-b)" of the figure pick returns, "" for a
// single run.
func spread(sp *Spread, pick func(*Spread) *MinMax, format string) string {
	if sp == nil {
		return ""
	}
	m := pick(sp)
	if m == nil {
		return ""
	}
	return fmt.Sprintf(" (min-max "+format+"-"+format+")", m.Min, m.Max)
}

func mapRuns(rs []SizeResult, f func(SizeResult) string) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}
