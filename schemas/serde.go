package schemas

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
)

// Serde encodes records to framed Avro and decodes them back. It is safe
// for concurrent use; create one per process and share it.
//
// Without a registry it writes single-object encoding; with one
// (WithRegistry) it writes Confluent framing. It reads both framings either
// way, as long as it has a registry for Confluent-framed input.
type Serde struct {
	topics  Topics
	reg     *sr.Client
	timeout time.Duration

	// mu guards the registry id caches; it is never held during a
	// registry request.
	mu struct {
		sync.RWMutex
		idOf [numKinds]int   // registered id of each current schema; 0 = not yet
		byID map[int]*schema // writer schema of each id seen
	}
}

// Option configures a Serde.
type Option interface{ apply(*Serde) }

type option func(*Serde)

func (o option) apply(s *Serde) { o(s) }

// WithRegistry makes the Serde write Confluent framing, registering each
// current schema under "<topic>-value" on first use, and lets it read
// Confluent-framed records written by any schema version in the registry.
func WithRegistry(client *sr.Client) Option {
	return option(func(s *Serde) { s.reg = client })
}

// WithTopics sets the topics whose subjects schemas are registered under.
// The default is NewTopics(DefaultTopicPrefix).
func WithTopics(t Topics) Option {
	return option(func(s *Serde) { s.topics = t })
}

// WithRegistryTimeout bounds each registry request made while encoding or
// decoding (which take no context). The default is 10s.
func WithRegistryTimeout(d time.Duration) Option {
	return option(func(s *Serde) { s.timeout = d })
}

// NewSerde returns a Serde.
func NewSerde(opts ...Option) *Serde {
	t, _ := NewTopics(DefaultTopicPrefix) // the default prefix is valid
	s := &Serde{topics: t, timeout: 10 * time.Second}
	for _, o := range opts {
		o.apply(s)
	}
	s.mu.byID = make(map[int]*schema)
	known() // load the embedded schemas now rather than on the first record
	return s
}

// Encode returns v framed and Avro-encoded. v is a record (Click, Order,
// Refund, Code, Attribution, Adjustment, Flag or DeadLetter) or a pointer
// to one. Times are written in milliseconds, truncated.
func (s *Serde) Encode(v any) ([]byte, error) {
	return s.AppendEncode(nil, v)
}

// AppendEncode appends v framed and Avro-encoded to dst. On error it
// returns dst unchanged.
func (s *Serde) AppendEncode(dst []byte, v any) ([]byte, error) {
	k, ok := kindOf(v)
	if !ok {
		return dst, fmt.Errorf("encoding: %w: %T", ErrNotRecord, v)
	}
	e := wenc{b: dst}
	if s.reg == nil {
		e.b = append(e.b, known().current[k].header[:]...)
	} else {
		id, err := s.registeredID(k)
		if err != nil {
			return dst, fmt.Errorf("encoding %s: %w", k.short(), err)
		}
		e.b, _ = confluentHeader.AppendEncode(e.b, id, nil) // never fails
	}
	if _, ok := writeRecord(&e, v); !ok {
		return dst, fmt.Errorf("encoding %s: %w: nil *%s", k.short(), ErrNotRecord, k.short())
	}
	if e.err != nil {
		return dst, fmt.Errorf("encoding %s: %w", k.short(), e.err)
	}
	return e.b, nil
}

// toNative converts a record to goavro's native form. The hot path does
// not use it (see wire.go); tests check the two agree, and the native
// form is what decoding an earlier schema version goes through.
func toNative(v any) (kind, map[string]any, error) {
	var w natWriter
	k, m, ok := nativeRecord(&w, v)
	switch {
	case !ok:
		return 0, nil, fmt.Errorf("encoding: %w: %T", ErrNotRecord, v)
	case w.err != nil:
		return k, nil, fmt.Errorf("encoding %s: %w", k.short(), w.err)
	case m == nil:
		return k, nil, fmt.Errorf("encoding %s: %w: nil *%s", k.short(), ErrNotRecord, k.short())
	}
	return k, m, nil
}

// Decode decodes the framed record b into v, which must be a non-nil
// pointer to the record type b holds (else an error wrapping ErrWrongType).
// It reads single-object and Confluent framing whatever the Serde writes,
// and records written by earlier schema versions: fields they lack get the
// current schema's defaults. Decoded byte slices do not alias b.
func (s *Serde) Decode(b []byte, v any) error {
	k, ok := kindOf(v)
	if !ok || !isPointer(v) {
		return fmt.Errorf("decoding: %w: %T is not a pointer to a record", ErrNotRecord, v)
	}
	w, body, err := s.writer(b)
	if err != nil {
		return fmt.Errorf("decoding %s: %w", k.short(), err)
	}
	if w.kind != k {
		return &wrongTypeError{got: w.kind.String(), want: k.short()}
	}
	if err := decodeInto(w, body, v); err != nil {
		return fmt.Errorf("decoding %s: %w", k.short(), err)
	}
	return nil
}

// decodeInto decodes a body written with w into v: directly when w is the
// current schema, else through goavro and projection onto the current
// schema.
func decodeInto(w *schema, body []byte, v any) error {
	if w.current {
		return readRecord(newWdec(body), v)
	}
	m, err := decodeBody(w, body)
	if err != nil {
		return err
	}
	return fromNative(m, v)
}

// DecodeAny decodes the framed record b into a new record of the type it
// holds, returned as a pointer (*Click, *Order, ...).
func (s *Serde) DecodeAny(b []byte) (any, error) {
	w, body, err := s.writer(b)
	if err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	if w.current {
		v, err := readNew(newWdec(body), w.kind)
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", w.kind.short(), err)
		}
		return v, nil
	}
	v := newRecord(w.kind)
	if err := decodeInto(w, body, v); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", w.kind.short(), err)
	}
	return v, nil
}

// decodeBody decodes the Avro body written with w, an earlier schema
// version, into the native form of the current schema of its record.
func decodeBody(w *schema, body []byte) (map[string]any, error) {
	rest, err := validate(w.root, body, 0)
	if err != nil {
		if errors.Is(err, errShort) {
			return nil, fmt.Errorf("%w: %v", ErrTruncated, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: %d bytes", ErrTrailingBytes, len(rest))
	}
	native, _, err := w.codec.NativeFromBinary(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !w.current {
		native, err = project(known().current[w.kind].root, w.root, native)
		if err != nil {
			return nil, fmt.Errorf("reading %s written with an earlier schema: %w", w.kind, err)
		}
	}
	m, ok := native.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: decoded %T, not a record", ErrMalformed, native)
	}
	return m, nil
}
