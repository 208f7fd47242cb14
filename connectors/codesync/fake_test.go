package codesync

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	gosync "sync"
	"testing"
)

// fake is the part every fake platform shares: an httptest server, one
// lock over its state, a request log and injected failures, answered
// before the platform handler runs (except lost creates, which the
// handler applies and then answers 500, as a platform that crashed after
// committing would).
type fake struct {
	mu  gosync.Mutex
	srv *httptest.Server
	// errorBody renders the platform's error JSON for a status.
	errorBody func(status int, msg string) any

	log         []string // "METHOD /path?query"
	rateLimited int      // answer 429 with retryAfter to the next n requests
	unavailable int      // answer 503 with retryAfter to the next n requests
	retryAfter  string
	broken      int // answer 500 to the next n requests
	loseCreates int // apply the next n creates, then answer 500
	invalid     int // answer 400 (a validation error) to the next n requests
}

func (f *fake) start(t *testing.T, h http.HandlerFunc) {
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.log = append(f.log, r.Method+" "+r.URL.RequestURI())
		switch {
		case f.rateLimited > 0:
			f.rateLimited--
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			f.fail(w, http.StatusTooManyRequests, "Too many requests")
		case f.unavailable > 0:
			f.unavailable--
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			f.fail(w, http.StatusServiceUnavailable, "Service unavailable")
		case f.broken > 0:
			f.broken--
			f.fail(w, http.StatusInternalServerError, "Internal error")
		case f.invalid > 0:
			f.invalid--
			f.fail(w, http.StatusBadRequest, "Invalid request.")
		default:
			h(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
}

// lostCreate reports whether this create's answer is to be lost.
func (f *fake) lostCreate() bool {
	if f.loseCreates > 0 {
		f.loseCreates--
		return true
	}
	return false
}

func (f *fake) fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, f.errorBody(status, msg))
}

// requests returns the log and clears it.
func (f *fake) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.log
	f.log = nil
	return out
}

// inject sets failures under the lock.
func (f *fake) inject(fn func(f *fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fixture reads a JSON file of the shared platform fixtures into a map.
func fixture(t *testing.T, platform, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", platform, name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/%s: %v", platform, name, err)
	}
	return m
}

// cloneMap deep-copies a JSON object.
func cloneMap(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
