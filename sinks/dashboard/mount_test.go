package dashboard

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestMount: Mount serves the dashboard under every pattern, behind the
// token login.
func TestMount(t *testing.T) {
	mux := http.NewServeMux()
	Mount(mux, &fakeSource{}, "s3cret", nil)
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{http.MethodGet, Prefix, "", http.StatusSeeOther},
		{http.MethodGet, Prefix + "/", "", http.StatusSeeOther},
		{http.MethodGet, Prefix + "/api/codes", "", http.StatusUnauthorized},
		{http.MethodGet, Prefix + "/", "s3cret", http.StatusOK},
		{http.MethodPost, LoginPath, "nope", http.StatusUnauthorized},
		{http.MethodPost, LoginPath, "s3cret", http.StatusSeeOther},
		{http.MethodGet, "/other", "s3cret", http.StatusNotFound},
	} {
		var r *http.Request
		if tc.method == http.MethodPost {
			r = httptest.NewRequest(tc.method, tc.path, strings.NewReader(url.Values{"token": {tc.token}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = httptest.NewRequest(tc.method, tc.path, nil)
			if tc.token != "" {
				r.Header.Set("Authorization", "Bearer "+tc.token)
			}
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, r)
		if rec.Code != tc.want {
			t.Errorf("%s %s (token %q): %d, want %d", tc.method, tc.path, tc.token, rec.Code, tc.want)
		}
	}
}
