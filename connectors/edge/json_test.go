package edge

import (
	"strings"
	"testing"
)

type testBody struct {
	Subtotal int64 `json:"subtotal"`
	Items    []struct {
		Code string `json:"code"`
		Qty  int    `json:"qty"`
	} `json:"items"`
	Customer struct {
		Email string `json:"email"`
	} `json:"customer"`
	Meta map[string]any `json:"meta"`
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name, body, err string
	}{
		{"valid", `{"subtotal":1,"items":[{"code":"A","qty":1},{"code":"B","qty":2}],"customer":{"email":"x"},"meta":{"a":[{"b":1},{"b":2}]}}`, ""},
		{"duplicate top-level key", `{"subtotal":1,"subtotal":999}`, `duplicate key "subtotal" in the top-level object`},
		{"duplicate differing in case", `{"subtotal":1,"SubTotal":999}`, `duplicate key "SubTotal" in the top-level object`},
		{"duplicate by Kelvin sign", `{"items":[],"customer":{"email":"a"},"meta":{"k":1,"\u212a":2}}`, "duplicate key \"\u212a\" in meta"},
		{"duplicate in an array item", `{"items":[{"code":"A"},{"code":"B","qty":1,"qty":2}]}`, `duplicate key "qty" in items[]`},
		{"duplicate nested", `{"customer":{"email":"a","email":"b"}}`, `duplicate key "email" in customer`},
		{"same key in sibling objects", `{"items":[{"code":"A"},{"code":"B"}]}`, ""},
		{"unknown field", `{"subtotl":1}`, "unknown field"},
		{"trailing data", `{"subtotal":1} {}`, "trailing data"},
		{"invalid UTF-8", "{\"customer\":{\"email\":\"\xff\"}}", "not valid UTF-8"},
	}
	for _, tt := range tests {
		var v testBody
		err := DecodeJSON([]byte(tt.body), &v)
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.err)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"subtotal":1}`, `{"subtotal":1,"SUBTOTAL":2}`, `{"items":[{"code":"A","code":"B"}]}`, `{"meta":{"a":{"b":[1,{"c":1,"c":2}]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v testBody
		_ = DecodeJSON(b, &v) // must not panic
	})
}
