package attribution

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/heldsway/heldsway/schemas"
)

// The state values stage 1 and stage 3 keep for every record are binary:
// a format byte, then the fields in a fixed order as varints,
// length-prefixed strings, and the Avro bodies of the schemas records they
// hold (schemas.AppendBody). Earlier versions wrote JSON, which starts
// with '{'; the Unmarshal functions still read it.
const (
	formatJSON   = '{'
	formatBinary = 0x02
	// formatCustomer is the customer's hot value (ids as 64-bit hashes,
	// decided orders as fingerprints; their snapshots apart).
	formatCustomer = 0x03
	// formatSnapshot is a decided order's snapshot.
	formatSnapshot = 0x04
	// formatCandidateSlim is a candidate without its fallback decision.
	formatCandidateSlim = 0x05
	// formatRedeemed is a redemption stage 1 decided (for the leak
	// detector), formatHold stage 2's leak hold sent back to stage 1.
	formatRedeemed = 0x06
	formatHold     = 0x07
)

// stateEnc appends a binary state value.
type stateEnc struct {
	b   []byte
	err error
}

func (e *stateEnc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *stateEnc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *stateEnc) count(n int)      { e.uvarint(uint64(n)) }
func (e *stateEnc) u64(v uint64)     { e.b = binary.BigEndian.AppendUint64(e.b, v) }

func (e *stateEnc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *stateEnc) strs(s []string) {
	e.count(len(s))
	for _, x := range s {
		e.str(x)
	}
}

func (e *stateEnc) boolean(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// time writes t in milliseconds, the precision of every time the state
// holds (Kafka timestamps and Avro timestamp-millis); the zero time is its
// own value so that it decodes as the zero time.
func (e *stateEnc) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.varint(t.UnixMilli())
}

// record appends a schemas record's Avro body, length-prefixed.
func (e *stateEnc) record(v any) {
	if e.err != nil {
		return
	}
	body, err := schemas.AppendBody(nil, v)
	if err != nil {
		e.err = err
		return
	}
	e.str(string(body))
}

// stateDec reads what stateEnc wrote, keeping the first error.
type stateDec struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated")

func (d *stateDec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *stateDec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errTruncated)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a count of at most max items, each taking at least one byte.
func (d *stateDec) count(max int) int {
	n := d.uvarint()
	if d.err == nil && (n > uint64(max) || n > uint64(len(d.b))) {
		d.fail(fmt.Errorf("count %d over its bound %d or the %d bytes left", n, max, len(d.b)))
		return 0
	}
	return int(n)
}

func (d *stateDec) raw() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.fail(errTruncated)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *stateDec) str() string { return string(d.raw()) }

func (d *stateDec) u64() uint64 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 8 {
		d.fail(errTruncated)
		return 0
	}
	v := binary.BigEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *stateDec) strs(max int) []string {
	n := d.count(max)
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.str()
	}
	return out
}

func (d *stateDec) boolean() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.fail(errTruncated)
		return false
	}
	c := d.b[0]
	d.b = d.b[1:]
	if c > 1 {
		d.fail(fmt.Errorf("boolean byte %d", c))
	}
	return c == 1
}

func (d *stateDec) time() time.Time {
	if !d.boolean() {
		return time.Time{}
	}
	return time.UnixMilli(d.varint()).UTC()
}

func (d *stateDec) record(v any) {
	b := d.raw()
	if d.err != nil {
		return
	}
	if err := schemas.DecodeBody(b, v); err != nil {
		d.fail(err)
	}
}

func (d *stateDec) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Errorf("%d trailing bytes", len(d.b)))
	}
	return d.err
}

func (d *stateDec) format() byte {
	if len(d.b) == 0 {
		d.fail(errTruncated)
		return 0
	}
	f := d.b[0]
	d.b = d.b[1:]
	return f
}
