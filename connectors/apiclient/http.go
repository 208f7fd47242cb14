package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxBody bounds an answer read into memory.
const MaxBody = 8 << 20

// Request is one API call.
type Request struct {
	Method string
	// Path starts with "/".
	Path  string
	Query url.Values
	// Form, when not nil, is sent form-encoded.
	Form url.Values
	// JSON, when not nil (and Form is nil), is sent as the JSON body.
	JSON any
	// Header is added to the request (Idempotency-Key).
	Header http.Header
}

// StatusError is an answer outside 2xx.
type StatusError struct {
	Platform, Method, Path string
	Status                 int
	// Body is the answer's body, trimmed; platforms read their error
	// objects from it.
	Body string
	// RetryAfter is the Retry-After header, raw ("" when absent).
	RetryAfter string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered %d to %s %s", e.Platform, e.Status, e.Method, e.Path)
}

// Answer implements Answered: e itself.
func (e *StatusError) Answer() *StatusError { return e }

// Reason implements Answered: the body, which only the platform can read.
func (e *StatusError) Reason() string { return e.Body }

// Answered is an answer outside 2xx as a platform's client reports it: a
// *StatusError, or the platform's error type read from one
// (stripeapi.Error, paddleapi.Error). A caller that puts failures in its
// own terms (connectors/codesync's retries) handles every platform
// through it.
type Answered interface {
	error
	// Answer is the answer: method, path, status, body, Retry-After.
	Answer() *StatusError
	// Reason is the platform's error message with what it names (field,
	// code), or the body when the body is no error object.
	Reason() string
}

var _ Answered = (*StatusError)(nil)

// TransportError is a request that got no whole answer (refused, reset,
// timed out, cancelled).
type TransportError struct {
	Platform, Method, Path string
	Err                    error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s %s: %v", e.Platform, e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// HTTP sends requests to one platform's API: the mechanics every platform
// API client shares.
type HTTP struct {
	// Platform names the platform in errors: "stripe".
	Platform string
	// BaseURL has no trailing slash.
	BaseURL string
	Client  *http.Client
	// Header is set on every request (authentication, API version,
	// User-Agent).
	Header http.Header
	// ReadError, when set, turns an answer outside 2xx into the
	// platform's error type (which should implement Answered); default
	// the *StatusError itself.
	ReadError func(*StatusError) error
}

// Do sends r and decodes a 2xx body into out (when not nil). It returns the
// answer's headers, a *StatusError (or what ReadError makes of it) for a
// status outside 2xx, a *TransportError when there was no whole answer.
func (h HTTP) Do(ctx context.Context, r Request, out any) (http.Header, error) {
	u := h.BaseURL + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var body io.Reader
	ctype := ""
	switch {
	case r.Form != nil:
		body, ctype = strings.NewReader(r.Form.Encode()), "application/x-www-form-urlencoded"
	case r.JSON != nil:
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return nil, fmt.Errorf("encoding %s %s: %w", r.Method, r.Path, err)
		}
		body, ctype = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", r.Method, r.Path, err)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range h.Header {
		req.Header[k] = v
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return nil, &TransportError{Platform: h.Platform, Method: r.Method, Path: r.Path, Err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, &TransportError{Platform: h.Platform, Method: r.Method, Path: r.Path, Err: fmt.Errorf("reading answer: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		se := &StatusError{Platform: h.Platform, Method: r.Method, Path: r.Path, Status: resp.StatusCode,
			Body: strings.TrimSpace(string(b)), RetryAfter: resp.Header.Get("Retry-After")}
		if h.ReadError != nil {
			return resp.Header, h.ReadError(se)
		}
		return resp.Header, se
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("decoding %s answer to %s %s: %w", h.Platform, r.Method, r.Path, err)
		}
	}
	return resp.Header, nil
}
