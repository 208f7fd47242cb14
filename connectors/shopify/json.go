package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// decimal is an amount as the platform wrote it: a JSON string ("59.90")
// or a JSON number (refund line item subtotals are numbers), kept as text
// so that it is parsed exactly by money.Parse and never goes through a
// float. The zero value means absent or null.
type decimal string

func (d *decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*d = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = decimal(strings.TrimSpace(s))
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		*d = decimal(b) // the decoder has already checked it is a valid number
	default:
		return fmt.Errorf("amount %s is neither a string nor a number", abbrev(b))
	}
	return nil
}

// idValue is a platform id: a JSON integer (Shopify ids) or a string. The
// zero value means absent or null.
type idValue string

func (v *idValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*v = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = idValue(strings.TrimSpace(s))
	default:
		for _, c := range b {
			if c < '0' || c > '9' {
				return fmt.Errorf("id %s is not a non-negative integer or a string", abbrev(b))
			}
		}
		*v = idValue(b)
	}
	return nil
}

// check validates an id for field: at most 128 bytes, no control
// characters. An empty id is an error when required.
func (v idValue) check(field string, required bool) (string, error) {
	s := string(v)
	if s == "" {
		if required {
			return "", fmt.Errorf("%s is missing", field)
		}
		return "", nil
	}
	if len(s) > 128 {
		return "", fmt.Errorf("%s is longer than 128 bytes", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("%s contains a control character", field)
		}
	}
	return s, nil
}

// looseString is a string field the buyer controls (cart attributes): a
// JSON string is kept, any other JSON value reads as "" instead of failing
// the whole order.
type looseString string

func (s *looseString) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = looseString(strings.TrimSpace(v))
	} else {
		*s = ""
	}
	return nil
}

func abbrev(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "..."
	}
	return string(b)
}
