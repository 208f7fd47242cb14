package clickhouse

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// table describes how one record type lands in one ClickHouse table: its
// name, its insert columns and how to turn a record into their values. The
// eight tables (tables.go) are eight calls to define; the Writer and the
// Sink only ever see this descriptor.
type table struct {
	name string
	// columns are the record's columns in insert order, followed by the
	// ingestion metadata columns kafka_partition and kafka_offset.
	// inserted_at is left to its DEFAULT.
	columns []string
	// insert is the INSERT statement prefix naming every column.
	insert string
	// goType is the record type, e.g. schemas.Order.
	goType reflect.Type
	// newRecord returns a pointer to a zero record, to decode into.
	newRecord func() any
	// values returns the record's column values (without the metadata
	// columns); an error wraps ErrInvalidRecord.
	values func(rec any) ([]any, error)
}

// metaColumns are appended to every table's columns.
var metaColumns = []string{"kafka_partition", "kafka_offset"}

// define builds a table descriptor for records of type T from fill, which
// must call the row methods once per column in the same order for every
// record (no branching on nil: optional values have optional methods).
// Columns are read off a zero record, so names and values cannot drift.
func define[T any](name string, fill func(r *row, v *T)) *table {
	var zero T
	r := &row{}
	fill(r, &zero)
	cols := append(r.names, metaColumns...)
	t := &table{
		name:      name,
		columns:   cols,
		insert:    fmt.Sprintf("INSERT INTO %s (%s)", name, strings.Join(cols, ", ")),
		goType:    reflect.TypeFor[T](),
		newRecord: func() any { return new(T) },
	}
	n := len(r.names)
	t.values = func(rec any) ([]any, error) {
		var v *T
		switch x := rec.(type) {
		case *T:
			v = x
		case T:
			v = &x
		default:
			return nil, fmt.Errorf("%w: %T for table %s", ErrUnknownRecord, rec, name)
		}
		if v == nil {
			return nil, fmt.Errorf("%w: nil %T", ErrInvalidRecord, rec)
		}
		r := &row{vals: make([]any, 0, n+len(metaColumns))}
		fill(r, v)
		if r.err != nil {
			return nil, r.err
		}
		return r.vals, nil
	}
	return t
}

// row collects one record's column names and values. A value ClickHouse
// cannot hold sets err (wrapping ErrInvalidRecord); later calls still add
// their columns so the names stay complete.
type row struct {
	names []string
	vals  []any
	err   error
}

func (r *row) add(name string, v any) {
	r.names = append(r.names, name)
	r.vals = append(r.vals, v)
}

func (r *row) invalid(name, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %s", ErrInvalidRecord, name, fmt.Sprintf(format, args...))
	}
}

// col adds a column whose Go value maps directly (string, int32, int64,
// *string, *int64, []string, []int64, ...).
func (r *row) col(name string, v any) { r.add(name, v) }

// flag adds a UInt8 column for a bool: 18.16 has no Bool type.
func (r *row) flag(name string, b bool) { r.add(name, boolToUInt8(b)) }

// optFlag adds a Nullable(UInt8) column.
func (r *row) optFlag(name string, b *bool) {
	if b == nil {
		r.add(name, (*uint8)(nil))
		return
	}
	u := boolToUInt8(*b)
	r.add(name, &u)
}

// DateTime's range; clickhouse-go refuses values outside it.
var (
	minDateTime = time.Unix(0, 0).UTC()
	maxDateTime = time.Date(2105, 12, 31, 23, 59, 59, 0, time.UTC)
)

// time adds two columns: name, a DateTime('UTC') with second precision for
// filtering and date functions, and name_ms, the exact Int64 Unix
// milliseconds the Avro timestamp-millis carried. 18.16 has no DateTime64.
func (r *row) time(name string, t time.Time) {
	if !inDateTimeRange(t) {
		r.invalid(name, "%s outside DateTime range [%s, %s]", t.UTC().Format(time.RFC3339Nano), minDateTime.Format(time.RFC3339), maxDateTime.Format(time.RFC3339))
		t = minDateTime
	}
	r.add(name, t.UTC().Truncate(time.Second))
	r.add(name+"_ms", t.UnixMilli())
}

// optTime adds Nullable(DateTime('UTC')) and Nullable(Int64) columns.
func (r *row) optTime(name string, t *time.Time) {
	if t == nil {
		r.add(name, (*time.Time)(nil))
		r.add(name+"_ms", (*int64)(nil))
		return
	}
	if !inDateTimeRange(*t) {
		r.invalid(name, "%s outside DateTime range", t.UTC().Format(time.RFC3339Nano))
	}
	s := t.UTC().Truncate(time.Second)
	ms := t.UnixMilli()
	r.add(name, &s)
	r.add(name+"_ms", &ms)
}

// version adds a UInt64 version column for ReplacingMergeTree(version):
// older servers accept only unsigned versions.
func (r *row) version(name string, v int64) {
	if v < 0 {
		r.invalid(name, "negative version %d", v)
		v = 0
	}
	r.add(name, uint64(v))
}

func inDateTimeRange(t time.Time) bool {
	return !t.Before(minDateTime) && !t.After(maxDateTime)
}

func boolToUInt8(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// nonNil returns s, or an empty slice for nil: Array columns take no NULL.
func nonNil[E any](s []E) []E {
	if s == nil {
		return []E{}
	}
	return s
}

// each maps s to a new slice with f; an empty slice for an empty s.
func each[E, V any](s []E, f func(E) V) []V {
	out := make([]V, len(s))
	for i, e := range s {
		out[i] = f(e)
	}
	return out
}
