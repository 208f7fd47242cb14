package ttlcache

import (
	"container/list"
	"sync"
	"time"
)

// Cache is a size-bounded LRU whose entries expire after a TTL.
type Cache struct {
	size int
	ttl  time.Duration
	mu   struct {
		sync.Mutex
		ll *list.List
		m  map[string]*list.Element
	}
}

type cacheEntry struct {
	key     string
	val     string
	expires time.Time
}

// New returns a cache of at most size entries living ttl.
func New(size int, ttl time.Duration) *Cache {
	c := &Cache{size: size, ttl: ttl}
	c.mu.ll = list.New()
	c.mu.m = make(map[string]*list.Element)
	return c
}

// Get returns the live value of key.
func (c *Cache) Get(key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.mu.m[key]
	if !ok {
		return "", false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.mu.ll.Remove(el)
		delete(c.mu.m, key)
		return "", false
	}
	c.mu.ll.MoveToFront(el)
	return e.val, true
}

// Put stores key, evicting the least recently used entry past the size.
func (c *Cache) Put(key, val string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.mu.m[key]; ok {
		e := el.Value.(*cacheEntry)
		e.val, e.expires = val, now.Add(c.ttl)
		c.mu.ll.MoveToFront(el)
		return
	}
	c.mu.m[key] = c.mu.ll.PushFront(&cacheEntry{key: key, val: val, expires: now.Add(c.ttl)})
	for c.mu.ll.Len() > c.size {
		last := c.mu.ll.Back()
		c.mu.ll.Remove(last)
		delete(c.mu.m, last.Value.(*cacheEntry).key)
	}
}

// Len is the number of entries held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.mu.ll.Len()
}
