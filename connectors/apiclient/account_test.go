package apiclient

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var errTestConfig = errors.New("testapi: invalid config")

func TestAccountValidate(t *testing.T) {
	base := Account{Platform: "test", ErrConfig: errTestConfig, DefaultBaseURL: "https://api.example.com", Key: "k"}
	for _, tt := range []struct {
		name    string
		edit    func(*Account)
		wantErr string
	}{
		{"key only", func(*Account) {}, ""},
		{"no key", func(a *Account) { a.Key = "" }, "a key is required"},
		{"base URL not http", func(a *Account) { a.BaseURL = "ftp://x" }, "invalid base URL"},
		{"base URL without host", func(a *Account) { a.BaseURL = "http://" }, "invalid base URL"},
		{"base URL", func(a *Account) { a.BaseURL = "http://127.0.0.1:1/" }, ""},
		{"negative timeout", func(a *Account) { a.Timeout = -time.Second }, "negative timeout"},
		{"no sentinel", func(a *Account) { a.ErrConfig = nil }, "without ErrConfig"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			tt.edit(&a)
			err := a.Validate()
			_, oerr := a.NewClient()
			if tt.wantErr == "" {
				if err != nil || oerr != nil {
					t.Fatalf("Validate %v, NewClient %v", err, oerr)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate %v, want %q", err, tt.wantErr)
			}
			if a.ErrConfig != nil && !errors.Is(err, errTestConfig) {
				t.Errorf("Validate %v does not wrap the platform's ErrConfig", err)
			}
			if oerr == nil || oerr.Error() != err.Error() {
				t.Errorf("NewClient %v, want Validate's error", oerr)
			}
		})
	}
}

func TestAccountOpen(t *testing.T) {
	own := &http.Client{}
	read := func(se *StatusError) error { return se }
	for _, tt := range []struct {
		name        string
		a           Account
		wantBase    string
		wantTimeout time.Duration
		wantClient  *http.Client
		wantHeader  http.Header
	}{
		{
			name:        "defaults",
			a:           Account{Platform: "test", ErrConfig: errTestConfig, DefaultBaseURL: "https://api.example.com", Key: "k"},
			wantBase:    "https://api.example.com",
			wantTimeout: DefaultTimeout,
			wantHeader:  http.Header{"Authorization": {"Bearer k"}},
		},
		{
			name: "all set",
			a: Account{Platform: "test", ErrConfig: errTestConfig, DefaultBaseURL: "https://api.example.com", BaseURL: "http://127.0.0.1:9/v/",
				Key: "k", UserAgent: "ua", Header: http.Header{"Stripe-Version": {"v1"}}, Timeout: 30 * time.Second},
			wantBase:    "http://127.0.0.1:9/v",
			wantTimeout: 30 * time.Second,
			wantHeader:  http.Header{"Authorization": {"Bearer k"}, "User-Agent": {"ua"}, "Stripe-Version": {"v1"}},
		},
		{
			name:       "own HTTP client wins over the timeout",
			a:          Account{Platform: "test", ErrConfig: errTestConfig, DefaultBaseURL: "https://api.example.com", Key: "k", HTTPClient: own, Timeout: time.Minute},
			wantBase:   "https://api.example.com",
			wantClient: own,
			wantHeader: http.Header{"Authorization": {"Bearer k"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.ReadError = read
			c, err := tt.a.NewClient()
			if err != nil {
				t.Fatal(err)
			}
			h := c.http
			if h.Platform != "test" || h.BaseURL != tt.wantBase || h.ReadError == nil {
				t.Errorf("platform %q, base URL %q, read error set %v", h.Platform, h.BaseURL, h.ReadError != nil)
			}
			if tt.wantClient != nil {
				if h.Client != tt.wantClient {
					t.Error("the account's own HTTP client was replaced")
				}
			} else if h.Client == nil || h.Client.Timeout != tt.wantTimeout {
				t.Errorf("client %+v, want timeout %v", h.Client, tt.wantTimeout)
			}
			if len(h.Header) != len(tt.wantHeader) {
				t.Errorf("headers %v, want %v", h.Header, tt.wantHeader)
			}
			for k := range tt.wantHeader {
				if h.Header.Get(k) != tt.wantHeader.Get(k) {
					t.Errorf("%s: %q, want %q", k, h.Header.Get(k), tt.wantHeader.Get(k))
				}
			}
			if tt.a.Header != nil && tt.a.Header.Get("Authorization") != "" {
				t.Error("NewClient wrote into the caller's Header")
			}
		})
	}
}
