package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/sinks/clickhouse/analytics"
)

type fakeSource struct{ last analytics.Query }

func (f *fakeSource) Codes(_ context.Context, q analytics.Query) ([]analytics.CodeStats, error) {
	f.last = q
	return []analytics.CodeStats{{Code: "ANNA10", AffiliateID: "aff-anna", Currency: "EUR", Orders: 3, Attributed: 4,
		AttributedClick: 1, Commission: 500, CommissionPending: 120}}, nil
}

func (f *fakeSource) Daily(_ context.Context, q analytics.Query) ([]analytics.DayStats, error) {
	f.last = q
	return []analytics.DayStats{{Day: "2026-11-01", Orders: 3, LeakFlags: 1}}, nil
}

func TestRoutes(t *testing.T) {
	src := &fakeSource{}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	h := New(src, WithClock(func() time.Time { return now }))
	for _, tc := range []struct {
		path, contains string
		status         int
	}{
		{"/dashboard", `<script src="/dashboard/static/app.js">`, 200},
		{"/dashboard/", `id="codes"`, 200},
		{"/dashboard/static/app.js", "renderDaily", 200},
		{"/dashboard/static/style.css", "--leak", 200},
		{"/dashboard/api/codes?from=2026-11-01&to=2026-11-14", `"code":"ANNA10"`, 200},
		{"/dashboard/api/affiliates?from=2026-11-01&to=2026-11-14", `"affiliate_id":"aff-anna","currency":"EUR","codes":1`, 200},
		{"/dashboard/api/affiliates?from=2026-11-01&to=2026-11-14", `"commission_pending":120`, 200},
		{"/dashboard/", `id="affiliates"`, 200},
		{"/dashboard/api/daily?code=ANNA10", `"leak_flags":1`, 200},
		{"/dashboard/api/codes?from=yesterday", "from: want YYYY-MM-DD", 400},
		{"/dashboard/static/nope.js", "", 404},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.contains) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tc.path, rec.Code, rec.Body.String(), tc.status, tc.contains)
		}
	}
	// The daily call above used the default range: the last 30 days.
	if got := src.last; got.Code != "ANNA10" || !got.To.Equal(now) || !got.From.Equal(now.AddDate(0, 0, -29)) {
		t.Errorf("default query %+v", got)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard/api/codes?from=2026-11-01&to=2026-11-02", nil))
	var rows []analytics.CodeStats
	if err := json.Unmarshal(rec.Body.Bytes(), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("codes JSON: %v %s", err, rec.Body)
	}
}

func TestRequireToken(t *testing.T) {
	h := RequireToken("s3cret", New(&fakeSource{}))
	for _, tc := range []struct {
		name   string
		set    func(*http.Request)
		status int
	}{
		{"none", func(*http.Request) {}, 401},
		{"wrong basic", func(r *http.Request) { r.SetBasicAuth("x", "nope") }, 401},
		{"basic", func(r *http.Request) { r.SetBasicAuth("anyone", "s3cret") }, 200},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 200},
	} {
		r := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
		tc.set(r)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.status)
		}
	}
	rec := httptest.NewRecorder()
	RequireToken("", New(&fakeSource{})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard", nil))
	if rec.Code != 401 {
		t.Errorf("empty token: %d", rec.Code)
	}
}
