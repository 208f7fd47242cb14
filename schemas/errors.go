package schemas

import "errors"

// Errors returned by the package. Test for them with errors.Is; the
// returned errors wrap them with the record and field concerned.
var (
	// ErrUnknownSchema: the frame names a schema (fingerprint or registry
	// id) that is not a HeldSway record schema.
	ErrUnknownSchema = errors.New("schemas: unknown schema")
	// ErrNotFramed: the bytes start with neither the single-object marker
	// (0xC3 0x01) nor the Confluent magic byte (0x00).
	ErrNotFramed = errors.New("schemas: not a framed record")
	// ErrWrongType: the record is of another type than asked for.
	ErrWrongType = errors.New("schemas: wrong record type")
	// ErrTruncated: the bytes end inside the frame header or the record.
	ErrTruncated = errors.New("schemas: truncated record")
	// ErrTrailingBytes: bytes follow the record body.
	ErrTrailingBytes = errors.New("schemas: trailing bytes after record")
	// ErrMalformed: the record body does not match its schema.
	ErrMalformed = errors.New("schemas: malformed record")
	// ErrIncompatibleSchema: the writer's schema cannot be read with the
	// current one (a field without a default was added, or one retyped).
	ErrIncompatibleSchema = errors.New("schemas: incompatible writer schema")
	// ErrNoRegistry: a Confluent-framed record, or Register, needs a schema
	// registry and the Serde has none.
	ErrNoRegistry = errors.New("schemas: no schema registry configured")
	// ErrNotRecord: the value passed is not one of the record types (or a
	// pointer to one, for decoding).
	ErrNotRecord = errors.New("schemas: not a record type")
	// ErrOutOfRange: a value cannot be represented on the wire, such as a
	// time beyond the range of timestamp-millis.
	ErrOutOfRange = errors.New("schemas: value out of range")
	// ErrRegistry: the schema registry failed or refused a request.
	ErrRegistry = errors.New("schemas: schema registry request failed")
)

// wrongTypeError is ErrWrongType with the names involved.
type wrongTypeError struct {
	got  string // full name of the record
	want string // short name of the type asked for
}

func (e *wrongTypeError) Error() string {
	return "schemas: record is " + e.got + ", not " + e.want
}

func (e *wrongTypeError) Is(target error) bool { return target == ErrWrongType }

// noRegistryError is ErrNoRegistry saying what needed the registry.
type noRegistryError struct{ what string }

func (e *noRegistryError) Error() string {
	return "schemas: " + e.what + " but no schema registry configured"
}

func (e *noRegistryError) Is(target error) bool { return target == ErrNoRegistry }
