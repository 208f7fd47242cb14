package schemas

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// The hot path: Avro binary written and read straight from the Go structs
// for the current schema versions. goavro's map-based native form costs
// about 15µs and 170 allocations per Order round trip; this costs a tenth.
// This file holds the primitives; the per-record writers and readers are
// generated from avro/*.avsc into codec_gen.go (internal/avrogen).
// Tests check them byte for byte against goavro (TestWireMatchesGoavro,
// TestGoavroRoundTrip, FuzzDecodeSingleObject), and goavro still decodes
// records written with any other schema version (see evolve.go).
//
// All HeldSway unions are ["null", T]: branch 0 is null, branch 1 is T.

// wenc appends Avro binary to b, keeping the first error.
type wenc struct {
	b   []byte
	err error
}

func (e *wenc) long(v int64) {
	u := uint64(v<<1) ^ uint64(v>>63)
	for u >= 0x80 {
		e.b = append(e.b, byte(u)|0x80)
		u >>= 7
	}
	e.b = append(e.b, byte(u))
}

func (e *wenc) int(v int32) { e.long(int64(v)) }

func (e *wenc) boolean(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

func (e *wenc) str(s string) {
	e.long(int64(len(s)))
	e.b = append(e.b, s...)
}

func (e *wenc) bytes(b []byte) {
	e.long(int64(len(b)))
	e.b = append(e.b, b...)
}

func (e *wenc) time(field string, t time.Time) {
	ms, ok := timeToMillis(t)
	if !ok && e.err == nil {
		e.err = fmt.Errorf("%w: %s: %s is beyond timestamp-millis", ErrOutOfRange, field, t)
	}
	e.long(ms)
}

// null writes the branch of an optional value and reports whether the
// value follows.
func (e *wenc) null(isNull bool) bool {
	if isNull {
		e.b = append(e.b, 0)
		return false
	}
	e.b = append(e.b, 2) // branch 1, zig-zag
	return true
}

func (e *wenc) optStr(p *string) {
	if e.null(p == nil) {
		e.str(*p)
	}
}

func (e *wenc) optLong(p *int64) {
	if e.null(p == nil) {
		e.long(*p)
	}
}

func (e *wenc) optInt(p *int32) {
	if e.null(p == nil) {
		e.int(*p)
	}
}

func (e *wenc) optBool(p *bool) {
	if e.null(p == nil) {
		e.boolean(*p)
	}
}

func (e *wenc) optTime(field string, p *time.Time) {
	if e.null(p == nil) {
		e.time(field, *p)
	}
}

func (e *wenc) optBytes(b []byte) {
	if e.null(b == nil) {
		e.bytes(b)
	}
}

// count starts an array or map of n items in one block; the caller writes
// the items, then end.
func (e *wenc) count(n int) bool {
	if n > 0 {
		e.long(int64(n))
	}
	return n > 0
}

func (e *wenc) end() { e.b = append(e.b, 0) }

func (e *wenc) strs(s []string) {
	if e.count(len(s)) {
		for _, x := range s {
			e.str(x)
		}
	}
	e.b = append(e.b, 0)
}

// strMap writes a map of strings in one block, keys in order so equal maps
// encode to equal bytes.
func (e *wenc) strMap(m map[string]string) {
	if e.count(len(m)) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			e.str(k)
			e.str(m[k])
		}
	}
	e.end()
}

// wdec reads Avro binary from b, keeping the first error: after one, every
// read returns zero values.
//
// A decoded record shares a few allocations instead of taking one per
// field: its strings are substrings of one copy of the input (s), its
// bytes values slices of another (bin), and its optional values slots of
// the pool (codec_gen.go): for the record, arrays in one generated struct
// per record type (rSlots), allocated before it is read; for each block of
// an array of records, one array per type, allocated when its count is
// read. Nothing a record holds aliases the input.
type wdec struct {
	b   []byte
	err error
	// orig is the whole input; s is a copy of it, made on the first string
	// read, and bin a copy of it from binAt, the first bytes value read.
	orig  []byte
	s     string
	bin   []byte
	binAt int
	pool  pool
}

func newWdec(b []byte) *wdec { return &wdec{b: b, orig: b} }

// take returns the next slot of *p, or a new one when none are left.
func take[T any](p *[]T) *T {
	if len(*p) == 0 {
		return new(T)
	}
	v := &(*p)[0]
	*p = (*p)[1:]
	return v
}

func (d *wdec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

// The readers below take their common case (one-byte varints, lengths and
// union branches) in one call, leaving the rest to a ...Slow method. (They
// are still over the compiler's inlining budget.) After an error d.b is
// empty, so no fast path applies and every read returns a zero value.

func (d *wdec) varint(maxLen int) int64 {
	if len(d.b) > 0 && d.b[0] < 0x80 {
		u := d.b[0]
		d.b = d.b[1:]
		return int64(u>>1) ^ -int64(u&1)
	}
	return d.varintSlow(maxLen)
}

func (d *wdec) varintSlow(maxLen int) int64 {
	if d.err != nil {
		return 0
	}
	v, rest, err := readVarint(d.b, maxLen)
	if err != nil {
		d.fail(err)
		return 0
	}
	d.b = rest
	return v
}

func (d *wdec) long() int64 { return d.varint(10) }

func (d *wdec) int() int32 {
	if len(d.b) > 0 && d.b[0] < 0x80 {
		u := d.b[0]
		d.b = d.b[1:]
		return int32(u>>1) ^ -int32(u&1)
	}
	return d.intSlow()
}

func (d *wdec) intSlow() int32 {
	v := d.varintSlow(5)
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail(fmt.Errorf("int %d out of range", v))
		return 0
	}
	return int32(v)
}

func (d *wdec) boolean() bool {
	if len(d.b) > 0 && d.b[0] <= 1 {
		c := d.b[0]
		d.b = d.b[1:]
		return c == 1
	}
	return d.booleanSlow()
}

func (d *wdec) booleanSlow() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.fail(errShort)
		return false
	}
	c := d.b[0]
	if c > 1 {
		d.fail(fmt.Errorf("boolean byte %#x", c))
		return false
	}
	d.b = d.b[1:]
	return c == 1
}

// raw returns the next length-prefixed bytes, aliasing the input.
func (d *wdec) raw() []byte {
	n := d.long()
	if d.err != nil {
		return nil
	}
	if n < 0 {
		d.fail(fmt.Errorf("negative length %d", n))
		return nil
	}
	if n > int64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// str returns a string value, a substring of d.s.
func (d *wdec) str() string {
	// A one-byte length (under 64) once d.s exists.
	if len(d.b) > 0 && d.b[0] < 0x80 && d.b[0]&1 == 0 && d.s != "" {
		if n := int(d.b[0] >> 1); n < len(d.b) {
			start := len(d.s) - len(d.b) + 1
			d.b = d.b[1+n:]
			return d.s[start : start+n]
		}
	}
	return d.strSlow()
}

func (d *wdec) strSlow() string {
	v := d.raw()
	if len(v) == 0 {
		return ""
	}
	if d.s == "" {
		d.s = string(d.orig)
	}
	end := len(d.orig) - len(d.b)
	return d.s[end-len(v) : end]
}

// bytes returns a bytes value, a slice of d.bin (capped, so appending to
// it copies); empty reads as nil.
func (d *wdec) bytes() []byte {
	v := d.raw()
	if len(v) == 0 {
		return nil
	}
	return d.binOf(v)
}

// binOf returns the bytes of d.bin that v, just read from the input, was
// copied to. d.bin copies the input from the first bytes value on.
func (d *wdec) binOf(v []byte) []byte {
	end := len(d.orig) - len(d.b)
	if d.bin == nil {
		d.binAt = end - len(v)
		d.bin = append(make([]byte, 0, len(d.orig)-d.binAt), d.orig[d.binAt:]...)
	}
	end -= d.binAt
	return d.bin[end-len(v) : end : end]
}

func (d *wdec) time() time.Time {
	ms := d.long()
	if d.err != nil {
		return time.Time{}
	}
	return timeFromMillis(ms)
}

// present reads the branch of a ["null", T] union.
func (d *wdec) present() bool {
	if len(d.b) > 0 && d.b[0] <= 2 && d.b[0] != 1 {
		c := d.b[0]
		d.b = d.b[1:]
		return c == 2
	}
	return d.presentSlow()
}

func (d *wdec) presentSlow() bool {
	switch d.varintSlow(10) {
	case 0:
		return false
	case 1:
		return d.err == nil
	default:
		d.fail(errors.New("union branch out of range"))
		return false
	}
}

// The optional readers return nil for null, else a pointer to a pool slot
// holding the value.

func (d *wdec) optStr() *string {
	if !d.present() {
		return nil
	}
	p := take(&d.pool.strs)
	*p = d.str()
	return p
}

func (d *wdec) optLong() *int64 {
	if !d.present() {
		return nil
	}
	p := take(&d.pool.longs)
	*p = d.long()
	return p
}

func (d *wdec) optInt() *int32 {
	if !d.present() {
		return nil
	}
	p := take(&d.pool.ints)
	*p = d.int()
	return p
}

func (d *wdec) optBool() *bool {
	if !d.present() {
		return nil
	}
	p := take(&d.pool.bools)
	*p = d.boolean()
	return p
}

func (d *wdec) optTime() *time.Time {
	if !d.present() {
		return nil
	}
	p := take(&d.pool.times)
	*p = d.time()
	return p
}

// optBytes returns an optional bytes value, a slice of d.bin: null reads
// as nil, empty as a non-nil empty slice.
func (d *wdec) optBytes() []byte {
	if !d.present() {
		return nil
	}
	v := d.raw()
	if d.err != nil {
		return nil
	}
	return d.binOf(v)
}

// block reads the item count of the next array or map block, 0 at the end.
// Every item takes at least minItem bytes, so a count the remaining input
// cannot hold is rejected before anything is allocated for it.
func (d *wdec) block(minItem int) int {
	n := d.long()
	if n < 0 {
		if n == math.MinInt64 {
			d.fail(errors.New("block count out of range"))
			return 0
		}
		n = -n
		if size := d.long(); size < 0 {
			d.fail(errors.New("negative block size"))
			return 0
		}
	}
	if d.err != nil {
		return 0
	}
	if n > int64(len(d.b)/minItem) {
		d.fail(errShort)
		return 0
	}
	return int(n)
}

func (d *wdec) strs() []string {
	var out []string
	for n := d.block(1); n > 0; n = d.block(1) {
		if out == nil {
			out = make([]string, 0, n)
		} else {
			out = slices.Grow(out, n)
		}
		for range n {
			out = append(out, d.str())
		}
	}
	return out
}

func (d *wdec) strMap() map[string]string {
	var out map[string]string
	for n := d.block(2); n > 0; n = d.block(2) {
		if out == nil {
			out = make(map[string]string, n)
		}
		for range n {
			k := d.str()
			out[k] = d.str()
		}
	}
	return out
}

// done reports the decoder's error, or trailing bytes.
func (d *wdec) done() error {
	switch {
	case d.err == nil && len(d.b) > 0:
		return fmt.Errorf("%w: %d bytes", ErrTrailingBytes, len(d.b))
	case d.err == nil:
		return nil
	case errors.Is(d.err, errShort):
		return fmt.Errorf("%w: %v", ErrTruncated, d.err)
	case errors.Is(d.err, ErrMalformed):
		return d.err
	default:
		return fmt.Errorf("%w: %v", ErrMalformed, d.err)
	}
}

// assign sets *dst to v, read by d, unless d failed or left bytes over.
func assign[T any](d *wdec, dst *T, v T) error {
	if err := d.done(); err != nil {
		return err
	}
	*dst = v
	return nil
}
