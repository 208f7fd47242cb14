package clickhouse

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrInvalidRecord marks a record ClickHouse can never accept as it is,
	// e.g. a timestamp outside DateTime's range (1970 to 2105) or a
	// negative version. Retrying cannot help; the sink dead-letters it.
	ErrInvalidRecord = errors.New("clickhouse: record cannot be stored")
	// ErrUnknownRecord is returned for a value that is not a record type
	// with a table.
	ErrUnknownRecord = errors.New("clickhouse: no table for record type")
	// ErrNotNative is returned for a DSN that does not use the native
	// protocol (clickhouse://host:9000/db); the HTTP transport cannot talk
	// to ClickHouse 18.16.
	ErrNotNative = errors.New("clickhouse: dsn must use the native protocol (clickhouse://host:9000/database)")
	// ErrBadDatabase is returned for a database name other than letters,
	// digits and underscores.
	ErrBadDatabase = errors.New("clickhouse: invalid database name")
	// ErrNotConnected is returned by Sink.Ready before Run has connected
	// to ClickHouse.
	ErrNotConnected = errors.New("clickhouse: not connected")
	// ErrBadMigration is returned when the embedded migrations are
	// malformed: a bad file name or a repeated version.
	ErrBadMigration = errors.New("clickhouse: bad migration")
)

// RowError is one row of a Write that ClickHouse can never accept.
type RowError struct {
	Index int   // position in the rows passed to Write
	Err   error // wraps ErrInvalidRecord
}

// BatchError is a partial failure of Write: the rows listed could never be
// written and were left out; every other row was written.
type BatchError struct {
	Rows []RowError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clickhouse: %d rows cannot be stored", len(e.Rows))
	for i, r := range e.Rows {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Rows)-i)
			break
		}
		fmt.Fprintf(&b, "; row %d: %v", r.Index, r.Err)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidRecord) true for a BatchError.
func (e *BatchError) Unwrap() error { return ErrInvalidRecord }

// IsInvalid reports whether err says a record can never be stored, so
// retrying is pointless.
func IsInvalid(err error) bool { return errors.Is(err, ErrInvalidRecord) }
