package paddle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/heldsway/heldsway/connectors/ttlcache"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Base URLs of the Paddle Billing API.
const (
	DefaultBaseURL = "https://api.paddle.com"
	SandboxBaseURL = "https://sandbox-api.paddle.com"
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
func (c ClientConfig) Validate() error {
	if len(c.APIKeys) == 0 {
		return errors.New("paddle: client needs at least one store API key")
	}
	for store, key := range c.APIKeys {
		if store == "" || key == "" {
			return fmt.Errorf("paddle: empty store id or API key for store %q", store)
		}
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("paddle: invalid base URL %q", c.BaseURL)
		}
	}
	if c.CacheSize < 0 || c.CacheTTL < 0 {
		return errors.New("paddle: negative cache size or TTL")
	}
	return nil
}

// Client reads discounts from the Paddle API. It implements Discounts.
type Client struct {
	base  string
	keys  map[string]string
	http  *http.Client
	cache *ttlcache.Cache
	now   func() time.Time
}

var _ Discounts = (*Client)(nil)

// NewClient returns a Client for cfg.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 10000
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	keys := make(map[string]string, len(cfg.APIKeys))
	for k, v := range cfg.APIKeys {
		keys[k] = v
	}
	return &Client{base: strings.TrimRight(cfg.BaseURL, "/"), keys: keys, http: cfg.HTTPClient, cache: ttlcache.New(cfg.CacheSize, cfg.CacheTTL), now: cfg.Now}, nil
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
	if code, ok := c.cache.Get(ck, c.now()); ok {
		return code, nil
	}
	key, ok := c.keys[storeID]
	if !ok {
		return "", fmt.Errorf("%w: no API key for store %q", ErrTemporary, storeID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/discounts/"+discountID, nil)
	if err != nil {
		return "", fmt.Errorf("%w: building request: %w", ErrTemporary, err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("%w: getting discount %s: %w", ErrTemporary, discountID, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("%w: reading discount %s: %w", ErrTemporary, discountID, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return "", fmt.Errorf("getting discount %s: %w", discountID, &RateLimitError{RetryAfter: time.Duration(max(secs, 0)) * time.Second})
	default:
		var e struct {
			Error struct {
				Type   string `json:"type"`
				Code   string `json:"code"`
				Detail string `json:"detail"`
			} `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		msg := e.Error.Detail
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
		kind := ErrTemporary
		if resp.StatusCode == http.StatusNotFound {
			kind = ErrNotFound
		}
		return "", fmt.Errorf("%w: getting discount %s: paddle answered %d: %s", kind, discountID, resp.StatusCode, msg)
	}
	var d struct {
		Data struct {
			ID   string  `json:"id"`
			Code *string `json:"code"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &d); err != nil || d.Data.ID == "" {
		return "", fmt.Errorf("%w: decoding discount %s: %v", ErrTemporary, discountID, err)
	}
	code := ""
	if d.Data.Code != nil {
		code = *d.Data.Code
	}
	c.cache.Put(ck, code, c.now())
	return code, nil
}
