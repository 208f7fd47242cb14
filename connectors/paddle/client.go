package paddle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/apiclient"
	"github.com/heldsway/heldsway/connectors/paddle/paddleapi"
)

// Base URLs of the Paddle Billing API.
const (
	DefaultBaseURL = paddleapi.DefaultBaseURL
	SandboxBaseURL = paddleapi.SandboxBaseURL
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// BaseURL of the API. Default DefaultBaseURL.
	BaseURL string
	// APIKeys maps a store id to its API key (discount read permission).
	// Required.
	APIKeys map[string]string
	// HTTPClient sends the requests. Default: a client with a 5s timeout.
	HTTPClient *http.Client
	// CacheSize bounds the discounts kept in memory. Default 10000.
	CacheSize int
	// CacheTTL is how long a resolved code is kept; a discount's code can
	// be edited in Paddle, so keep it short. Default 1h.
	CacheTTL time.Duration
	// Now is the clock for cache expiry. Default time.Now.
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c ClientConfig) Validate() error { return c.api().Validate() }

// api is c in the terms apiclient validates and opens.
func (c ClientConfig) api() apiclient.Config {
	return apiclient.Config{
		Platform:   "paddle",
		KeyName:    "API key",
		BaseURL:    c.BaseURL,
		Keys:       c.APIKeys,
		HTTPClient: c.HTTPClient,
		CacheSize:  c.CacheSize,
		CacheTTL:   c.CacheTTL,
		Now:        c.Now,
	}
}

// Client reads discounts from the Paddle API. It implements Discounts.
type Client struct {
	api apiclient.Conn
	// stores holds each store's API client, by store id.
	stores map[string]*paddleapi.Client
}

var _ Discounts = (*Client)(nil)

// NewClient returns a Client for cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	api, err := apiclient.Open(cfg.api(), DefaultBaseURL, time.Hour)
	if err != nil {
		return nil, err
	}
	c := &Client{api: api, stores: make(map[string]*paddleapi.Client, len(api.Keys))}
	for store, key := range api.Keys {
		if c.stores[store], err = paddleapi.New(paddleapi.Config{BaseURL: api.BaseURL, Key: key, HTTPClient: api.HTTP}); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// RateLimitError is a 429 answer; it wraps ErrTemporary.
type RateLimitError struct {
	// RetryAfter is Paddle's Retry-After, 0 when absent.
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("%v: paddle rate limit, retry after %s", ErrTemporary, e.RetryAfter)
}

// Unwrap makes errors.Is(err, ErrTemporary) hold.
func (e *RateLimitError) Unwrap() error { return ErrTemporary }

// RetryDelay tells the webhook handler what Retry-After to answer.
func (e *RateLimitError) RetryDelay() time.Duration { return e.RetryAfter }

// validID reports whether id looks like a Paddle id with prefix, so nothing
// else is put in a request path.
func validID(id, prefix string) bool {
	if !strings.HasPrefix(id, prefix) || len(id) <= len(prefix) || len(id) > 64 {
		return false
	}
	for i := len(prefix); i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Code implements Discounts with GET /discounts/{id}.
func (c *Client) Code(ctx context.Context, storeID, discountID string) (string, error) {
	if !validID(discountID, "dsc_") {
		return "", fmt.Errorf("%w: %q is not a discount id", ErrNotFound, discountID)
	}
	ck := storeID + "\x00" + discountID
	if code, ok := c.api.Cache.Get(ck, c.api.Now()); ok {
		return code, nil
	}
	api, ok := c.stores[storeID]
	if !ok {
		return "", fmt.Errorf("%w: no API key for store %q", ErrTemporary, storeID)
	}
	var d struct {
		Data struct {
			ID   string  `json:"id"`
			Code *string `json:"code"`
		} `json:"data"`
	}
	_, err := api.Do(ctx, paddleapi.Request{Method: http.MethodGet, Path: "/discounts/" + discountID}, &d)
	var ae *paddleapi.Error
	switch {
	case err == nil:
	case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(ae.RetryAfter)
		return "", fmt.Errorf("getting discount %s: %w", discountID, &RateLimitError{RetryAfter: time.Duration(max(secs, 0)) * time.Second})
	case errors.As(err, &ae):
		msg := ae.Detail
		if msg == "" {
			msg = http.StatusText(ae.Status)
		}
		kind := ErrTemporary
		if ae.Status == http.StatusNotFound {
			kind = ErrNotFound
		}
		return "", fmt.Errorf("%w: getting discount %s: paddle answered %d: %s", kind, discountID, ae.Status, msg)
	default:
		return "", fmt.Errorf("%w: getting discount %s: %w", ErrTemporary, discountID, err)
	}
	if d.Data.ID == "" {
		return "", fmt.Errorf("%w: decoding discount %s: no data.id", ErrTemporary, discountID)
	}
	code := ""
	if d.Data.Code != nil {
		code = *d.Data.Code
	}
	c.api.Cache.Put(ck, code, c.api.Now())
	return code, nil
}
