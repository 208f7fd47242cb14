package schemas

import (
	"fmt"
	"math"
	"time"

	"github.com/linkedin/goavro/v2"
)

// This file holds the helpers that convert between Go values and goavro's
// native form: records are map[string]any, a non-null union value is
// map[string]any{branch: value} and null is nil, timestamp-millis is
// time.Time on decode (int64 milliseconds on encode), int is int32, long is
// int64, arrays are []any, maps map[string]any, bytes []byte.

// Union branch names as goavro spells them.
const (
	brString  = "string"
	brLong    = "long"
	brInt     = "int"
	brBoolean = "boolean"
	brBytes   = "bytes"
	brTime    = "long.timestamp-millis"
)

// natWriter builds native values, keeping the first error.
type natWriter struct{ err error }

// millis is t as timestamp-millis, truncated toward the past.
func (w *natWriter) millis(field string, t time.Time) any {
	ms, ok := timeToMillis(t)
	if !ok && w.err == nil {
		w.err = fmt.Errorf("%w: %s: %s is beyond timestamp-millis", ErrOutOfRange, field, t)
	}
	return ms
}

func (w *natWriter) optMillis(field string, t *time.Time) any {
	if t == nil {
		return nil
	}
	return goavro.Union(brTime, w.millis(field, *t))
}

func timeToMillis(t time.Time) (int64, bool) {
	sec := t.Unix()
	ms := int64(t.Nanosecond()) / 1e6
	if sec < 0 && ms > 0 {
		sec++
		ms -= 1000
	}
	if sec > math.MaxInt64/1000 || sec < math.MinInt64/1000 {
		return 0, false
	}
	v := sec * 1000
	if (ms > 0 && v > math.MaxInt64-ms) || (ms < 0 && v < math.MinInt64-ms) {
		return 0, false
	}
	return v + ms, true
}

func optString(p *string) any {
	if p == nil {
		return nil
	}
	return goavro.Union(brString, *p)
}

func optLong(p *int64) any {
	if p == nil {
		return nil
	}
	return goavro.Union(brLong, *p)
}

func optInt(p *int32) any {
	if p == nil {
		return nil
	}
	return goavro.Union(brInt, *p)
}

func optBool(p *bool) any {
	if p == nil {
		return nil
	}
	return goavro.Union(brBoolean, *p)
}

func optBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return goavro.Union(brBytes, b)
}

// nonNilBytes is b, or an empty slice for nil: a bytes field is never
// null.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func stringsNative(s []string) []any {
	a := make([]any, len(s))
	for i, x := range s {
		a[i] = x
	}
	return a
}

func stringMapNative(m map[string]string) map[string]any {
	n := make(map[string]any, len(m))
	for k, v := range m {
		n[k] = v
	}
	return n
}

// assignNative sets *dst to v, read by r, unless r failed.
func assignNative[T any](r *natReader, dst *T, v T) error {
	if r.err != nil {
		return r.err
	}
	*dst = v
	return nil
}

// natReader reads fields of native records, keeping the first error so the
// conversions read straight through. Absent or mistyped fields read as zero
// and set the error.
type natReader struct {
	rec string // record being read, for errors
	err error
}

func (r *natReader) fail(f string, v any, want string) {
	if r.err == nil {
		if v == nil {
			r.err = fmt.Errorf("%w: %s.%s: null, want %s", ErrMalformed, r.rec, f, want)
			return
		}
		r.err = fmt.Errorf("%w: %s.%s: %T, want %s", ErrMalformed, r.rec, f, v, want)
	}
}

// union unwraps the value of optional field f; ok is false for null.
func (r *natReader) union(m map[string]any, f, branch string) (any, bool) {
	v := m[f]
	if v == nil {
		return nil, false
	}
	u, ok := v.(map[string]any)
	if !ok {
		r.fail(f, v, "union")
		return nil, false
	}
	x, ok := u[branch]
	if !ok || len(u) != 1 {
		r.fail(f, v, "union of "+branch)
		return nil, false
	}
	return x, true
}

func (r *natReader) str(m map[string]any, f string) string {
	v, ok := m[f].(string)
	if !ok {
		r.fail(f, m[f], "string")
	}
	return v
}

func (r *natReader) optStr(m map[string]any, f string) *string {
	x, ok := r.union(m, f, brString)
	if !ok {
		return nil
	}
	s, ok := x.(string)
	if !ok {
		r.fail(f, x, "string")
		return nil
	}
	return &s
}

func (r *natReader) long(m map[string]any, f string) int64 {
	v, ok := m[f].(int64)
	if !ok {
		r.fail(f, m[f], "long")
	}
	return v
}

func (r *natReader) optLong(m map[string]any, f string) *int64 {
	x, ok := r.union(m, f, brLong)
	if !ok {
		return nil
	}
	v, ok := x.(int64)
	if !ok {
		r.fail(f, x, "long")
		return nil
	}
	return &v
}

func (r *natReader) int(m map[string]any, f string) int32 {
	v, ok := m[f].(int32)
	if !ok {
		r.fail(f, m[f], "int")
	}
	return v
}

func (r *natReader) optInt(m map[string]any, f string) *int32 {
	x, ok := r.union(m, f, brInt)
	if !ok {
		return nil
	}
	v, ok := x.(int32)
	if !ok {
		r.fail(f, x, "int")
		return nil
	}
	return &v
}

func (r *natReader) boolean(m map[string]any, f string) bool {
	v, ok := m[f].(bool)
	if !ok {
		r.fail(f, m[f], "boolean")
	}
	return v
}

func (r *natReader) optBool(m map[string]any, f string) *bool {
	x, ok := r.union(m, f, brBoolean)
	if !ok {
		return nil
	}
	v, ok := x.(bool)
	if !ok {
		r.fail(f, x, "boolean")
		return nil
	}
	return &v
}

func (r *natReader) time(m map[string]any, f string) time.Time {
	v, ok := m[f].(time.Time)
	if !ok {
		r.fail(f, m[f], "timestamp-millis")
	}
	return v
}

func (r *natReader) optTime(m map[string]any, f string) *time.Time {
	x, ok := r.union(m, f, brTime)
	if !ok {
		return nil
	}
	v, ok := x.(time.Time)
	if !ok {
		r.fail(f, x, "timestamp-millis")
		return nil
	}
	return &v
}

// bytes copies a bytes field (goavro's slice aliases the input); empty
// reads as nil.
func (r *natReader) bytes(m map[string]any, f string) []byte {
	v, ok := m[f].([]byte)
	if !ok {
		r.fail(f, m[f], "bytes")
		return nil
	}
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}

// optBytes copies an optional bytes field: null reads as nil, empty as a
// non-nil empty slice.
func (r *natReader) optBytes(m map[string]any, f string) []byte {
	x, ok := r.union(m, f, brBytes)
	if !ok {
		return nil
	}
	v, ok := x.([]byte)
	if !ok {
		r.fail(f, x, "bytes")
		return nil
	}
	return append([]byte{}, v...)
}

func (r *natReader) array(m map[string]any, f string) []any {
	v, ok := m[f].([]any)
	if !ok {
		r.fail(f, m[f], "array")
	}
	return v
}

// strings reads an array of strings; empty reads as nil.
func (r *natReader) strings(m map[string]any, f string) []string {
	a := r.array(m, f)
	if len(a) == 0 {
		return nil
	}
	out := make([]string, len(a))
	for i, x := range a {
		s, ok := x.(string)
		if !ok {
			r.fail(f, x, "string item")
			return nil
		}
		out[i] = s
	}
	return out
}

// stringMap reads a map of strings; empty reads as nil.
func (r *natReader) stringMap(m map[string]any, f string) map[string]string {
	v, ok := m[f].(map[string]any)
	if !ok {
		r.fail(f, m[f], "map")
		return nil
	}
	if len(v) == 0 {
		return nil
	}
	out := make(map[string]string, len(v))
	for k, x := range v {
		s, ok := x.(string)
		if !ok {
			r.fail(f, x, "string value")
			return nil
		}
		out[k] = s
	}
	return out
}

func (r *natReader) record(m map[string]any, f string) map[string]any {
	v, ok := m[f].(map[string]any)
	if !ok {
		r.fail(f, m[f], "record")
	}
	return v
}

// item reads element i of array field f as a record.
func (r *natReader) item(f string, x any) map[string]any {
	v, ok := x.(map[string]any)
	if !ok {
		r.fail(f, x, "record item")
	}
	return v
}

func (r *natReader) optRecord(m map[string]any, f, name string) map[string]any {
	x, ok := r.union(m, f, name)
	if !ok {
		return nil
	}
	v, ok := x.(map[string]any)
	if !ok {
		r.fail(f, x, name)
		return nil
	}
	return v
}
