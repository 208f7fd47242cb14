package edge

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClassPools: with the webhook pool full, redirects and the API are
// still served; each class is refused only when its own pool is full.
func TestClassPools(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", MaxInFlight: 2, MaxPerClient: 100})
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	s.HandleClass(ClassWebhook, "POST /hook", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	s.HandleClass(ClassRedirect, "GET /c/{code}", ok)
	s.Handle("POST /api", ok)
	h := s.Handler()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/hook", nil))
		}()
	}
	<-entered
	<-entered
	tests := []struct {
		method, path string
		want         int
	}{
		{http.MethodPost, "/hook", http.StatusServiceUnavailable},
		{http.MethodGet, "/c/X", http.StatusNoContent},
		{http.MethodPost, "/api", http.StatusNoContent},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if rec.Code != tt.want {
			t.Errorf("%s %s with the webhook pool full: %d, want %d", tt.method, tt.path, rec.Code, tt.want)
		}
	}
	close(release)
	wg.Wait()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `heldsway_http_overloaded_total{class="webhook",limit="pool"} 1`) {
		t.Errorf("webhook overload not counted: %s", rec.Body.String())
	}
}

// TestMaxPerClient: one address cannot have more than MaxPerClient
// unauthenticated requests in flight (webhooks and redirects together);
// another address, and the authenticated API, are still served; the
// forwarded address counts only with TrustForwarded.
func TestMaxPerClient(t *testing.T) {
	for _, trust := range []bool{false, true} {
		s, err := New(Config{Addr: "127.0.0.1:0", MaxPerClient: 2, TrustForwarded: trust})
		if err != nil {
			t.Fatal(err)
		}
		release := make(chan struct{})
		entered := make(chan struct{}, 2)
		block := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			entered <- struct{}{}
			<-release
		})
		ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
		s.HandleClass(ClassWebhook, "POST /hook", block)
		s.HandleClass(ClassRedirect, "GET /c/{code}", ok)
		s.HandleClass(ClassAPI, "POST /api", ok)
		h := s.Handler()
		req := func(method, path, remote, xff string) *http.Request {
			r := httptest.NewRequest(method, path, strings.NewReader("{}"))
			r.RemoteAddr = remote
			if xff != "" {
				r.Header.Set("X-Forwarded-For", xff)
			}
			return r
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.ServeHTTP(httptest.NewRecorder(), req(http.MethodPost, "/hook", "192.0.2.1:1000", "198.51.100.7"))
			}()
		}
		<-entered
		<-entered
		tests := []struct {
			name         string
			method, path string
			remote, xff  string
			want         int
		}{
			{"same address, redirect", http.MethodGet, "/c/X", "192.0.2.1:2000", "203.0.113.9", map[bool]int{false: 503, true: 204}[trust]},
			{"same forwarded address", http.MethodGet, "/c/X", "192.0.2.2:2000", "198.51.100.7", map[bool]int{false: 204, true: 503}[trust]},
			{"other address", http.MethodGet, "/c/X", "192.0.2.3:2000", "203.0.113.10", 204},
			{"same proxied address behind a spoofed one", http.MethodGet, "/c/X", "192.0.2.4:2000", "203.0.113.11, 198.51.100.7", map[bool]int{false: 204, true: 503}[trust]},
			{"same address, authenticated API", http.MethodPost, "/api", "192.0.2.1:3000", "198.51.100.7", 204},
		}
		for _, tt := range tests {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req(tt.method, tt.path, tt.remote, tt.xff))
			if rec.Code != tt.want {
				t.Errorf("trust %v, %s: %d %s, want %d", trust, tt.name, rec.Code, rec.Body.String(), tt.want)
			}
			if rec.Code == 503 && (!strings.Contains(rec.Body.String(), "from your address") || rec.Header().Get("Connection") != "close") {
				t.Errorf("trust %v, %s: refusal %q, Connection %q", trust, tt.name, rec.Body.String(), rec.Header().Get("Connection"))
			}
		}
		close(release)
		wg.Wait()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req(http.MethodGet, "/c/X", "192.0.2.1:4000", "198.51.100.7"))
		if rec.Code != http.StatusNoContent {
			t.Errorf("trust %v: after the requests finished: %d", trust, rec.Code)
		}
		if n := len(s.clients.mu.n); n != 0 {
			t.Errorf("trust %v: %d addresses still counted", trust, n)
		}
	}
}

// TestBodyTimeout: a request whose body does not arrive within
// BodyTimeout is cut off, and its slot is free again.
func TestBodyTimeout(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", BodyTimeout: 300 * time.Millisecond, MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	s.HandleClass(ClassWebhook, "POST /hook", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := ReadBody(w, r, 1<<20)
		got <- err
	}))
	runServer(t, s)
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Fatalf("slow body read: %v, want a timeout", err)
		}
	case <-time.After(waitBound(t)):
		t.Fatal("slow body still being read after the bound")
	}
	// The slot is free: a prompt request is served.
	resp, err := http.Post("http://"+s.Addr()+"/hook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("prompt request after the slow one: %d", resp.StatusCode)
	}
}

// TestMetricsAddr: with MetricsAddr set, /metrics is served there and not
// on Addr.
func TestMetricsAddr(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	runServer(t, s)
	get := func(addr string) int {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s.MetricsAddr() == "" || s.MetricsAddr() == s.Addr() {
		t.Fatalf("metrics address %q, server %q", s.MetricsAddr(), s.Addr())
	}
	if c := get(s.MetricsAddr()); c != http.StatusOK {
		t.Errorf("/metrics on the metrics address: %d", c)
	}
	if c := get(s.Addr()); c != http.StatusNotFound {
		t.Errorf("/metrics on the public address: %d, want 404", c)
	}
	if _, err := New(Config{MetricsAddr: "nope"}); err == nil {
		t.Error("bad metrics address accepted")
	}
}

func runServer(t *testing.T, s *Server) {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}
