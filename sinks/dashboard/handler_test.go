package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	a := &auth{token: "s3cret", next: New(&fakeSource{}), now: func() time.Time { return now }}
	login := func(token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, LoginPath, strings.NewReader(url.Values{"token": {token}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, r)
		return rec
	}
	bad := login("nope")
	if bad.Code != 401 || len(bad.Result().Cookies()) != 0 || !strings.Contains(bad.Body.String(), "not the API token") {
		t.Fatalf("wrong token: %d %v %q", bad.Code, bad.Result().Cookies(), bad.Body.String())
	}
	good := login(" s3cret\n")
	cookies := good.Result().Cookies()
	if good.Code != 303 || good.Header().Get("Location") != Prefix+"/" || len(cookies) != 1 {
		t.Fatalf("login: %d %q %v", good.Code, good.Header().Get("Location"), cookies)
	}
	session := cookies[0]
	if session.Name != SessionCookie || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != Prefix || strings.Contains(session.Value, "s3cret") {
		t.Fatalf("session cookie %+v", session)
	}
	forged := *session
	forged.Value = strconv.FormatInt(now.Add(100*SessionTTL).Unix(), 10) + "." + strings.Repeat("0", 64)
	other := &auth{token: "rotated", now: a.now}
	stale := *session
	stale.Value = other.sessionValue(now)

	for _, tc := range []struct {
		name     string
		path     string
		set      func(*http.Request)
		later    time.Duration
		status   int
		location string
	}{
		{"page without session goes to the login form", "/dashboard", nil, 0, 303, LoginPath},
		{"api without session is 401", "/dashboard/api/codes", nil, 0, 401, ""},
		{"login form", LoginPath, nil, 0, 200, ""},
		{"static assets need no session", "/dashboard/static/style.css", nil, 0, 200, ""},
		{"session cookie", "/dashboard/", func(r *http.Request) { r.AddCookie(session) }, 0, 200, ""},
		{"session cookie on the api", "/dashboard/api/codes", func(r *http.Request) { r.AddCookie(session) }, 0, 200, ""},
		{"expired session", "/dashboard/api/codes", func(r *http.Request) { r.AddCookie(session) }, SessionTTL + time.Second, 401, ""},
		{"forged session", "/dashboard/api/codes", func(r *http.Request) { r.AddCookie(&forged) }, 0, 401, ""},
		{"session of another token", "/dashboard/api/codes", func(r *http.Request) { r.AddCookie(&stale) }, 0, 401, ""},
		{"wrong basic", "/dashboard/api/codes", func(r *http.Request) { r.SetBasicAuth("x", "nope") }, 0, 401, ""},
		{"basic", "/dashboard/api/codes", func(r *http.Request) { r.SetBasicAuth("anyone", "s3cret") }, 0, 200, ""},
		{"bearer", "/dashboard/api/codes", func(r *http.Request) { r.Header.Set("Authorization", "Bearer s3cret") }, 0, 200, ""},
	} {
		r := httptest.NewRequest(http.MethodGet, tc.path, nil)
		if tc.set != nil {
			tc.set(r)
		}
		at := now.Add(tc.later)
		a.now = func() time.Time { return at }
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, r)
		if rec.Code != tc.status || rec.Header().Get("Location") != tc.location {
			t.Errorf("%s: %d %q, want %d %q", tc.name, rec.Code, rec.Header().Get("Location"), tc.status, tc.location)
		}
	}
	rec := httptest.NewRecorder()
	RequireToken("", New(&fakeSource{})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dashboard/api/codes", nil))
	if rec.Code != 401 {
		t.Errorf("empty token: %d", rec.Code)
	}
	if rec := login(""); rec.Code != 401 {
		t.Errorf("empty token login: %d", rec.Code)
	}
}

// downSource fails every query as an unreachable ClickHouse would.
type downSource struct{}

func (downSource) Codes(context.Context, analytics.Query) ([]analytics.CodeStats, error) {
	return nil, errors.New("dial tcp 127.0.0.1:9000: connection refused")
}

func (downSource) Daily(context.Context, analytics.Query) ([]analytics.DayStats, error) {
	return nil, errors.New("dial tcp 127.0.0.1:9000: connection refused")
}

// TestNilOptions: WithLogger(nil) and WithClock(nil) keep the defaults
// (zap.NewNop(), time.Now), so a failed query (which logs) and a request
// without a date range (which reads the clock) are answered, not a panic.
func TestNilOptions(t *testing.T) {
	h := New(downSource{}, WithLogger(nil), WithClock(nil))
	for _, path := range []string{"/dashboard/api/codes", "/dashboard/api/daily"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "analytics unavailable") {
			t.Errorf("GET %s: %d %s, want 503 analytics unavailable", path, rec.Code, rec.Body)
		}
	}
}
