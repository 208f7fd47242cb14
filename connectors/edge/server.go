package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Config configures the HTTP server.
type Config struct {
	// Addr is host:port to listen on. Default 127.0.0.1:8080.
	Addr string
	// MaxBodyBytes caps a request body; larger bodies get 413.
	// Default 1 MiB.
	MaxBodyBytes int64
	// RequestTimeout bounds a request's handling. Default 15s.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the drain of in-flight requests. Default 20s.
	ShutdownTimeout time.Duration
	// MaxInFlight bounds the requests handled at once in each route class
	// (see Class: redirects, webhooks and the authenticated APIs each have
	// a pool of this size); a request beyond it is answered 503 with
	// Retry-After at once instead of queueing, so a slow Kafka pushes back
	// on senders rather than growing memory, and a flood of one class
	// leaves the others their capacity. /healthz and /metrics are not
	// limited. Default 1024.
	MaxInFlight int
	// MaxPerClient bounds the unauthenticated requests (webhooks and
	// redirects together) one client address has in flight; beyond it the
	// answer is 503 with Retry-After. Default 64.
	MaxPerClient int
	// BodyTimeout bounds reading a request, headers and body: a sender
	// slower than that is cut off (its request fails with 400 and the
	// connection is closed). Default 10s.
	BodyTimeout time.Duration
	// TrustForwarded takes the client address from X-Forwarded-For (behind
	// a proxy you run). Default false.
	TrustForwarded bool
	// MetricsAddr, when set, is a separate host:port serving GET /metrics
	// (and /healthz), and Addr no longer serves /metrics, so the metrics
	// need not face the internet. Default "": /metrics on Addr.
	MetricsAddr string
	// Logger receives the server's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults.
func (c *Config) EnsureDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 20 * time.Second
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = 1024
	}
	if c.MaxPerClient == 0 {
		c.MaxPerClient = 64
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, is usable. It does
// not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("edge: http address %q: %w", c.Addr, err)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("edge: metrics address %q: %w", c.MetricsAddr, err)
		}
	}
	if c.MaxInFlight < 1 {
		return fmt.Errorf("edge: max in-flight requests %d: must be at least 1", c.MaxInFlight)
	}
	if c.MaxPerClient < 1 {
		return fmt.Errorf("edge: max requests per client %d: must be at least 1", c.MaxPerClient)
	}
	if c.BodyTimeout < 0 {
		return fmt.Errorf("edge: body timeout %v: must be positive", c.BodyTimeout)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("edge: max body bytes %d: must be at least 1024", c.MaxBodyBytes)
	}
	return nil
}

// Check is a readiness probe: nil means the dependency is reachable.
type Check func(ctx context.Context) error

// Server is the HTTP edge.
type Server struct {
	cfg Config
	log *zap.Logger
	mux *http.ServeMux
	// metricsMux serves /metrics and /healthz on MetricsAddr; nil when
	// MetricsAddr is unset.
	metricsMux *http.ServeMux
	metrics    *Metrics
	// inflight holds, per class, one token per request being handled
	// (MaxInFlight).
	inflight [numClasses]chan struct{}
	clients  *clientLimit

	mu struct {
		sync.Mutex
		checks    map[string]Check
		ln        net.Listener
		metricsLn net.Listener
	}
}

// New returns a server; register handlers before Run.
func New(cfg Config) (*Server, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), metrics: newMetrics(), clients: newClientLimit(cfg.MaxPerClient)}
	for c := range s.inflight {
		s.inflight[c] = make(chan struct{}, cfg.MaxInFlight)
	}
	s.mu.checks = map[string]Check{}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	if cfg.MetricsAddr == "" {
		s.mux.Handle("GET /metrics", s.metrics.handler())
	} else {
		s.metricsMux = http.NewServeMux()
		s.metricsMux.Handle("GET /metrics", s.metrics.handler())
		s.metricsMux.HandleFunc("GET /healthz", s.healthz)
	}
	return s, nil
}

// Config returns the server's configuration with defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Handle registers h for pattern (net/http ServeMux syntax, with method)
// in h's route class (see Classed), ClassAPI when h does not say.
func (s *Server) Handle(pattern string, h http.Handler) {
	c := ClassAPI
	if ch, ok := h.(Classed); ok {
		c = ch.RouteClass()
	}
	s.HandleClass(c, pattern, h)
}

// HandleClass registers h for pattern in class c: its requests are counted
// and timed under the pattern as route label and share c's MaxInFlight
// pool (and, for an unauthenticated class, the per-client limit).
func (s *Server) HandleClass(c Class, pattern string, h http.Handler) {
	if c < 0 || c >= numClasses {
		c = ClassAPI
	}
	s.mux.Handle(pattern, s.metrics.instrument(pattern, s.limit(c, h)))
}

// limit answers 503 with Retry-After when MaxInFlight requests of class c
// are already being handled, or when the client already has MaxPerClient
// unauthenticated requests in flight. The refusal does not read the body.
func (s *Server) limit(c Class, h http.Handler) http.Handler {
	pool := s.inflight[c]
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.unauthenticated() {
			addr := ClientAddr(r, s.cfg.TrustForwarded)
			if !s.clients.acquire(addr) {
				s.metrics.rejected.WithLabelValues(c.String(), "client").Inc()
				w.Header().Set("Retry-After", "1")
				Refuse(w, r, http.StatusServiceUnavailable, "overloaded: too many requests in flight from your address, retry later")
				return
			}
			defer s.clients.release(addr)
		}
		select {
		case pool <- struct{}{}:
		default:
			s.metrics.rejected.WithLabelValues(c.String(), "pool").Inc()
			w.Header().Set("Retry-After", "1")
			Refuse(w, r, http.StatusServiceUnavailable, "overloaded: too many requests in flight, retry later")
			return
		}
		defer func() { <-pool }()
		h.ServeHTTP(w, r)
	})
}

// Handler returns the server's routes without the listener, timeouts and
// drain that Run adds (tests, embedding).
func (s *Server) Handler() http.Handler { return s.mux }

// Metrics returns the server's metrics, for components that add their own.
func (s *Server) Metrics() *Metrics { return s.metrics }

// AddCheck registers a readiness check reported by GET /healthz.
func (s *Server) AddCheck(name string, c Check) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.checks[name] = c
}

// Addr returns the address the server listens on, once Run has started
// listening; "" before.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.ln == nil {
		return ""
	}
	return s.mu.ln.Addr().String()
}

// MetricsAddr returns the address /metrics listens on when MetricsAddr is
// configured, once listening; "" otherwise.
func (s *Server) MetricsAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.metricsLn == nil {
		return ""
	}
	return s.mu.metricsLn.Addr().String()
}

// Listen binds the address (and MetricsAddr); Run calls it if it was not
// called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("edge: listening on %s: %w", s.cfg.Addr, err)
	}
	if s.cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("edge: listening on %s: %w", s.cfg.MetricsAddr, err)
		}
		s.mu.metricsLn = mln
	}
	s.mu.ln = ln
	return nil
}

// Run serves until ctx is done, then stops accepting connections and waits
// up to ShutdownTimeout for requests in flight to finish.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln, mln := s.mu.ln, s.mu.metricsLn
	s.mu.Unlock()
	hs := &http.Server{
		Handler:           http.TimeoutHandler(s.mux, s.cfg.RequestTimeout, `{"error":"request timed out"}`),
		ReadHeaderTimeout: min(5*time.Second, s.cfg.BodyTimeout),
		// The whole request, body included, must arrive within
		// BodyTimeout: a slow-body sender is cut off.
		ReadTimeout:    s.cfg.BodyTimeout,
		WriteTimeout:   s.cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:    60 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       zap.NewStdLog(s.log.Named("http")),
	}
	servers := []*http.Server{hs}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("http server listening", zap.String("addr", ln.Addr().String()))
	if mln != nil {
		ms := &http.Server{
			Handler:           s.metricsMux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			ErrorLog:          zap.NewStdLog(s.log.Named("http")),
		}
		servers = append(servers, ms)
		go func() { errc <- ms.Serve(mln) }()
		s.log.Info("metrics server listening", zap.String("addr", mln.Addr().String()))
	}
	var serveErr error
	select {
	case err := <-errc:
		serveErr = fmt.Errorf("edge: serving: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	s.log.Info("http server draining", zap.Duration("timeout", s.cfg.ShutdownTimeout))
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("edge: draining requests: %w", err))
		}
	}
	if serveErr != nil {
		return errors.Join(append([]error{serveErr}, errs...)...)
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("edge: serving: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	names := make([]string, 0, len(s.mu.checks))
	checks := make(map[string]Check, len(s.mu.checks))
	for n, c := range s.mu.checks {
		names = append(names, n)
		checks[n] = c
	}
	s.mu.Unlock()
	sort.Strings(names)
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	results := make(chan result, len(names))
	for _, n := range names {
		go func() { results <- result{n, checks[n](ctx)} }()
	}
	status := http.StatusOK
	out := map[string]string{}
	for range names {
		res := <-results
		if res.err != nil {
			status = http.StatusServiceUnavailable
			out[res.name] = res.err.Error()
		} else {
			out[res.name] = "ok"
		}
	}
	state := "ok"
	if status != http.StatusOK {
		state = "unavailable"
	}
	WriteJSON(w, status, map[string]any{"status": state, "checks": out})
}

// WriteJSON writes v as a JSON response with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError answers status with {"error": reason}.
func WriteError(w http.ResponseWriter, status int, reason string) {
	WriteJSON(w, status, map[string]string{"error": reason})
}
