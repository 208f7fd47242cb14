package state

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Batch is an open transaction on a Store: a Pebble batch. An indexed
// batch (NewBatch) reads its own writes first, then the database; a write
// batch (NewWriteBatch) is cheaper to write to and reads only the
// database, for a caller that keeps track of its own writes. It is not
// safe for concurrent use. Call Commit or Discard exactly once.
type Batch struct {
	s       *Store
	b       *pebble.Batch
	indexed bool
	key     []byte // scratch for encoded keys
	done    bool
}

// reader is what the batch's reads see.
func (b *Batch) reader() reader {
	if b.indexed {
		return b.b
	}
	return b.s.db
}

// Get returns a copy of the value of key in partition p as this batch sees
// it (an indexed batch's own writes, then the database).
func (b *Batch) Get(p int32, key []byte) ([]byte, bool, error) {
	if err := b.check(p); err != nil {
		return nil, false, err
	}
	b.key = dataKey(b.key[:0], p, key)
	if !b.s.filter.mayContain(b.key) {
		// Never written: not in the database, and not in this batch
		// (its Set adds to the filter first).
		return nil, false, nil
	}
	return get(b.reader(), b.key)
}

// Set sets key in partition p to val. The batch copies both.
func (b *Batch) Set(p int32, key, val []byte) error {
	if err := b.check(p); err != nil {
		return err
	}
	b.key = dataKey(b.key[:0], p, key)
	b.s.filter.add(b.key)
	if err := b.b.Set(b.key, val, nil); err != nil {
		return fmt.Errorf("state: setting key: %w", err)
	}
	return nil
}

// Delete deletes key in partition p.
func (b *Batch) Delete(p int32, key []byte) error {
	if err := b.check(p); err != nil {
		return err
	}
	b.key = dataKey(b.key[:0], p, key)
	if err := b.b.Delete(b.key, nil); err != nil {
		return fmt.Errorf("state: deleting key: %w", err)
	}
	return nil
}

// Scan calls fn for every key with the given prefix in partition p as this
// batch sees it (an indexed batch's writes merged over the database), in
// key order. The
// slices passed to fn are valid only during the call; fn must not write to
// the batch. A non-nil error from fn stops the scan and is returned.
func (b *Batch) Scan(p int32, prefix []byte, fn func(key, val []byte) error) error {
	if err := b.check(p); err != nil {
		return err
	}
	return scan(b.reader(), p, prefix, fn)
}

// Len is the number of mutations in the batch.
func (b *Batch) Len() int { return int(b.b.Count()) }

// Commit writes the batch together with the applied input offsets of the
// partitions in applied (topic -> next offset; merged over the offsets
// already stored for other topics) in one atomic Pebble write. A partition
// present in applied with an empty map is marked as current with no
// offsets. On error nothing is written (see the package doc for a failed
// write-ahead log) and the batch is released.
func (b *Batch) Commit(applied map[int32]map[string]int64) error {
	if b.done {
		return fmt.Errorf("state: committing: batch already committed or discarded")
	}
	defer b.Discard()
	if err := b.s.err(); err != nil {
		return fmt.Errorf("state: committing: %w", err)
	}
	for p, offs := range applied {
		if err := checkPartition(p); err != nil {
			return fmt.Errorf("state: committing: %w", err)
		}
		mk := metaKey(p)
		merged := make(map[string]int64, len(offs))
		if v, ok, err := get(b.reader(), mk); err != nil {
			return fmt.Errorf("state: committing: %w", err)
		} else if ok {
			if merged, err = decodeOffsets(v); err != nil {
				return fmt.Errorf("state: committing partition %d: %w", p, err)
			}
		}
		for t, o := range offs {
			merged[t] = o
		}
		if err := b.b.Set(mk, encodeOffsets(merged), nil); err != nil {
			return fmt.Errorf("state: committing: %w", err)
		}
	}
	if err := b.s.apply(b.b); err != nil {
		return fmt.Errorf("state: committing: %w", err)
	}
	return nil
}

// maxBatchHint caps the room a new batch starts with.
const maxBatchHint = 64 << 20

// Discard releases the batch without writing it. It is safe after Commit.
func (b *Batch) Discard() {
	if b.done {
		return
	}
	b.done = true
	b.s.batchSize.Store(int64(b.b.Len()))
	_ = b.b.Close()
}

func (b *Batch) check(p int32) error {
	if b.done {
		return fmt.Errorf("state: batch already committed or discarded")
	}
	if err := checkPartition(p); err != nil {
		return err
	}
	return b.s.err()
}
