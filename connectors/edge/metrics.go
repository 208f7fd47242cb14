package edge

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the edge's Prometheus metrics, served on GET /metrics.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	webhooks *prometheus.CounterVec
	publish  *prometheus.HistogramVec
	rejected *prometheus.CounterVec
}

func newMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heldsway_http_requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "heldsway_http_request_seconds",
			Help:    "HTTP request handling time by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heldsway_webhooks_total",
			Help: "Webhook deliveries by platform and outcome (ok, ignored, bad_signature, stale, bad_payload, too_large, unreadable, unavailable, temporary, no_store).",
		}, []string{"platform", "outcome"}),
		publish: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "heldsway_publish_seconds",
			Help:    "Time from publishing an event to Kafka's acknowledgement, by source.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "heldsway_http_overloaded_total",
			Help: "Requests answered 503 at once, by route class (api, webhook, redirect) and limit: pool (MaxInFlight requests of the class already being handled) or client (MaxPerClient unauthenticated requests of the address in flight).",
		}, []string{"class", "limit"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.webhooks, m.publish, m.rejected,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Register adds collectors of other components (e.g. click counters).
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// ObserveWebhook records a webhook outcome; it matches webhook.Handler's
// Observe hook.
func (m *Metrics) ObserveWebhook(platform, outcome string, publish time.Duration) {
	m.webhooks.WithLabelValues(platform, outcome).Inc()
	if outcome == "ok" || outcome == "unavailable" {
		m.publish.WithLabelValues(platform).Observe(publish.Seconds())
	}
}

// ObservePublish records a publish latency for source.
func (m *Metrics) ObservePublish(source string, d time.Duration) {
	m.publish.WithLabelValues(source).Observe(d.Seconds())
}

func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// instrument counts requests to route by status code and times them.
func (m *Metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}
