package stream

import (
	"container/list"
	"encoding/binary"
	"sync"
)

// valueCache keeps recently read or written committed state values in
// memory, least recently used first out, so a hot key costs a map lookup
// instead of a Pebble read through the memtables and levels. Absent keys
// are cached too: most reads are of customers, orders and codes not seen
// before.
//
// It holds only committed values: Tx reads a key written in the open
// transaction from the batch, and the stage updates the cache with the
// transaction's writes only after the Pebble commit succeeded. Anything
// that changes the store behind its back (a restore, a reopened store, a
// failed commit) clears it.
type valueCache struct {
	mu   sync.Mutex
	max  int
	size int
	m    map[string]*list.Element
	ll   list.List
}

type cacheEntry struct {
	key   string
	val   []byte
	found bool
}

// entryOverhead approximates an entry's memory besides key and value.
const entryOverhead = 96

func newValueCache(maxBytes int) *valueCache {
	return &valueCache{max: maxBytes, m: make(map[string]*list.Element)}
}

func cacheKey(p int32, key []byte) string {
	b := make([]byte, 4+len(key))
	binary.BigEndian.PutUint32(b, uint32(p))
	copy(b[4:], key)
	return string(b)
}

// get returns the cached value (a copy) and whether the key exists; ok is
// false on a miss.
func (c *valueCache) get(k string) (val []byte, found, ok bool) {
	if c == nil {
		return nil, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, hit := c.m[k]
	if !hit {
		return nil, false, false
	}
	c.ll.MoveToFront(e)
	ent := e.Value.(*cacheEntry)
	if !ent.found {
		return nil, false, true
	}
	return append(make([]byte, 0, len(ent.val)), ent.val...), true, true
}

// put caches a committed value (found false: the key does not exist). It
// copies val.
func (c *valueCache) put(k string, val []byte, found bool) {
	if c == nil {
		return
	}
	n := len(k) + len(val) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, hit := c.m[k]; hit {
		c.remove(e)
	}
	if n > c.max/8 {
		return // one huge value must not flush the cache
	}
	ent := &cacheEntry{key: k, found: found}
	if found {
		ent.val = append(make([]byte, 0, len(val)), val...)
	}
	c.m[k] = c.ll.PushFront(ent)
	c.size += n
	for c.size > c.max {
		c.remove(c.ll.Back())
	}
}

func (c *valueCache) delete(k string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, hit := c.m[k]; hit {
		c.remove(e)
	}
}

func (c *valueCache) remove(e *list.Element) {
	ent := e.Value.(*cacheEntry)
	c.ll.Remove(e)
	delete(c.m, ent.key)
	c.size -= len(ent.key) + len(ent.val) + entryOverhead
}

func (c *valueCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
	c.ll.Init()
	c.size = 0
}

func (c *valueCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
