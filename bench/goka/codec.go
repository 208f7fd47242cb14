package goka

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/heldsway/heldsway/pipeline/attribution"
	"github.com/heldsway/heldsway/pipeline/fraud"
)

// errCorrupt wraps every table value that does not decode.
var errCorrupt = errors.New("goka: corrupt table value")

// rawCodec passes bytes through: inputs are decoded in the callbacks, so
// that an undecodable record is dead-lettered instead of stopping Goka.
type rawCodec struct{}

func (rawCodec) Encode(v any) ([]byte, error) {
	b, ok := v.([]byte)
	if !ok {
		return nil, fmt.Errorf("goka: raw codec given %T", v)
	}
	return b, nil
}

func (rawCodec) Decode(b []byte) (any, error) { return b, nil }

// reader reads the length-prefixed parts of a table value.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", errCorrupt)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = fmt.Errorf("%w: %d bytes announced, %d left", errCorrupt, n, len(r.b))
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

func (r *reader) uint64() uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b) < 8 {
		r.err = fmt.Errorf("%w: truncated", errCorrupt)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *reader) end() error {
	if r.err == nil && len(r.b) > 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(r.b))
	}
	return r.err
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// customerValue is the customer table's value: the processor's hot value
// (attribution.Customer) and the snapshots of its decided orders, which
// the processor keeps under keys of their own. Goka has one value per
// key, so they travel together.
type customerValue struct {
	cust  attribution.Customer
	snaps map[uint64][]byte // decided order KeyHash -> attribution.Snapshot
}

type customerCodec struct{}

// maxSnapshots bounds the snapshots of one decoded customer value.
const maxSnapshots = 1 << 16

func (customerCodec) Encode(v any) ([]byte, error) {
	c, ok := v.(*customerValue)
	if !ok {
		return nil, fmt.Errorf("goka: customer codec given %T", v)
	}
	b, err := c.cust.Marshal()
	if err != nil {
		return nil, err
	}
	out := appendBytes(make([]byte, 0, len(b)+16), b)
	out = binary.AppendUvarint(out, uint64(len(c.snaps)))
	for _, k := range slices.Sorted(maps.Keys(c.snaps)) {
		out = binary.BigEndian.AppendUint64(out, k)
		out = appendBytes(out, c.snaps[k])
	}
	return out, nil
}

func (customerCodec) Decode(b []byte) (any, error) {
	r := reader{b: b}
	cb := r.bytes()
	n := r.uvarint()
	if r.err == nil && n > maxSnapshots {
		return nil, fmt.Errorf("%w: %d snapshots", errCorrupt, n)
	}
	c := &customerValue{snaps: make(map[uint64][]byte, n)}
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.uint64()
		c.snaps[k] = r.bytes()
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	var err error
	if c.cust, err = attribution.UnmarshalCustomer(cb); err != nil {
		return nil, err
	}
	return c, nil
}

// usedOrder is an order a usage-limited code resolved: the KeyHash of
// its order key and what attribution.ResolveUse recorded.
type usedOrder struct {
	key      uint64
	version  int32
	consumed bool
}

// codeValue is the code table's value: the usage counter, the orders of a
// usage-limited code (the latest attribution.MaxUsageOrders, as the
// processor's ring keeps them) and the leak detector's statistics.
type codeValue struct {
	counter attribution.UsageCounter
	used    []usedOrder // oldest first
	stats   fraud.CodeStats
}

type codeCodec struct{}

func (codeCodec) Encode(v any) ([]byte, error) {
	c, ok := v.(*codeValue)
	if !ok {
		return nil, fmt.Errorf("goka: code codec given %T", v)
	}
	st, err := c.stats.Marshal()
	if err != nil {
		return nil, err
	}
	out := appendBytes(nil, c.counter.Marshal())
	out = appendBytes(out, st)
	out = binary.AppendUvarint(out, uint64(len(c.used)))
	for _, u := range c.used {
		out = binary.BigEndian.AppendUint64(out, u.key)
		out = binary.AppendUvarint(out, uint64(uint32(u.version)))
		c := uint64(0)
		if u.consumed {
			c = 1
		}
		out = binary.AppendUvarint(out, c)
	}
	return out, nil
}

func (codeCodec) Decode(b []byte) (any, error) {
	r := reader{b: b}
	cb, sb := r.bytes(), r.bytes()
	n := r.uvarint()
	if r.err == nil && n > attribution.MaxUsageOrders {
		return nil, fmt.Errorf("%w: %d used orders", errCorrupt, n)
	}
	c := &codeValue{used: make([]usedOrder, 0, n)}
	for i := uint64(0); i < n && r.err == nil; i++ {
		u := usedOrder{key: r.uint64(), version: int32(uint32(r.uvarint()))}
		u.consumed = r.uvarint() == 1
		c.used = append(c.used, u)
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	var err error
	if c.counter, err = attribution.UnmarshalUsageCounter(cb); err != nil {
		return nil, err
	}
	if len(sb) > 0 {
		if c.stats, err = fraud.UnmarshalCodeStats(sb); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ledgerCodec stores the order table's value, the processor's
// attribution.OrderLedger.
type ledgerCodec struct{}

func (ledgerCodec) Encode(v any) ([]byte, error) {
	l, ok := v.(*attribution.OrderLedger)
	if !ok {
		return nil, fmt.Errorf("goka: ledger codec given %T", v)
	}
	return l.Marshal()
}

func (ledgerCodec) Decode(b []byte) (any, error) {
	l, err := attribution.UnmarshalOrderLedger(b)
	if err != nil {
		return nil, err
	}
	return &l, nil
}
