package schemas

import "fmt"

// AppendBody appends v's Avro binary body with the current schema and no
// framing to dst: for a state store that keeps records inside its own
// values, where the writer schema is known. v is a record or a pointer to
// one, as for Serde.Encode. On error it returns dst unchanged.
func AppendBody(dst []byte, v any) ([]byte, error) {
	k, ok := kindOf(v)
	if !ok {
		return dst, fmt.Errorf("encoding: %w: %T", ErrNotRecord, v)
	}
	e := wenc{b: dst}
	if _, ok := writeRecord(&e, v); !ok {
		return dst, fmt.Errorf("encoding %s: %w: nil *%s", k.short(), ErrNotRecord, k.short())
	}
	if e.err != nil {
		return dst, fmt.Errorf("encoding %s: %w", k.short(), e.err)
	}
	return e.b, nil
}

// DecodeBody decodes a body AppendBody wrote into v, a non-nil pointer to
// the record type. Every byte of b must belong to the record.
func DecodeBody(b []byte, v any) error {
	k, ok := kindOf(v)
	if !ok || !isPointer(v) {
		return fmt.Errorf("decoding: %w: %T is not a pointer to a record", ErrNotRecord, v)
	}
	if err := readRecord(newWdec(b), v); err != nil {
		return fmt.Errorf("decoding %s body: %w", k.short(), err)
	}
	return nil
}
