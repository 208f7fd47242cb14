package paddleapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults, applied by New to zero fields.
const (
	// DefaultBaseURL is the Paddle Billing API.
	DefaultBaseURL = "https://api.paddle.com"
	// SandboxBaseURL is Paddle's sandbox.
	SandboxBaseURL = "https://sandbox-api.paddle.com"
	// DefaultTimeout bounds one request, answer read included, when no
	// HTTPClient is given. Callers bound a whole operation with their
	// context.
	DefaultTimeout = 5 * time.Second
	// MaxBody bounds an answer read into memory.
	MaxBody = 8 << 20
)

// ErrConfig is wrapped by errors about a Config.
var ErrConfig = errors.New("paddleapi: invalid config")

// Config configures a Client.
type Config struct {
	// BaseURL of the API, http or https. Default DefaultBaseURL; tests
	// point it at a fake server.
	BaseURL string
	// Key is the account's API key. Required.
	Key string
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

// Client sends requests to the Paddle API for one account. It is safe for
// concurrent use.
type Client struct {
	base, key, agent string
	http             *http.Client
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
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/"), key: cfg.Key, agent: cfg.UserAgent, http: cfg.HTTPClient}, nil
}

// Request is one API call.
type Request struct {
	Method string
	// Path starts with "/": "/discounts".
	Path  string
	Query url.Values
	// JSON, when not nil, is sent as the JSON body.
	JSON any
	// Header is added to the request (Idempotency-Key).
	Header http.Header
}

// Error is an answer outside 2xx.
type Error struct {
	Method, Path string
	Status       int
	// Type, Code and Detail are Paddle's error object's fields, empty
	// when the body is not one.
	Type, Code, Detail string
	// Body is the answer's body, trimmed.
	Body string
	// RetryAfter is the Retry-After header, raw ("" when absent).
	RetryAfter string
}

func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("paddle answered %d to %s %s: %s", e.Status, e.Method, e.Path, msg)
}

// TransportError is a request that got no answer (refused, reset, timed
// out, cancelled).
type TransportError struct {
	Method, Path string
	Err          error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("paddle %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// Do sends r and decodes a 2xx body into out (when not nil). It returns the
// answer's headers, an *Error for a status outside 2xx, a *TransportError
// when there was no answer.
func (c *Client) Do(ctx context.Context, r Request, out any) (http.Header, error) {
	u := c.base + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var body io.Reader
	if r.JSON != nil {
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", r.Method, r.Path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", r.Method, r.Path, err)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if r.JSON != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &TransportError{Method: r.Method, Path: r.Path, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, &TransportError{Method: r.Method, Path: r.Path, Err: fmt.Errorf("reading answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{Method: r.Method, Path: r.Path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b)), RetryAfter: resp.Header.Get("Retry-After")}
		var eb struct {
			Error struct {
				Type, Code, Detail string
			} `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil {
			e.Type, e.Code, e.Detail = eb.Error.Type, eb.Error.Code, eb.Error.Detail
		}
		return resp.Header, e
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("decoding paddle answer to %s %s: %w", r.Method, r.Path, err)
		}
	}
	return resp.Header, nil
}
