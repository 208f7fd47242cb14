package state

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"
)

var (
	// ErrFailed is wrapped by every error a Store returns after Pebble
	// reported a fatal error (a failed write-ahead-log write, a failed
	// manifest sync). Close the Store and Open the directory again.
	ErrFailed = errors.New("state: store failed")
	// ErrClosed is returned by calls on a closed Store.
	ErrClosed = errors.New("state: store closed")
	// ErrBadPartition is returned for a negative partition.
	ErrBadPartition = errors.New("state: bad partition")
)

// IsFailed reports whether err means the Store must be reopened.
func IsFailed(err error) bool { return errors.Is(err, ErrFailed) }

// closeTimeout bounds how long Close waits for a failed database to shut
// down: after a fatal error Pebble's goroutines may never finish.
const closeTimeout = 5 * time.Second

// Store is a partitioned Pebble database. It is safe for concurrent use;
// a Batch is not.
type Store struct {
	db   *pebble.DB
	cfg  Config
	log  *zap.Logger
	sync *pebble.WriteOptions

	// failure holds the first fatal error Pebble reported; nil while healthy.
	failure atomic.Pointer[error]
	closed  atomic.Bool
	// filter holds every key written since the store was opened and
	// every key it held then; nil when disabled.
	filter *keyFilter
	// batchSize is the size the last batch reached: the next one starts
	// with that much room, so a transaction's writes are not copied again
	// and again as the batch grows.
	batchSize atomic.Int64
}

// Open opens (creating if needed) the store in dir. It logs to
// cfg.Logger.
func Open(dir string, cfg Config) (*Store, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	s := &Store{cfg: cfg, log: log, sync: pebble.Sync}
	if cfg.NoSync {
		s.sync = pebble.NoSync
	}
	fsys := cfg.FS
	if fsys == vfs.Default {
		// On disk, the state is private (0700 directories, 0600 files).
		if err := MakePrivate(dir); err != nil {
			return nil, fmt.Errorf("state: making %s private: %w", dir, err)
		}
		fsys = privateFS{vfs.Default}
	}
	cache := pebble.NewCache(cfg.CacheSize)
	defer cache.Unref()
	opts := &pebble.Options{
		FS:           fsys,
		Cache:        cache,
		MemTableSize: cfg.MemTableSize,
		Logger:       pebbleLogger{s: s},
	}
	// Most reads are point reads of keys that do not exist yet (a new
	// customer, order or code): Bloom filters answer those without reading
	// the tables. Levels below inherit the first level's policy.
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	db, err := s.openDB(dir, opts)
	if err != nil {
		return nil, err
	}
	s.db = db
	if cfg.FilterBytes > 0 {
		s.filter = newKeyFilter(cfg.FilterBytes)
		n, err := s.loadFilter()
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("state: opening %s: %w", dir, err)
		}
		log.Debug("key filter loaded", zap.Int("keys", n), zap.Int64("bytes", cfg.FilterBytes))
	}
	log.Debug("state store opened", zap.String("dir", dir), zap.Bool("sync", !cfg.NoSync))
	return s, nil
}

// loadFilter adds every key the database holds to the filter.
func (s *Store) loadFilter() (int, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return 0, fmt.Errorf("loading the key filter: %w", err)
	}
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		s.filter.add(it.Key())
		n++
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("loading the key filter: %w", err)
	}
	return n, nil
}

// openDB runs pebble.Open where a Fatalf from Pebble's logger ends the
// goroutine instead of the process.
func (s *Store) openDB(dir string, opts *pebble.Options) (*pebble.DB, error) {
	type result struct {
		db  *pebble.DB
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok := false
		defer func() {
			if !ok {
				done <- result{err: s.err()}
			}
		}()
		db, err := pebble.Open(dir, opts)
		ok = true
		done <- result{db, err}
	}()
	r := <-done
	if r.err != nil {
		return nil, fmt.Errorf("state: opening %s: %w", dir, r.err)
	}
	return r.db, nil
}

// err returns the error every call must return now, or nil.
func (s *Store) err() error {
	if e := s.failure.Load(); e != nil {
		return *e
	}
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// fail records a fatal Pebble error; the first one wins.
func (s *Store) fail(cause error) {
	err := fmt.Errorf("%w: %w", ErrFailed, cause)
	if s.failure.CompareAndSwap(nil, &err) {
		s.log.Error("state store failed; it must be reopened", zap.Error(cause))
	}
}

// Close closes the store. After a fatal error it waits at most a few
// seconds for Pebble and reports whether the database shut down.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	failed := s.failure.Load() != nil
	done := make(chan error, 1)
	go func() {
		ok := false
		defer func() {
			if !ok {
				done <- ErrFailed
			}
		}()
		err := s.db.Close()
		ok = true
		done <- err
	}()
	if !failed {
		if err := <-done; err != nil {
			return fmt.Errorf("state: closing: %w", err)
		}
		return nil
	}
	select {
	case <-done:
		// A failed database's close error restates the failure.
		return nil
	case <-time.After(closeTimeout):
		return fmt.Errorf("state: closing failed store: %w: pebble did not shut down in %s", ErrFailed, closeTimeout)
	}
}

// apply commits a Pebble batch, turning a fatal Pebble error into
// ErrFailed.
func (s *Store) apply(b *pebble.Batch) error {
	if err := s.err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		ok := false
		defer func() {
			if !ok {
				done <- s.err()
			}
		}()
		err := b.Commit(s.sync)
		ok = true
		done <- err
	}()
	if err := <-done; err != nil {
		return err
	}
	// A sync error may be reported to Fatalf after the batch returned.
	return s.err()
}

// NewBatch starts a batch. Call Commit or Discard exactly once.
func (s *Store) NewBatch() *Batch {
	return &Batch{s: s, b: s.db.NewIndexedBatchWithSize(int(min(s.batchSize.Load(), maxBatchHint))), indexed: true}
}

// NewWriteBatch opens a batch whose reads see only the committed database,
// not its own writes: writes skip the batch index, for a caller that
// serves reads of its own writes itself.
func (s *Store) NewWriteBatch() *Batch {
	return &Batch{s: s, b: s.db.NewBatchWithSize(int(min(s.batchSize.Load(), maxBatchHint)))}
}

// Get returns a copy of the committed value of key in partition p.
func (s *Store) Get(p int32, key []byte) ([]byte, bool, error) {
	if err := checkPartition(p); err != nil {
		return nil, false, err
	}
	if err := s.err(); err != nil {
		return nil, false, err
	}
	k := dataKey(nil, p, key)
	if !s.filter.mayContain(k) {
		return nil, false, nil
	}
	return get(s.db, k)
}

// Scan calls fn for every committed key with the given prefix in partition
// p, in key order. The slices passed to fn are valid only during the call.
// A non-nil error from fn stops the scan and is returned.
func (s *Store) Scan(p int32, prefix []byte, fn func(key, val []byte) error) error {
	if err := checkPartition(p); err != nil {
		return err
	}
	if err := s.err(); err != nil {
		return err
	}
	return scan(s.db, p, prefix, fn)
}

// AppliedOffsets returns, for every input topic, the next offset partition
// p's state reflects. found is false if the partition has no metadata: it
// was never committed, or it was dropped.
func (s *Store) AppliedOffsets(p int32) (applied map[string]int64, found bool, err error) {
	if err := checkPartition(p); err != nil {
		return nil, false, err
	}
	if err := s.err(); err != nil {
		return nil, false, err
	}
	v, ok, err := get(s.db, metaKey(p))
	if err != nil || !ok {
		return nil, false, err
	}
	m, err := decodeOffsets(v)
	if err != nil {
		return nil, false, fmt.Errorf("reading applied offsets of partition %d: %w", p, err)
	}
	return m, true, nil
}

// DropPartition deletes partition p's data and applied offsets in one
// synced write.
func (s *Store) DropPartition(p int32) error {
	if err := checkPartition(p); err != nil {
		return err
	}
	b := s.db.NewBatch()
	defer b.Close()
	lo, hi := partitionBounds(p)
	if err := b.DeleteRange(lo, hi, nil); err != nil {
		return fmt.Errorf("state: dropping partition %d: %w", p, err)
	}
	if err := b.Delete(metaKey(p), nil); err != nil {
		return fmt.Errorf("state: dropping partition %d: %w", p, err)
	}
	if err := s.apply(b); err != nil {
		return fmt.Errorf("state: dropping partition %d: %w", p, err)
	}
	return nil
}

// reader is what pebble.DB and pebble.Batch share.
type reader interface {
	Get(key []byte) ([]byte, io.Closer, error)
	NewIter(o *pebble.IterOptions) (*pebble.Iterator, error)
}

func get(r reader, k []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state: getting key: %w", err)
	}
	out := append(make([]byte, 0, len(v)), v...)
	if err := closer.Close(); err != nil {
		return nil, false, fmt.Errorf("state: getting key: %w", err)
	}
	return out, true, nil
}

func scan(r reader, p int32, prefix []byte, fn func(key, val []byte) error) error {
	lo := dataKey(nil, p, prefix)
	hi := prefixUpperBound(lo)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("state: scanning partition %d: %w", p, err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("state: scanning partition %d: %w", p, err)
		}
		if err := fn(it.Key()[4:], v); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("state: scanning partition %d: %w", p, err)
	}
	return nil
}

// pebbleLogger sends Pebble's log lines to zap. Fatalf must not return:
// it records the failure and ends the calling goroutine, which is either
// one of the Store's helper goroutines (apply, openDB) or a Pebble
// background goroutine — never the caller's.
type pebbleLogger struct{ s *Store }

func (l pebbleLogger) Infof(format string, args ...any) {
	l.s.log.Debug(fmt.Sprintf(format, args...), zap.String("component", "pebble"))
}

func (l pebbleLogger) Errorf(format string, args ...any) {
	l.s.log.Warn(fmt.Sprintf(format, args...), zap.String("component", "pebble"))
}

func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.s.fail(fmt.Errorf(format, args...))
	runtime.Goexit()
}
