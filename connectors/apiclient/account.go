package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Account is the settings of a client for one account of a platform,
// sending with one key (stripeapi.Client, paddleapi.Client): what their
// Configs share. A platform keeps its own exported Config, with its own
// field names and documented defaults, and converts it to an Account.
type Account struct {
	// Platform names the platform in errors: "stripe".
	Platform string
	// ErrConfig is wrapped by the errors Validate and Open return: the
	// platform's own sentinel (stripeapi.ErrConfig). Required.
	ErrConfig error
	// BaseURL of the API, http or https. Default DefaultBaseURL.
	BaseURL string
	// DefaultBaseURL is the platform's API. Required.
	DefaultBaseURL string
	// Key is sent as a bearer token (Authorization: Bearer <Key>).
	// Required.
	Key string
	// UserAgent is sent as User-Agent. Default: Go's.
	UserAgent string
	// Header holds further headers for every request (Stripe-Version).
	// Default none.
	Header http.Header
	// HTTPClient sends the requests. Default: a client with a Timeout
	// timeout.
	HTTPClient *http.Client
	// Timeout bounds one request, answer read included, when HTTPClient
	// is nil. Default DefaultTimeout.
	Timeout time.Duration
	// ReadError reads the platform's error object (HTTP.ReadError).
	// Default none: answers outside 2xx are *StatusError.
	ReadError func(*StatusError) error
}

// Validate reports an account that cannot work, wrapping a.ErrConfig.
func (a Account) Validate() error {
	if a.ErrConfig == nil {
		return errors.New("apiclient: account without ErrConfig")
	}
	if a.Key == "" {
		return fmt.Errorf("%w: a key is required", a.ErrConfig)
	}
	if a.BaseURL != "" && !validBaseURL(a.BaseURL) {
		return fmt.Errorf("%w: invalid base URL %q", a.ErrConfig, a.BaseURL)
	}
	if a.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout %v", a.ErrConfig, a.Timeout)
	}
	return nil
}

// Client sends requests to one platform account's API (Account.NewClient):
// stripeapi.Client and paddleapi.Client are this type. It is safe for
// concurrent use.
type Client struct {
	http HTTP
}

// Do sends r and decodes a 2xx body into out (when not nil). It returns the
// answer's headers, the platform's error (Account.ReadError; default a
// *StatusError) for a status outside 2xx, a *TransportError when there
// was no answer.
func (c *Client) Do(ctx context.Context, r Request, out any) (http.Header, error) {
	return c.http.Do(ctx, r, out)
}

// NewClient validates a, applies its defaults and returns its Client.
func (a Account) NewClient() (*Client, error) {
	h, err := a.open()
	if err != nil {
		return nil, err
	}
	return &Client{http: h}, nil
}

// open validates a, applies its defaults and returns the HTTP a client
// sends through.
func (a Account) open() (HTTP, error) {
	if err := a.Validate(); err != nil {
		return HTTP{}, err
	}
	if a.BaseURL == "" {
		a.BaseURL = a.DefaultBaseURL
	}
	if a.Timeout == 0 {
		a.Timeout = DefaultTimeout
	}
	if a.HTTPClient == nil {
		a.HTTPClient = &http.Client{Timeout: a.Timeout}
	}
	h := a.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Authorization", "Bearer "+a.Key)
	if a.UserAgent != "" {
		h.Set("User-Agent", a.UserAgent)
	}
	return HTTP{Platform: a.Platform, BaseURL: strings.TrimRight(a.BaseURL, "/"), Client: a.HTTPClient, Header: h, ReadError: a.ReadError}, nil
}

// validBaseURL reports whether s is an absolute http or https URL with a
// host.
func validBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
