package stream

import (
	"encoding/binary"
	"sync"
	"unsafe"

	"github.com/VictoriaMetrics/fastcache"
)

// valueCache keeps recently read or written committed state values in
// memory, so a hot key costs a hash lookup instead of a Pebble read through
// the memtables and levels. Absent keys are cached too: most reads are of
// customers, orders and codes not seen before.
//
// The entries live in fastcache's chunks, allocated outside the Go heap:
// a cache of hundreds of megabytes adds no pointers for the garbage
// collector to scan and no per-entry allocations. Eviction is per bucket,
// oldest written first (fastcache's ring buffers), which approximates
// least recently used for a workload that writes back what it reads.
//
// It holds only committed values: Tx reads a key written in the open
// transaction from the batch, and the stage updates the cache with the
// transaction's writes only after the Pebble commit succeeded. Anything
// that changes the store behind its back (a restore, a reopened store, a
// failed commit) clears it.
type valueCache struct {
	c   *fastcache.Cache
	max int
}

// Entry layout in fastcache: one marker byte, then the value.
const (
	cacheAbsent  = 0
	cachePresent = 1
)

// maxCachedValue bounds one cached entry: fastcache keeps entries up to
// 64 KiB in its buckets, and one large value must not flush many small
// ones.
const maxCachedValue = 64<<10 - 64

func newValueCache(maxBytes int) *valueCache {
	return &valueCache{c: fastcache.New(maxBytes), max: maxBytes}
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
	v, hit := c.c.HasGet(nil, unsafe.Slice(unsafe.StringData(k), len(k)))
	if !hit || len(v) == 0 {
		return nil, false, false
	}
	if v[0] == cacheAbsent {
		return nil, false, true
	}
	return v[1:], true, true
}

// put caches a committed value (found false: the key does not exist). It
// copies val.
func (c *valueCache) put(k string, val []byte, found bool) {
	if c == nil {
		return
	}
	kb := unsafe.Slice(unsafe.StringData(k), len(k))
	if len(k)+len(val)+1 > maxCachedValue || len(k)+len(val) > c.max/8 {
		c.c.Del(kb) // too large to keep: never serve an older value
		return
	}
	buf := entryPool.Get().(*[]byte)
	b := append((*buf)[:0], cacheAbsent)
	if found {
		b[0] = cachePresent
		b = append(b, val...)
	}
	c.c.Set(kb, b)
	*buf = b
	entryPool.Put(buf)
}

var entryPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func (c *valueCache) delete(k string) {
	if c == nil {
		return
	}
	c.c.Del(unsafe.Slice(unsafe.StringData(k), len(k)))
}

func (c *valueCache) clear() {
	if c == nil {
		return
	}
	c.c.Reset()
}

func (c *valueCache) len() int {
	var st fastcache.Stats
	c.c.UpdateStats(&st)
	return int(st.EntriesCount)
}
