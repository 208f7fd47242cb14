package jsonfield

import (
	"strings"
	"testing"
)

func TestDecimalMinor(t *testing.T) {
	tests := []struct {
		d        Decimal
		required bool
		nonNeg   bool
		want     int64
		err      string
	}{
		{"59.90", true, true, 5990, ""},
		{"", false, true, 0, ""},
		{"", true, true, 0, "price is missing"},
		{"-16.20", true, false, -1620, ""},
		{"-16.20", true, true, 0, "price: -16.20 is negative"},
		{"1.005", true, true, 0, "price: money: invalid amount"},
		{"abc", false, false, 0, "price: money: invalid amount"},
	}
	for _, tt := range tests {
		f := tt.d.Minor
		if tt.nonNeg {
			f = tt.d.NonNegative
		}
		got, err := f("price", "USD", tt.required)
		if tt.err == "" && (err != nil || got != tt.want) {
			t.Errorf("%q: %d, %v; want %d", tt.d, got, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%q: error %v, want %q", tt.d, err, tt.err)
		}
	}
}
