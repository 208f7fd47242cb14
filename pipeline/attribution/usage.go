package attribution

import (
	"encoding/binary"
	"fmt"
)

// Stage 2 stores a code's usage in small entries rather than one
// CodeUsage value, so that a popular code costs the same per order as a
// rare one: a UsageCounter per code, a UsedOrder per order the code
// resolved, and a ring of MaxUsageOrders slots naming those orders in the
// order they were first resolved, so the oldest is forgotten first (as
// CodeUsage.Resolve does in memory).
//
// The encodings are binary: a format byte, then unsigned varints.

const usageFormat = 1

// UsageCounter is a code's use count and how many distinct orders it has
// resolved (the next ring slot is Resolved % MaxUsageOrders).
type UsageCounter struct {
	Uses     int64
	Resolved int64
}

// Marshal encodes the counter.
func (u UsageCounter) Marshal() []byte {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64)
	b = append(b, usageFormat)
	b = binary.AppendUvarint(b, uint64(u.Uses))
	return binary.AppendUvarint(b, uint64(u.Resolved))
}

// Slot is the ring slot the next newly resolved order takes.
func (u UsageCounter) Slot() int64 { return u.Resolved % MaxUsageOrders }

// UnmarshalUsageCounter decodes what UsageCounter.Marshal wrote.
func UnmarshalUsageCounter(b []byte) (UsageCounter, error) {
	r := usageReader{b: b}
	r.format()
	u := UsageCounter{Uses: r.int64(), Resolved: r.int64()}
	if err := r.end(); err != nil {
		return UsageCounter{}, fmt.Errorf("%w: decoding usage counter: %v", ErrCorrupt, err)
	}
	if u.Uses > u.Resolved {
		return UsageCounter{}, fmt.Errorf("%w: usage counter %d uses of %d orders", ErrCorrupt, u.Uses, u.Resolved)
	}
	return u, nil
}

// MarshalUsed encodes an order's record; its key is in the state key.
func (o UsedOrder) MarshalUsed() []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen32)
	b = append(b, usageFormat)
	b = binary.AppendUvarint(b, uint64(o.Version))
	if o.Consumed {
		return append(b, 1)
	}
	return append(b, 0)
}

// UnmarshalUsed decodes what MarshalUsed wrote for the order key.
func UnmarshalUsed(key string, b []byte) (UsedOrder, error) {
	r := usageReader{b: b}
	r.format()
	v := r.int64()
	c := r.byte()
	if err := r.end(); err != nil {
		return UsedOrder{}, fmt.Errorf("%w: decoding used order: %v", ErrCorrupt, err)
	}
	if v < 1 || v > 1<<31-1 || c > 1 {
		return UsedOrder{}, fmt.Errorf("%w: used order version %d, consumed %d", ErrCorrupt, v, c)
	}
	return UsedOrder{Key: key, Version: int32(v), Consumed: c == 1}, nil
}

type usageReader struct {
	b   []byte
	err error
}

func (r *usageReader) format() {
	if f := r.byte(); r.err == nil && f != usageFormat {
		r.err = fmt.Errorf("unknown format %d", f)
	}
}

func (r *usageReader) byte() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.err = fmt.Errorf("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *usageReader) int64() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > 1<<63-1 {
		r.err = fmt.Errorf("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return int64(v)
}

func (r *usageReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return r.err
}
