package state

import (
	"math/bits"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

// keyFilter is an in-memory blocked Bloom filter of every key the store
// holds or has held since it was opened: a key it does not contain was
// never written, so a read of it needs no Pebble lookup. Most of a
// stream stage's reads are of keys that do not exist yet (a new order's
// ledger, a new customer), and Pebble answers those only after probing
// every level's tables (index and filter blocks, from the block cache or
// the disk).
//
// Deleted keys stay in the filter (a later read of them costs a lookup);
// the false positive rate grows as more keys are written than the filter
// was sized for, never the false negative rate, which is zero. Bits are
// set and read with atomic operations, so reads and writes need no lock.
type keyFilter struct {
	words []uint64 // blocks of blockWords words
	mask  uint64   // number of blocks - 1 (a power of two)
}

const (
	blockWords  = 8 // one 64-byte cache line per key
	filterProbe = 6 // bits set per key, all in the key's block
)

// newKeyFilter returns a filter of about size bytes (rounded down to a
// power of two of blocks, at least one block).
func newKeyFilter(size int64) *keyFilter {
	blocks := uint64(1)
	for blocks*2*blockWords*8 <= uint64(size) {
		blocks *= 2
	}
	return &keyFilter{words: make([]uint64, blocks*blockWords), mask: blocks - 1}
}

func (f *keyFilter) positions(key []byte) (block uint64, h uint64) {
	h = xxhash.Sum64(key)
	return ((h >> 32) & f.mask) * blockWords, h
}

// add records key.
func (f *keyFilter) add(key []byte) {
	if f == nil {
		return
	}
	base, h := f.positions(key)
	for i := uint64(0); i < filterProbe; i++ {
		bit := (h + i*bits.RotateLeft64(h, 21)) & 511
		atomic.OrUint64(&f.words[base+bit/64], 1<<(bit%64))
	}
}

// mayContain reports whether key may have been added; false is certain.
func (f *keyFilter) mayContain(key []byte) bool {
	if f == nil {
		return true
	}
	base, h := f.positions(key)
	for i := uint64(0); i < filterProbe; i++ {
		bit := (h + i*bits.RotateLeft64(h, 21)) & 511
		if atomic.LoadUint64(&f.words[base+bit/64])&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}
