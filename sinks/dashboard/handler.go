package dashboard

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
)

//go:embed static
var staticFiles embed.FS

// Prefix is where the dashboard is mounted.
const Prefix = "/dashboard"

// DefaultDays is the range the API answers when none is asked for.
const DefaultDays = 30

// Source provides the figures; *analytics.Client is one.
type Source interface {
	Codes(ctx context.Context, q analytics.Query) ([]analytics.CodeStats, error)
	Daily(ctx context.Context, q analytics.Query) ([]analytics.DayStats, error)
}

var _ Source = (*analytics.Client)(nil)

// Handler serves the dashboard under Prefix.
type Handler struct {
	src Source
	log *zap.Logger
	now func() time.Time
	mux *http.ServeMux
}

// Option configures a Handler.
type Option interface{ apply(*Handler) }

type optionFunc func(*Handler)

func (f optionFunc) apply(h *Handler) { f(h) }

// WithLogger logs failed queries to log; nil keeps zap.NewNop().
func WithLogger(log *zap.Logger) Option {
	return optionFunc(func(h *Handler) {
		if log != nil {
			h.log = log
		}
	})
}

// WithClock sets the clock that decides the default date range; nil
// keeps time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(h *Handler) {
		if now != nil {
			h.now = now
		}
	})
}

// New returns the dashboard over src.
func New(src Source, opts ...Option) *Handler {
	h := &Handler{src: src, log: zap.NewNop(), now: time.Now, mux: http.NewServeMux()}
	for _, o := range opts {
		o.apply(h)
	}
	sub, _ := fs.Sub(staticFiles, "static")
	h.mux.HandleFunc("GET "+Prefix+"/{$}", h.page)
	h.mux.HandleFunc("GET "+Prefix, h.page)
	h.mux.Handle("GET "+Prefix+"/static/", http.StripPrefix(Prefix+"/static/", http.FileServerFS(sub)))
	h.mux.HandleFunc("GET "+Prefix+"/api/codes", h.codes)
	h.mux.HandleFunc("GET "+Prefix+"/api/daily", h.daily)
	h.mux.HandleFunc("GET "+Prefix+"/api/affiliates", h.affiliates)
	return h
}

// Patterns are the patterns to register the Handler under on a mux.
var Patterns = []string{"GET " + Prefix, "GET " + Prefix + "/", "POST " + LoginPath}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) page(w http.ResponseWriter, _ *http.Request) {
	data, err := staticFiles.ReadFile("static/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(data)
}

// query parses from, to, code and currency, defaulting to the last
// DefaultDays days.
func (h *Handler) query(r *http.Request) (analytics.Query, error) {
	v := r.URL.Query()
	q := analytics.Query{Code: v.Get("code"), Currency: v.Get("currency")}
	q.To = h.now().UTC()
	if s := v.Get("to"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return q, fmt.Errorf("to: want YYYY-MM-DD, got %q", s)
		}
		q.To = t
	}
	q.From = q.To.AddDate(0, 0, -(DefaultDays - 1))
	if s := v.Get("from"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return q, fmt.Errorf("from: want YYYY-MM-DD, got %q", s)
		}
		q.From = t
	}
	if q.To.Sub(q.From) > 3660*24*time.Hour {
		return q, errors.New("at most ten years at a time")
	}
	return q, nil
}

func (h *Handler) codes(w http.ResponseWriter, r *http.Request) {
	q, err := h.query(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	rows, err := h.src.Codes(r.Context(), q)
	h.answer(w, rows, err)
}

// affiliates answers the per-affiliate table: each affiliate's codes
// summed (analytics.ByAffiliate).
func (h *Handler) affiliates(w http.ResponseWriter, r *http.Request) {
	q, err := h.query(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	q.Code = ""
	rows, err := h.src.Codes(r.Context(), q)
	if err != nil {
		h.answer(w, nil, err)
		return
	}
	h.answer(w, analytics.ByAffiliate(rows), nil)
}

func (h *Handler) daily(w http.ResponseWriter, r *http.Request) {
	q, err := h.query(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	rows, err := h.src.Daily(r.Context(), q)
	h.answer(w, rows, err)
}

func (h *Handler) answer(w http.ResponseWriter, rows any, err error) {
	switch {
	case errors.Is(err, analytics.ErrQuery):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case err != nil:
		h.log.Warn("dashboard query", zap.Error(err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "analytics unavailable: " + err.Error()})
	default:
		writeJSON(w, http.StatusOK, rows)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
