package apiclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Default settings, applied by Open to zero fields.
const (
	DefaultTimeout   = 5 * time.Second
	DefaultCacheSize = 10000
)

// Config is an API client's settings.
type Config struct {
	// Platform prefixes error messages: "stripe".
	Platform string
	// KeyName names a key in error messages: "secret key", "API key".
	KeyName string
	// BaseURL of the API, http or https. Default: Open's defaultBaseURL.
	BaseURL string
	// Keys maps a store id to its API key. Required.
	Keys map[string]string
	// HTTPClient sends the requests. Default: a client with a
	// DefaultTimeout timeout.
	HTTPClient *http.Client
	// CacheSize bounds the answers kept in memory. Default
	// DefaultCacheSize.
	CacheSize int
	// CacheTTL is how long an answer is kept. Default: Open's defaultTTL.
	CacheTTL time.Duration
	// Now is the clock for cache expiry. Default time.Now.
	Now func() time.Time
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if len(c.Keys) == 0 {
		return fmt.Errorf("%s: client needs at least one store %s", c.Platform, c.KeyName)
	}
	for store, key := range c.Keys {
		if store == "" || key == "" {
			return fmt.Errorf("%s: empty store id or %s for store %q", c.Platform, c.KeyName, store)
		}
	}
	if c.BaseURL != "" && !validBaseURL(c.BaseURL) {
		return fmt.Errorf("%s: invalid base URL %q", c.Platform, c.BaseURL)
	}
	if c.CacheSize < 0 || c.CacheTTL < 0 {
		return errors.New(c.Platform + ": negative cache size or TTL")
	}
	return nil
}

// Conn is a validated Config with its defaults applied.
type Conn struct {
	// BaseURL has no trailing slash; append paths starting with "/".
	BaseURL string
	// Keys maps a store id to its API key; a copy of Config.Keys.
	Keys  map[string]string
	HTTP  *http.Client
	Cache *Cache
	Now   func() time.Time
}

// Open validates c and applies its defaults, with defaultBaseURL and
// defaultTTL for the platform's own.
func Open(c Config, defaultBaseURL string, defaultTTL time.Duration) (Conn, error) {
	if err := c.Validate(); err != nil {
		return Conn{}, err
	}
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.CacheTTL == 0 {
		c.CacheTTL = defaultTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	keys := make(map[string]string, len(c.Keys))
	for k, v := range c.Keys {
		keys[k] = v
	}
	return Conn{
		BaseURL: strings.TrimRight(c.BaseURL, "/"),
		Keys:    keys,
		HTTP:    c.HTTPClient,
		Cache:   NewCache(c.CacheSize, c.CacheTTL),
		Now:     c.Now,
	}, nil
}
