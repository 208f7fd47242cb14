package stream

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/heldsway/heldsway/state"
)

// ErrAbort, wrapped in an error returned by Process, aborts the whole
// transaction (the batch is consumed again after a backoff) instead of
// dead-lettering the record. Use it for transient failures of something
// the record needs, never for a bad record: a record that always fails
// with ErrAbort stops its partition.
var ErrAbort = errors.New("stream: abort transaction")

// Tx is the view Process gets of the open transaction, scoped to the state
// partition of the record being processed. A Tx is valid only during the
// Process call it was passed to.
//
// A record's writes are held in the Tx, where its own Get and Scan see
// them, and applied to the transaction's state batch only when Process
// returns nil; its outputs are held back the same way. A record that
// fails therefore leaves no trace.
type Tx struct {
	p     int32
	batch *state.Batch
	// cache holds committed values; dirty holds the latest value (nil:
	// deleted) of every key (cacheKey form) earlier records of the
	// transaction wrote to the batch, so reads never go through the
	// indexed batch.
	cache *valueCache
	dirty map[string][]byte

	changes []change
	outputs []*kgo.Record
	err     error // first state error: the transaction must abort
}

type change struct {
	key []byte
	val []byte // nil: delete
}

func (tx *Tx) reset(p int32, batch *state.Batch) {
	tx.p, tx.batch = p, batch
	tx.changes, tx.outputs, tx.err = tx.changes[:0], tx.outputs[:0], nil
}

// Partition is the state partition (and input partition) of the record.
func (tx *Tx) Partition() int32 { return tx.p }

// Get returns a copy of key's value as the transaction sees it.
func (tx *Tx) Get(key []byte) ([]byte, bool, error) {
	if tx.err != nil {
		return nil, false, tx.err
	}
	for i := len(tx.changes) - 1; i >= 0; i-- {
		if ch := tx.changes[i]; bytes.Equal(ch.key, key) {
			if ch.val == nil {
				return nil, false, nil
			}
			return append([]byte{}, ch.val...), true, nil
		}
	}
	var ck string
	committed := false
	if tx.dirty != nil {
		ck = cacheKey(tx.p, key)
		if v, written := tx.dirty[ck]; written {
			if v == nil {
				return nil, false, nil
			}
			return append([]byte{}, v...), true, nil
		}
		if v, found, ok := tx.cache.get(ck); ok {
			return v, found, nil
		}
		committed = tx.cache != nil
	}
	v, ok, err := tx.batch.Get(tx.p, key)
	if err != nil {
		tx.fail(err)
		return nil, false, tx.err
	}
	if committed {
		tx.cache.put(ck, v, ok)
	}
	return v, ok, nil
}

// Set sets key to val in the record's state partition and appends the
// write to the changelog. Both slices are copied.
func (tx *Tx) Set(key, val []byte) {
	if val == nil {
		val = []byte{} // nil is the changelog's tombstone
	}
	tx.write(key, append([]byte{}, val...))
}

// Delete deletes key and appends a tombstone to the changelog.
func (tx *Tx) Delete(key []byte) { tx.write(key, nil) }

func (tx *Tx) write(key, val []byte) {
	if tx.err != nil {
		return
	}
	tx.changes = append(tx.changes, change{key: append([]byte(nil), key...), val: val})
}

// apply writes the record's changes to the batch; the stage calls it when
// Process succeeded. It returns the changes, last write of each key last.
func (tx *Tx) apply() ([]change, error) {
	for _, ch := range tx.changes {
		var err error
		if ch.val == nil {
			err = tx.batch.Delete(tx.p, ch.key)
		} else {
			err = tx.batch.Set(tx.p, ch.key, ch.val)
		}
		if err != nil {
			tx.fail(err)
			return nil, tx.err
		}
		if tx.dirty != nil {
			tx.dirty[cacheKey(tx.p, ch.key)] = ch.val
		}
	}
	return tx.changes, nil
}

// Scan calls fn for every key with the given prefix in the record's state
// partition, in key order, as the transaction sees it (the record's own
// writes included). The slices are valid only during the call, and fn
// must not write through tx.
func (tx *Tx) Scan(prefix []byte, fn func(key, val []byte) error) error {
	if tx.err != nil {
		return tx.err
	}
	// The transaction's writes with the prefix (earlier records', then the
	// record's own), latest per key, sorted: the batch does not index them.
	latest := make(map[string][]byte)
	if tx.dirty != nil {
		ckPrefix := cacheKey(tx.p, prefix)
		for ck, v := range tx.dirty {
			if strings.HasPrefix(ck, ckPrefix) {
				latest[ck[4:]] = v
			}
		}
	}
	for _, ch := range tx.changes {
		if bytes.HasPrefix(ch.key, prefix) {
			latest[string(ch.key)] = ch.val
		}
	}
	pending := make([]string, 0, len(latest))
	for k := range latest {
		pending = append(pending, k)
	}
	slices.Sort(pending)
	emitPending := func(upTo []byte) error { // pending keys before upTo (all if nil)
		for len(pending) > 0 && (upTo == nil || pending[0] < string(upTo)) {
			k := pending[0]
			pending = pending[1:]
			if v := latest[k]; v != nil {
				if err := fn([]byte(k), v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var fnErr error
	err := tx.batch.Scan(tx.p, prefix, func(k, v []byte) error {
		if fnErr = emitPending(k); fnErr != nil {
			return fnErr
		}
		if _, overridden := latest[string(k)]; overridden {
			if len(pending) > 0 && pending[0] == string(k) {
				pending = pending[1:]
				if nv := latest[string(k)]; nv != nil {
					fnErr = fn(k, nv)
				}
			}
			return fnErr
		}
		fnErr = fn(k, v)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		tx.fail(err)
		return tx.err
	}
	return emitPending(nil)
}

// Produce produces an output record in the transaction, partitioned by key
// with kgo's default (Kafka-compatible) partitioner. It takes ownership of
// key and value.
func (tx *Tx) Produce(topic string, key, value []byte) {
	tx.outputs = append(tx.outputs, &kgo.Record{Topic: topic, Key: key, Value: value})
}

// ProduceRecord produces r in the transaction; set r.Headers as needed.
// It takes ownership of r.
func (tx *Tx) ProduceRecord(r *kgo.Record) { tx.outputs = append(tx.outputs, r) }

// Err returns the state error that will abort the transaction, if any.
func (tx *Tx) Err() error { return tx.err }

func (tx *Tx) fail(err error) {
	if tx.err == nil {
		tx.err = fmt.Errorf("stream: state: %w", err)
	}
}
