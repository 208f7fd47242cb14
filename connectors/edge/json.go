package edge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DecodeJSON decodes exactly one JSON object into v, refusing invalid
// UTF-8, unknown fields, duplicate keys and trailing data, so a client's
// typo is an error rather than a silently dropped field, and a body cannot
// mean one thing to HeldSway and another to a proxy or log reader that
// keeps the other duplicate.
func DecodeJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		return errors.New("body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("decoding JSON: trailing data after the object")
	}
	return checkDuplicateKeys(body)
}

// checkDuplicateKeys refuses an object, at any depth, with two keys that
// encoding/json would match to the same field: equal under Unicode case
// folding. body is valid JSON (Decode accepted it).
func checkDuplicateKeys(body []byte) error {
	type frame struct {
		obj       bool
		keys      map[string]bool
		path      string // where this container is, e.g. "clicks[].customer"
		key       string // an object's current key
		expectKey bool
	}
	var stack []*frame
	top := func() *frame {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	childPath := func() string {
		t := top()
		switch {
		case t == nil:
			return ""
		case !t.obj:
			return t.path + "[]"
		case t.path == "":
			return t.key
		}
		return t.path + "." + t.key
	}
	valueDone := func() {
		if t := top(); t != nil && t.obj {
			t.expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("decoding JSON: %w", err)
		}
		if t := top(); t != nil && t.obj && t.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				valueDone()
				continue
			}
			key, _ := tok.(string)
			f := foldKey(key)
			if t.keys[f] {
				where := "the top-level object"
				if t.path != "" {
					where = t.path
				}
				return fmt.Errorf("decoding JSON: duplicate key %q in %s", key, where)
			}
			t.keys[f], t.key, t.expectKey = true, key, false
			continue
		}
		switch d, _ := tok.(json.Delim); d {
		case '{':
			stack = append(stack, &frame{obj: true, keys: map[string]bool{}, path: childPath(), expectKey: true})
		case '[':
			stack = append(stack, &frame{path: childPath()})
		case ']':
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// foldKey maps every rune of s to the smallest rune of its Unicode case
// folding orbit, so keys encoding/json matches to one field (it folds
// case, K and the Kelvin sign, s and long s) map to one string.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}
