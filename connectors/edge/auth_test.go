package edge

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestRequireBearer: the scheme is case-insensitive (RFC 6750); a missing
// or wrong token is refused before the body is read.
func TestRequireBearer(t *testing.T) {
	read := false
	h := RequireBearer("s3cret", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		read = true
		w.WriteHeader(http.StatusNoContent)
	}))
	tests := []struct {
		auth string
		want int
	}{
		{"Bearer s3cret", http.StatusNoContent},
		{"bearer s3cret", http.StatusNoContent},
		{"BEARER s3cret", http.StatusNoContent},
		{"BeArEr  s3cret", http.StatusNoContent},
		{"Bearer wrong", http.StatusUnauthorized},
		{"Basic s3cret", http.StatusUnauthorized},
		{"Bearers3cret", http.StatusUnauthorized},
		{"Bearer ", http.StatusUnauthorized},
		{"s3cret", http.StatusUnauthorized},
		{"", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		read = false
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}"))
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tt.want || read != (tt.want == http.StatusNoContent) {
			t.Errorf("Authorization %q: %d (handler ran: %v), want %d", tt.auth, rec.Code, read, tt.want)
		}
		if rec.Code == http.StatusUnauthorized && rec.Header().Get("Connection") != "close" {
			t.Errorf("Authorization %q: refusal keeps the connection for the unread body", tt.auth)
		}
	}
}

// waitBound is how long a test waits for something that should happen at
// once: HELDSWAY_TEST_WAIT, default 10s.
func waitBound(t *testing.T) time.Duration {
	if v := os.Getenv("HELDSWAY_TEST_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("HELDSWAY_TEST_WAIT: %v", err)
		}
		return d
	}
	return 10 * time.Second
}
