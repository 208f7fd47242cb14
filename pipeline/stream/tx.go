package stream

import (
	"errors"
	"fmt"

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
// Writes are applied to the transaction's state batch at once, so Get and
// Scan see them, and undone if Process returns an error; changelog records
// and outputs are held back until Process returns nil.
type Tx struct {
	p     int32
	batch *state.Batch

	undo    []undo
	changes []change
	outputs []*kgo.Record
	err     error // first state error: the transaction must abort
}

type undo struct {
	key     []byte
	old     []byte
	existed bool
}

type change struct {
	key []byte
	val []byte // nil: delete
}

func (tx *Tx) reset(p int32, batch *state.Batch) {
	tx.p, tx.batch = p, batch
	tx.undo, tx.changes, tx.outputs, tx.err = tx.undo[:0], tx.changes[:0], tx.outputs[:0], nil
}

// Partition is the state partition (and input partition) of the record.
func (tx *Tx) Partition() int32 { return tx.p }

// Get returns a copy of key's value as the transaction sees it.
func (tx *Tx) Get(key []byte) ([]byte, bool, error) {
	if tx.err != nil {
		return nil, false, tx.err
	}
	v, ok, err := tx.batch.Get(tx.p, key)
	if err != nil {
		tx.fail(err)
		return nil, false, tx.err
	}
	return v, ok, nil
}

// Set sets key to val in the record's state partition and appends the
// write to the changelog. Both slices are copied. A state error is kept
// and aborts the transaction (see Err).
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
	key = append([]byte(nil), key...)
	old, existed, err := tx.batch.Get(tx.p, key)
	if err != nil {
		tx.fail(err)
		return
	}
	tx.undo = append(tx.undo, undo{key: key, old: old, existed: existed})
	if val == nil {
		err = tx.batch.Delete(tx.p, key)
	} else {
		err = tx.batch.Set(tx.p, key, val)
	}
	if err != nil {
		tx.fail(err)
		return
	}
	tx.changes = append(tx.changes, change{key: key, val: val})
}

// Scan calls fn for every key with the given prefix in the record's state
// partition, in key order, as the transaction sees it. The slices are valid
// only during the call, and fn must not write through tx.
func (tx *Tx) Scan(prefix []byte, fn func(key, val []byte) error) error {
	if tx.err != nil {
		return tx.err
	}
	var fnErr error
	err := tx.batch.Scan(tx.p, prefix, func(k, v []byte) error {
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
	return nil
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

// rollback undoes the record's writes in reverse order.
func (tx *Tx) rollback() error {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		u := tx.undo[i]
		var err error
		if u.existed {
			err = tx.batch.Set(tx.p, u.key, u.old)
		} else {
			err = tx.batch.Delete(tx.p, u.key)
		}
		if err != nil {
			return fmt.Errorf("rolling back record: %w", err)
		}
	}
	return nil
}
