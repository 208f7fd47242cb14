package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// TestMaxInFlight: with MaxInFlight requests blocked in a handler (say,
// waiting on a slow Kafka), the next request is answered 503 with
// Retry-After at once instead of queueing; /healthz is not limited; once
// the blocked requests finish, requests are served again.
func TestMaxInFlight(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", MaxInFlight: 2})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	s.Handle("POST /slow", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusAccepted)
	}))
	h := s.Handler()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slow", nil))
			if rec.Code != http.StatusAccepted {
				t.Errorf("blocked request answered %d", rec.Code)
			}
		}()
	}
	<-entered
	<-entered

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slow", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "overloaded") {
		t.Fatalf("request over the limit: %d %q Retry-After %q", rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/healthz while overloaded: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `heldsway_http_overloaded_total{class="api",limit="pool"} 1`) {
		t.Errorf("overload not counted in /metrics")
	}

	close(release) // the slow requests finish; the handler no longer blocks
	wg.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slow", nil))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("after the slow requests finished: %d", rec.Code)
	}
}

func TestMaxInFlightValidate(t *testing.T) {
	if _, err := New(Config{MaxInFlight: -1}); err == nil {
		t.Fatal("negative MaxInFlight accepted")
	}
	s, err := New(Config{})
	if err != nil || s.Config().MaxInFlight != 1024 {
		t.Fatalf("default MaxInFlight: %v %v", s.Config().MaxInFlight, err)
	}
}
