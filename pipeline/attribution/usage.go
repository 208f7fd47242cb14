package attribution

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
)

// UsageState is the state stage 2 keeps usage entries in, scoped to the
// code's partition: the processor passes its transaction (stream.Tx).
// Errors from Get are returned as they are.
type UsageState interface {
	Get(key []byte) ([]byte, bool, error)
	Set(key, val []byte)
	Delete(key []byte)
}

// Keys of the usage entries in stage 2's state.
const (
	KeyUsageCounter = "u/" // code -> UsageCounter
	KeyUsedOrder    = "v/" // code \x00 order key -> UsedOrder
	KeyUsageRing    = "q/" // code \x00 ring slot (decimal) -> order key
)

// CodeUsage is stage 2's usage store. It keeps a code's usage in small
// entries of State rather than one value, so that a popular code costs
// the same per order as a rare one: a UsageCounter per code, a UsedOrder
// per order the code resolved, and a ring of MaxUsageOrders slots naming
// those orders in the order they were first resolved, so the oldest is
// forgotten first. An entry that does not decode is an error wrapping
// ErrCorrupt, quoting its key.
//
// The encodings are binary: a format byte, then unsigned varints. A
// counter in the JSON of earlier versions (one value per code: its uses
// and latest orders) is converted to the entries when first read.
type CodeUsage struct {
	State UsageState
}

// Resolve is stage 2's usage step for a candidate with a code (ResolveUse
// over the code's stored entries): it returns the decision, or ok false
// for a duplicate of a version already resolved, and records the use.
// The order takes the next ring slot when it is new, evicting the order
// that held it.
func (u CodeUsage) Resolve(c Candidate) (d Decision, ok bool, err error) {
	cnt, err := u.Counter(c.Code)
	if err != nil {
		return Decision{}, false, err
	}
	okey := []byte(KeyUsedOrder + c.Code + "\x00" + c.OrderKey)
	b, found, err := u.State.Get(okey)
	if err != nil {
		return Decision{}, false, err
	}
	var prev *UsedOrder
	if found {
		p, err := UnmarshalUsed(c.OrderKey, b)
		if err != nil {
			return Decision{}, false, fmt.Errorf("decoding state %q: %w", okey, err)
		}
		prev = &p
	}
	d, rec, ok := ResolveUse(c, cnt.Uses, prev)
	if !ok {
		return Decision{}, false, nil
	}
	if prev == nil {
		if rec.Consumed {
			cnt.Uses++
		}
		if err := u.takeSlot(c.Code, cnt.Slot(), c.OrderKey); err != nil {
			return Decision{}, false, err
		}
		cnt.Resolved++
		u.State.Set([]byte(KeyUsageCounter+c.Code), cnt.Marshal())
	}
	u.State.Set(okey, rec.MarshalUsed())
	return d, true, nil
}

// Count counts a use of code that stage 1 decided itself (a code without
// a usage limit), so that a limit set later starts from the uses so far.
// No order is recorded: there is no limit to resolve it against again.
func (u CodeUsage) Count(code string) error {
	cnt, err := u.Counter(code)
	if err != nil {
		return err
	}
	cnt.Uses++
	cnt.Resolved++ // the ring's cursor
	u.State.Set([]byte(KeyUsageCounter+code), cnt.Marshal())
	return nil
}

// Counter reads code's counter (zero when the code has none). A counter
// in the JSON format of earlier versions is converted to the current
// entries.
func (u CodeUsage) Counter(code string) (UsageCounter, error) {
	key := []byte(KeyUsageCounter + code)
	b, found, err := u.State.Get(key)
	switch {
	case err != nil:
		return UsageCounter{}, err
	case !found:
		return UsageCounter{}, nil
	case len(b) > 0 && b[0] == '{':
		return u.convert(code, b)
	}
	cnt, err := UnmarshalUsageCounter(b)
	if err != nil {
		return UsageCounter{}, fmt.Errorf("decoding state %q: %w", key, err)
	}
	return cnt, nil
}

// convert writes the entries of a code's usage in the JSON format of
// earlier versions, b, and returns its counter.
func (u CodeUsage) convert(code string, b []byte) (UsageCounter, error) {
	key := []byte(KeyUsageCounter + code)
	old, err := unmarshalLegacyUsage(b)
	if err != nil {
		return UsageCounter{}, fmt.Errorf("decoding state %q: %w", key, err)
	}
	cnt := UsageCounter{Uses: old.Uses}
	for _, o := range old.Orders {
		if err := u.takeSlot(code, cnt.Slot(), o.Key); err != nil {
			return UsageCounter{}, err
		}
		cnt.Resolved++
		u.State.Set([]byte(KeyUsedOrder+code+"\x00"+o.Key), o.MarshalUsed())
	}
	// Uses beyond the orders kept means the ring is full; keep the next
	// slot on the oldest order.
	for cnt.Resolved < cnt.Uses {
		cnt.Resolved += MaxUsageOrders
	}
	u.State.Set(key, cnt.Marshal())
	return cnt, nil
}

// takeSlot records orderKey in the code's ring slot, forgetting the order
// that held it.
func (u CodeUsage) takeSlot(code string, slot int64, orderKey string) error {
	skey := []byte(KeyUsageRing + code + "\x00" + strconv.FormatInt(slot, 10))
	old, found, err := u.State.Get(skey)
	if err != nil {
		return err
	}
	if found {
		u.State.Delete([]byte(KeyUsedOrder + code + "\x00" + string(old)))
	}
	u.State.Set(skey, []byte(orderKey))
	return nil
}

// legacyUsage is a code's usage in the JSON format of earlier versions:
// its uses and the latest MaxUsageOrders orders it resolved, oldest
// first.
type legacyUsage struct {
	Uses   int64       `json:"u"`
	Orders []UsedOrder `json:"o,omitempty"`
}

func unmarshalLegacyUsage(data []byte) (legacyUsage, error) {
	var u legacyUsage
	if err := json.Unmarshal(data, &u); err != nil {
		return legacyUsage{}, fmt.Errorf("%w: decoding code usage: %v", ErrCorrupt, err)
	}
	if u.Uses < 0 || len(u.Orders) > MaxUsageOrders {
		return legacyUsage{}, fmt.Errorf("%w: code usage %d uses, %d orders", ErrCorrupt, u.Uses, len(u.Orders))
	}
	for _, o := range u.Orders {
		// ResolveUse only records versions from 1: an order converted with
		// another would not decode when read.
		if o.Version < 1 {
			return legacyUsage{}, fmt.Errorf("%w: code usage order %q version %d", ErrCorrupt, o.Key, o.Version)
		}
	}
	return u, nil
}

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
