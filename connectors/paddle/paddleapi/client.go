package paddleapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/heldsway/heldsway/connectors/apiclient"
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
	DefaultTimeout = apiclient.DefaultTimeout
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
	// HTTPClient sends the requests. Default: a client with a Timeout
	// timeout.
	HTTPClient *http.Client
	// Timeout bounds one request, answer read included, when HTTPClient
	// is nil. Default DefaultTimeout; the code sync's remotes set their
	// own (connectors/codesync.DefaultRemoteTimeout).
	Timeout time.Duration
}

// account is c as the settings apiclient opens.
func (c Config) account() apiclient.Account {
	return apiclient.Account{Platform: "paddle", ErrConfig: ErrConfig, BaseURL: c.BaseURL, DefaultBaseURL: DefaultBaseURL,
		Key: c.Key, UserAgent: c.UserAgent, HTTPClient: c.HTTPClient, Timeout: c.Timeout,
		ReadError: func(se *apiclient.StatusError) error { return readError(se) }}
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error { return c.account().Validate() }

// Client sends requests to the Paddle API for one account; an answer
// outside 2xx is an *Error. It is safe for concurrent use.
type Client = apiclient.Client

// New returns a Client for cfg, defaults applied.
func New(cfg Config) (*Client, error) { return cfg.account().NewClient() }

// Request is one API call: apiclient's.
type Request = apiclient.Request

// Error is an answer outside 2xx.
type Error struct {
	// StatusError is the answer: method, path, status, the body trimmed,
	// Retry-After.
	*apiclient.StatusError
	// Type, Code and Detail are Paddle's error object's fields, empty
	// when the body is not one.
	Type, Code, Detail string
}

func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("paddle answered %d to %s %s: %s", e.Status, e.Method, e.Path, msg)
}

// Reason implements apiclient.Answered: Paddle's detail with each field
// error and the code, or the body when the body is no error object
// ({"error": {"code", "detail", "errors": [{"field", "message"}]}}).
func (e *Error) Reason() string {
	var eb struct {
		Error struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
			Errors []struct {
				Field   string `json:"field"`
				Message string `json:"message"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(e.Body), &eb) != nil || eb.Error.Detail == "" && eb.Error.Code == "" {
		return e.Body
	}
	m := eb.Error.Detail
	for _, f := range eb.Error.Errors {
		m += "; " + f.Field + ": " + f.Message
	}
	if eb.Error.Code != "" {
		m += " [" + eb.Error.Code + "]"
	}
	return m
}

var _ apiclient.Answered = (*Error)(nil)

// TransportError is a request that got no answer (refused, reset, timed
// out, cancelled): apiclient's.
type TransportError = apiclient.TransportError

// readError reads the platform's error object from an answer outside 2xx.
func readError(se *apiclient.StatusError) *Error {
	e := &Error{StatusError: se}
	var eb struct {
		Error struct {
			Type, Code, Detail string
		} `json:"error"`
	}
	if json.Unmarshal([]byte(se.Body), &eb) == nil {
		e.Type, e.Code, e.Detail = eb.Error.Type, eb.Error.Code, eb.Error.Detail
	}
	return e
}
