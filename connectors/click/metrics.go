package click

import "github.com/prometheus/client_golang/prometheus"

// Collectors returns the tracker's counters for Prometheus.
func (t *Tracker) Collectors() []prometheus.Collector {
	f := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	return []prometheus.Collector{
		f("heldsway_clicks_recorded_total", "Clicks published to Kafka.", t.Stats.Recorded.Load),
		f("heldsway_clicks_bot_total", "Recorded clicks flagged as bots.", t.Stats.Bots.Load),
		f("heldsway_clicks_unknown_code_total", "Redirects for codes not in the registry (redirected, not recorded).", t.Stats.UnknownCodes.Load),
		f("heldsway_clicks_affiliate_not_allowed_total", "Redirects whose aff parameter names an affiliate not allowed to promote the code (recorded; they do not qualify).", t.Stats.NotAllowed.Load),
		f("heldsway_clicks_unrecorded_total", "Redirects whose click Kafka did not acknowledge in time (redirected anyway).", t.Stats.Unrecorded.Load),
	}
}
