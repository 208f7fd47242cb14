package stripeapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/heldsway/heldsway/connectors/apiclient"
)

// Defaults, applied by New to zero fields.
const (
	// DefaultBaseURL is the Stripe API.
	DefaultBaseURL = "https://api.stripe.com"
	// DefaultTimeout bounds one request, answer read included, when no
	// HTTPClient is given. Callers bound a whole operation with their
	// context.
	DefaultTimeout = apiclient.DefaultTimeout
)

// ErrConfig is wrapped by errors about a Config.
var ErrConfig = errors.New("stripeapi: invalid config")

// Config configures a Client.
type Config struct {
	// BaseURL of the API, http or https. Default DefaultBaseURL; tests
	// point it at stripe-mock or a fake server.
	BaseURL string
	// Key is the account's secret or restricted API key. Required.
	Key string
	// Version is sent as Stripe-Version. Default: none, the account's
	// default version.
	Version string
	// UserAgent is sent as User-Agent. Default: Go's.
	UserAgent string
	// HTTPClient sends the requests. Default: a client with a
	// DefaultTimeout timeout.
	HTTPClient *http.Client
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Key == "" {
		return fmt.Errorf("%w: a key is required", ErrConfig)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: invalid base URL %q", ErrConfig, c.BaseURL)
		}
	}
	return nil
}

// Client sends requests to the Stripe API for one account. It is safe for
// concurrent use.
type Client struct {
	http apiclient.HTTP
}

// New returns a Client for cfg, defaults applied.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	h := http.Header{"Authorization": {"Bearer " + cfg.Key}}
	if cfg.Version != "" {
		h.Set("Stripe-Version", cfg.Version)
	}
	if cfg.UserAgent != "" {
		h.Set("User-Agent", cfg.UserAgent)
	}
	return &Client{http: apiclient.HTTP{Platform: "stripe", BaseURL: strings.TrimRight(cfg.BaseURL, "/"), Client: cfg.HTTPClient, Header: h}}, nil
}

// Request is one API call: apiclient's.
type Request = apiclient.Request

// Error is an answer outside 2xx.
type Error struct {
	Method, Path string
	Status       int
	// Type, Code, Param and Message are Stripe's error object's fields,
	// empty when the body is not one.
	Type, Code, Param, Message string
	// Body is the answer's body, trimmed.
	Body string
	// RetryAfter is the Retry-After header, raw ("" when absent).
	RetryAfter string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("stripe answered %d to %s %s: %s", e.Status, e.Method, e.Path, msg)
}

// TransportError is a request that got no answer (refused, reset, timed
// out, cancelled): apiclient's.
type TransportError = apiclient.TransportError

// Do sends r and decodes a 2xx body into out (when not nil). It returns the
// answer's headers, an *Error for a status outside 2xx, a *TransportError
// when there was no answer.
func (c *Client) Do(ctx context.Context, r Request, out any) (http.Header, error) {
	h, err := c.http.Do(ctx, r, out)
	var se *apiclient.StatusError
	if !errors.As(err, &se) {
		return h, err
	}
	return h, readError(se)
}

// readError reads the platform's error object from an answer outside 2xx.
func readError(se *apiclient.StatusError) *Error {
	e := &Error{Method: se.Method, Path: se.Path, Status: se.Status, Body: se.Body, RetryAfter: se.RetryAfter}
	var eb struct {
		Error struct {
			Type, Code, Param, Message string
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.Body), &eb) == nil {
		e.Type, e.Code, e.Param, e.Message = eb.Error.Type, eb.Error.Code, eb.Error.Param, eb.Error.Message
	}
	return e
}
