package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/heldsway/heldsway/pipeline/kafka"
	"github.com/heldsway/heldsway/schemas"
	"github.com/heldsway/heldsway/schemas/promocode"
)

var (
	// ErrConflict is wrapped by Conflict: the registry holds another
	// version than the one a change was based on.
	ErrConflict = errors.New("registry: version conflict")
	// ErrNotFound is returned for a code the registry does not hold.
	ErrNotFound = errors.New("registry: code not found")
)

// AnyVersion as a Change's Base skips the version check: the change
// applies to whatever the registry holds (last writer wins).
const AnyVersion int64 = -1

// Change is one write to the registry.
type Change struct {
	// Code is the normalised code, the record key.
	Code string
	// Base is the version the change was based on: 0 for a code that must
	// not exist yet, AnyVersion to skip the check.
	Base int64
	// Value is the new definition (Version, EventID and UpdatedAt are set
	// by the Writer); nil deletes the code.
	Value *schemas.Code
}

// Conflict is a change refused because the registry moved on.
type Conflict struct {
	Code string
	Base int64 // the version the change expected
	Have int64 // the version the registry holds; 0 when it holds none
}

func (c Conflict) Error() string {
	switch {
	case c.Have == 0:
		return fmt.Sprintf("%v: %s does not exist (expected version %d)", ErrNotFound, c.Code, c.Base)
	case c.Base == 0:
		return fmt.Sprintf("%v: %s already exists at version %d", ErrConflict, c.Code, c.Have)
	default:
		return fmt.Sprintf("%v: %s is at version %d, the change was based on version %d", ErrConflict, c.Code, c.Have, c.Base)
	}
}

// Unwrap makes errors.Is(c, ErrConflict) (or ErrNotFound) work.
func (c Conflict) Unwrap() error {
	if c.Have == 0 && c.Base != 0 {
		return ErrNotFound
	}
	return ErrConflict
}

// InvalidError lists what is wrong with a code definition.
type InvalidError struct{ Fields []FieldError }

func (e *InvalidError) Error() string {
	s := promocode.ErrInvalid.Error()
	for i, f := range e.Fields {
		if i == 0 {
			s += ": "
		} else {
			s += "; "
		}
		s += f.Error()
	}
	return s
}

// Unwrap makes errors.Is(e, promocode.ErrInvalid) work.
func (e *InvalidError) Unwrap() error { return promocode.ErrInvalid }

// WriterConfig configures a Writer.
type WriterConfig struct {
	// Conn says how to reach Kafka (seed brokers, TLS, SASL). Required.
	Conn kafka.Conn
	// TransactionalID of the producer. Default "heldsway-codes-" and 8
	// random bytes in hex: each writer process its own.
	TransactionalID string
	// Syncer is told about definition changes once they are written.
	// Default none.
	Syncer Syncer
	// WaitTimeout bounds the wait for the registry to read back a write.
	// Default 30s.
	WaitTimeout time.Duration
	// Now is the clock stamping UpdatedAt. Default time.Now.
	Now func() time.Time
	// Logger receives the writer's logs. Default zap.NewNop().
	Logger *zap.Logger
}

// EnsureDefaults sets c's zero fields to their defaults (a random
// TransactionalID when none is set).
func (c *WriterConfig) EnsureDefaults() {
	if c.TransactionalID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.TransactionalID = "heldsway-codes-" + hex.EncodeToString(b[:])
	}
	if c.WaitTimeout <= 0 {
		c.WaitTimeout = 30 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
}

// Validate reports whether c is usable. It does not change c.
func (c WriterConfig) Validate() error {
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("registry: writer: %w", err)
	}
	return nil
}

// Writer produces changes to the registry topic. Each Apply is one Kafka
// transaction: its records become visible (read_committed) all together
// or not at all. Apply returns after the Registry has read the changes
// back, so a caller reads its own writes.
//
// Version checks are optimistic and exact within one process (Apply calls
// are serialised); across processes, two writers based on the same version
// both succeed and the later record in the topic wins, as it does after
// compaction.
type Writer struct {
	reg *Registry
	cfg WriterConfig
	log *zap.Logger
	cl  *kgo.Client

	mu sync.Mutex // serialises Apply: check, produce, read back
}

// NewWriter returns a Writer producing to reg's topic.
func NewWriter(reg *Registry, cfg WriterConfig) (*Writer, error) {
	cfg.EnsureDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cl, err := cfg.Conn.NewClient(
		kgo.TransactionalID(cfg.TransactionalID),
		kgo.TransactionTimeout(2*time.Minute),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.MaxBufferedRecords(50_000),
	)
	if err != nil {
		return nil, fmt.Errorf("registry: creating registry producer: %w", err)
	}
	return &Writer{reg: reg, cfg: cfg, log: cfg.Logger, cl: cl}, nil
}

// Close releases the producer.
func (w *Writer) Close() { w.cl.Close() }

// ApplyOptions control one Apply.
type ApplyOptions struct {
	// Atomic writes nothing when any change conflicts. Default false:
	// conflicting changes are skipped and reported.
	Atomic bool
	// Progress, when set, is called as records are acknowledged.
	Progress func(done, total int)
}

// ApplyResult says what Apply wrote.
type ApplyResult struct {
	Written   int
	Conflicts []Conflict
	Applied   []Applied
	// SyncErr is the Syncer's error; the changes are written regardless.
	SyncErr error
}

// Apply writes changes in one transaction, after checking each one's Base
// against the registry. Values are validated; an invalid value fails the
// whole call (*InvalidError) before anything is written.
func (w *Writer) Apply(ctx context.Context, changes []Change, opts ApplyOptions) (ApplyResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var res ApplyResult
	now := w.cfg.Now().UTC().Truncate(time.Millisecond)
	recs := make([]*kgo.Record, 0, len(changes))
	applied := make([]Applied, 0, len(changes))
	for _, ch := range changes {
		have, exists, last := w.reg.state(ch.Code)
		if ch.Base != AnyVersion && (exists && have != ch.Base || !exists && ch.Base != 0) || ch.Value == nil && !exists {
			res.Conflicts = append(res.Conflicts, Conflict{Code: ch.Code, Base: ch.Base, Have: have})
			continue
		}
		var before *schemas.Code
		if exists {
			if c, ok := w.reg.Get(ch.Code); ok {
				before = &c
			}
		}
		version := last + 1
		rec := &kgo.Record{Topic: w.reg.cfg.Topic, Key: []byte(ch.Code)}
		if ch.Value == nil {
			rec.Headers = []kgo.RecordHeader{{Key: VersionHeader, Value: []byte(strconv.FormatInt(last, 10))}}
			applied = append(applied, Applied{Before: before})
		} else {
			c := Clone(ch.Value)
			if c.Code != ch.Code {
				return res, fmt.Errorf("registry: change for %s carries code %s", ch.Code, c.Code)
			}
			if errs := Validate(&c); len(errs) > 0 {
				return res, fmt.Errorf("writing %s: %w", ch.Code, &InvalidError{Fields: errs})
			}
			c.Version, c.EventID, c.UpdatedAt = version, EventID(c.Code, version), now
			b, err := w.reg.cfg.Serde.Encode(&c)
			if err != nil {
				return res, fmt.Errorf("encoding %s: %w", ch.Code, err)
			}
			rec.Value = b
			applied = append(applied, Applied{Before: before, After: &c})
		}
		recs = append(recs, rec)
	}
	if len(recs) == 0 || opts.Atomic && len(res.Conflicts) > 0 {
		return res, nil
	}
	offsets, err := w.produce(ctx, recs, opts.Progress)
	if err != nil {
		return res, err
	}
	res.Written = len(recs)
	res.Applied = applied
	wctx, cancel := context.WithTimeout(ctx, w.cfg.WaitTimeout)
	defer cancel()
	if err := w.reg.waitFor(wctx, offsets); err != nil {
		return res, fmt.Errorf("reading back %d written codes: %w", len(recs), err)
	}
	if w.cfg.Syncer != nil {
		var sync []Applied
		for _, a := range applied {
			if a.Before == nil || a.After == nil || !SameDefinition(a.Before, a.After) {
				sync = append(sync, a)
			}
		}
		if len(sync) > 0 {
			if err := w.cfg.Syncer.Sync(ctx, sync); err != nil {
				w.log.Warn("syncing codes to platforms", zap.Int("changes", len(sync)), zap.Error(err))
				res.SyncErr = err
			}
		}
	}
	return res, nil
}

// produce writes recs in one transaction and returns the last offset
// written per partition.
func (w *Writer) produce(ctx context.Context, recs []*kgo.Record, progress func(done, total int)) (map[int32]int64, error) {
	if err := w.cl.BeginTransaction(); err != nil {
		return nil, fmt.Errorf("registry: beginning transaction: %w", err)
	}
	var (
		mu       sync.Mutex
		firstErr error
		offsets  = map[int32]int64{}
		acked    atomic.Int64
	)
	for i, rec := range recs {
		w.cl.Produce(ctx, rec, func(r *kgo.Record, err error) {
			acked.Add(1)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			if o, ok := offsets[r.Partition]; !ok || r.Offset > o {
				offsets[r.Partition] = r.Offset
			}
		})
		if progress != nil && i%1000 == 0 {
			progress(int(acked.Load()), len(recs))
		}
	}
	flushErr := w.cl.Flush(ctx)
	if progress != nil {
		progress(int(acked.Load()), len(recs))
	}
	mu.Lock()
	err := firstErr
	mu.Unlock()
	if err == nil {
		err = flushErr
	}
	// Ending a transaction must not be cut short by the caller's context:
	// an unknown outcome is worse than a late one.
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err != nil {
		if aerr := w.cl.AbortBufferedRecords(ectx); aerr != nil {
			w.log.Warn("aborting buffered code records", zap.Error(aerr))
		}
		if aerr := w.cl.EndTransaction(ectx, kgo.TryAbort); aerr != nil {
			w.log.Warn("aborting code transaction", zap.Error(aerr))
		}
		return nil, fmt.Errorf("writing %d codes: %w", len(recs), err)
	}
	if err := w.cl.EndTransaction(ectx, kgo.TryCommit); err != nil {
		if aerr := w.cl.EndTransaction(ectx, kgo.TryAbort); aerr != nil {
			w.log.Warn("aborting code transaction after failed commit", zap.Error(aerr))
		}
		return nil, fmt.Errorf("committing %d codes: %w", len(recs), err)
	}
	return offsets, nil
}

// Put creates or updates one code based on version base (0: create;
// AnyVersion: no check) and returns it as stored. c.Code may be empty: it
// is normalised from c.DisplayCode.
func (w *Writer) Put(ctx context.Context, c schemas.Code, base int64) (schemas.Code, error) {
	if c.Code == "" {
		n, err := promocode.Normalize(c.DisplayCode)
		if err != nil {
			return schemas.Code{}, err
		}
		c.Code = n
	}
	if errs := Validate(&c); len(errs) > 0 {
		return schemas.Code{}, &InvalidError{Fields: errs}
	}
	res, err := w.Apply(ctx, []Change{{Code: c.Code, Base: base, Value: &c}}, ApplyOptions{Atomic: true})
	if err != nil {
		return schemas.Code{}, err
	}
	if len(res.Conflicts) > 0 {
		return schemas.Code{}, res.Conflicts[0]
	}
	got, ok := w.reg.Get(c.Code)
	if !ok {
		return schemas.Code{}, fmt.Errorf("%w: %s vanished after writing", ErrNotFound, c.Code)
	}
	return got, nil
}

// Delete removes a code (a tombstone) based on version base (AnyVersion:
// no check). Deleting loses the code's history once compaction drops the
// tombstone; retiring it (status inactive) is usually what is wanted.
func (w *Writer) Delete(ctx context.Context, code string, base int64) error {
	res, err := w.Apply(ctx, []Change{{Code: code, Base: base}}, ApplyOptions{Atomic: true})
	if err != nil {
		return err
	}
	if len(res.Conflicts) > 0 {
		return res.Conflicts[0]
	}
	return nil
}
