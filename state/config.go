package state

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"
)

// Config tunes a Store. The zero value is usable.
type Config struct {
	// NoSync commits batches without waiting for the write-ahead log to
	// reach the disk. Faster, but a machine crash may lose the newest
	// commits (a stage then restores them from its changelog). Default
	// false: every Commit is synced.
	NoSync bool
	// CacheSize is the block cache size in bytes. Default 64 MiB.
	CacheSize int64
	// MemTableSize is the size of one memtable in bytes. Default 32 MiB.
	MemTableSize uint64
	// FilterBytes sizes the in-memory filter of the keys written, which
	// answers most reads of keys that do not exist without a Pebble
	// lookup (about 10 bits per key keep false positives near 1%).
	// Default 4 MiB; negative disables it.
	FilterBytes int64
	// FS is the filesystem Pebble writes to. Default vfs.Default (the
	// operating system); tests pass vfs.NewMem() or an errorfs wrapper.
	FS vfs.FS
	// Logger receives the store's logs and Pebble's. Default
	// zap.NewNop().
	Logger *zap.Logger
}

const (
	defaultCacheSize    = 64 << 20
	defaultMemTableSize = 32 << 20
	defaultFilterBytes  = 4 << 20
)

// EnsureDefaults sets c's zero fields to their defaults (a nil Logger
// becomes zap.NewNop()).
func (c *Config) EnsureDefaults() {
	if c.CacheSize == 0 {
		c.CacheSize = defaultCacheSize
	}
	if c.MemTableSize == 0 {
		c.MemTableSize = defaultMemTableSize
	}
	if c.FilterBytes == 0 {
		c.FilterBytes = defaultFilterBytes
	}
	if c.FS == nil {
		c.FS = vfs.Default
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c, with defaults applied, is usable. It does
// not change c.
func (c Config) Validate() error {
	c.EnsureDefaults()
	if c.CacheSize < 0 {
		return fmt.Errorf("state: cache size %d: must not be negative", c.CacheSize)
	}
	if c.MemTableSize < 1<<20 {
		return fmt.Errorf("state: memtable size %d: must be at least 1 MiB", c.MemTableSize)
	}
	return nil
}
