package paddleapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"key only", Config{Key: "pdl_live_1"}, true},
		{"no key", Config{}, false},
		{"base URL not http", Config{Key: "k", BaseURL: "ftp://x"}, false},
		{"base URL", Config{Key: "k", BaseURL: SandboxBaseURL}, true},
		{"timeout", Config{Key: "k", Timeout: time.Minute}, true},
		{"negative timeout", Config{Key: "k", Timeout: -time.Second}, false},
	} {
		err := tt.cfg.Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrConfig)) {
			t.Errorf("%s: %v", tt.name, err)
		}
		if _, err := New(tt.cfg); (err == nil) != tt.ok {
			t.Errorf("%s: New: %v", tt.name, err)
		}
	}
}

// TestDo runs requests against a server that answers as Paddle does: JSON
// in and out, errors as {"error": {"type", "code", "detail"}}.
func TestDo(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Path {
		case "/discounts/dsc_1":
			_, _ = io.WriteString(w, `{"data":{"id":"dsc_1","code":"SARAH10"}}`)
		case "/discounts":
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"data":{"id":"dsc_2"}}`)
		case "/discounts/dsc_missing":
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"type":"request_error","code":"entity_not_found","detail":"Entity dsc_missing not found"}}`)
		case "/limited":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Key: "pdl_key", UserAgent: "heldsway-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var d struct {
		Data struct{ ID, Code string } `json:"data"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/discounts/dsc_1", Query: url.Values{"include": {"x"}}}, &d); err != nil || d.Data.Code != "SARAH10" {
		t.Fatalf("GET: %+v %v", d, err)
	}
	if got.Header.Get("Authorization") != "Bearer pdl_key" || got.Header.Get("User-Agent") != "heldsway-test" || got.URL.RawQuery != "include=x" {
		t.Errorf("request %v %q", got.Header, got.URL.RawQuery)
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/discounts", JSON: map[string]string{"code": "X"}}, &d); err != nil || d.Data.ID != "dsc_2" ||
		gotBody != `{"code":"X"}` || got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("POST: %v, body %q, %v", err, gotBody, got.Header)
	}
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/discounts/dsc_missing"}, nil)
	var ae *Error
	if !errors.As(err, &ae) || ae.Status != 404 || ae.Code != "entity_not_found" || ae.Type != "request_error" || ae.Detail != "Entity dsc_missing not found" ||
		!strings.Contains(err.Error(), "paddle answered 404 to GET /discounts/dsc_missing") {
		t.Errorf("404: %#v", err)
	}
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/limited"}, nil)
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != "7" {
		t.Errorf("429: %#v", err)
	}
	srv.Close()
	_, err = c.Do(ctx, Request{Method: http.MethodGet, Path: "/discounts/dsc_1"}, nil)
	var te *TransportError
	if !errors.As(err, &te) {
		t.Errorf("closed server: %#v", err)
	}
}
