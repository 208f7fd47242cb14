package jsonfield

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// maxIDLen is the longest id Check accepts, in bytes.
const maxIDLen = 128

// Decimal is an amount as the platform wrote it: a JSON string ("59.90")
// or a JSON number (Shopify refund line item subtotals, some WooCommerce
// plugins), kept as text so that it is parsed exactly by money.Parse and
// never goes through a float. The zero value means absent or null.
type Decimal string

// UnmarshalJSON implements json.Unmarshaler.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if s, ok, err := stringOrNull(b); ok || err != nil {
		if err == nil {
			*d = Decimal(s)
		}
		return err
	}
	if len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		*d = Decimal(b) // the decoder has already checked it is a valid number
		return nil
	}
	return fmt.Errorf("amount %s is neither a string nor a number", Abbrev(b))
}

// ID is a platform id: a JSON integer (Shopify and WooCommerce ids) or a
// string. The zero value means absent or null.
type ID string

// UnmarshalJSON implements json.Unmarshaler.
func (v *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if s, ok, err := stringOrNull(b); ok || err != nil {
		if err == nil {
			*v = ID(s)
		}
		return err
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return fmt.Errorf("id %s is not a non-negative integer or a string", Abbrev(b))
		}
	}
	*v = ID(b)
	return nil
}

// stringOrNull reads b, already trimmed, when it is JSON null ("") or a
// JSON string (its value, trimmed); ok is false for any other value.
func stringOrNull(b []byte) (s string, ok bool, err error) {
	switch {
	case string(b) == "null":
		return "", true, nil
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return "", true, err
		}
		return strings.TrimSpace(s), true, nil
	}
	return "", false, nil
}

// Check validates an id for field: at most 128 bytes, no control
// characters. An empty id is an error when required.
func (v ID) Check(field string, required bool) (string, error) {
	s := string(v)
	if s == "" {
		if required {
			return "", fmt.Errorf("%s is missing", field)
		}
		return "", nil
	}
	if len(s) > maxIDLen {
		return "", fmt.Errorf("%s is longer than %d bytes", field, maxIDLen)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%s contains a control character", field)
		}
	}
	return s, nil
}

// LooseString is a string field the buyer controls (cart attributes, notes):
// a JSON string is kept, trimmed; any other JSON value reads as "" instead
// of failing the whole payload.
type LooseString string

// UnmarshalJSON implements json.Unmarshaler. It never fails.
func (s *LooseString) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = LooseString(strings.TrimSpace(v))
	} else {
		*s = ""
	}
	return nil
}

// Abbrev cuts b to its first 32 bytes, marked with "...", for quoting a
// value in an error message.
func Abbrev(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}
