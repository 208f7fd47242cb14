package apiclient

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Cache keeps a platform's answers (an id's code, a payment's invoice)
// for a TTL in a size-bounded LRU (github.com/hashicorp/golang-lru/v2),
// safe for concurrent use. Expiry is decided by the time the caller
// passes (Conn.Now), so tests move a clock instead of sleeping.
type Cache struct {
	ttl time.Duration
	lru *lru.Cache[string, cached]
}

type cached struct {
	val     string
	expires time.Time
}

// NewCache returns a cache of at most size entries (at least 1), each
// living ttl.
func NewCache(size int, ttl time.Duration) *Cache {
	l, err := lru.New[string, cached](max(size, 1))
	if err != nil {
		panic(err) // unreachable: lru.New fails only for a size below 1
	}
	return &Cache{ttl: ttl, lru: l}
}

// Get returns key's value if it was put less than the TTL before now; an
// expired entry is dropped. (A Put racing with that drop may be dropped
// too: the next Get misses and asks the platform again, never a wrong
// answer.)
func (c *Cache) Get(key string, now time.Time) (string, bool) {
	e, ok := c.lru.Get(key)
	if !ok {
		return "", false
	}
	if !now.Before(e.expires) {
		c.lru.Remove(key)
		return "", false
	}
	return e.val, true
}

// Put stores key for the TTL from now, evicting the least recently used
// entry past the size.
func (c *Cache) Put(key, val string, now time.Time) {
	c.lru.Add(key, cached{val: val, expires: now.Add(c.ttl)})
}

// Len is the number of entries held (expired ones not yet dropped
// included).
func (c *Cache) Len() int { return c.lru.Len() }
