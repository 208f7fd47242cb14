package money

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		err     error
	}{
		{"59.90", "USD", 5990, nil},
		{"59.9", "usd", 5990, nil},
		{"59", "EUR", 5900, nil},
		{"0.10", "EUR", 10, nil},
		{".5", "EUR", 50, nil},
		{"-16.20", "USD", -1620, nil},
		{"199.000", "USD", 19900, nil},
		{"1000", "JPY", 1000, nil},
		{"1000.0", "JPY", 1000, nil},
		{"1.005", "USD", 0, ErrAmount},
		{"1.5", "JPY", 0, ErrAmount},
		{"1.234", "BHD", 1234, nil},
		{"", "USD", 0, ErrAmount},
		{".", "USD", 0, ErrAmount},
		{"-", "USD", 0, ErrAmount},
		{"1e3", "USD", 0, ErrAmount},
		{"1,000.00", "USD", 0, ErrAmount},
		{"+1", "USD", 0, ErrAmount},
		{"99999999999999999999", "USD", 0, ErrAmount},
		{"10.00", "XXZ", 0, ErrCurrency},
		{"10.00", "dollars", 0, ErrCurrency},
		{"10.00", "XXX", 0, ErrCurrency},
		{"10.00", "xts", 0, ErrCurrency},
	}
	for _, tt := range tests {
		t.Run(tt.in+"_"+tt.cur, func(t *testing.T) {
			got, err := Parse(tt.in, tt.cur)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Parse(%q, %q) error = %v, want %v", tt.in, tt.cur, err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("Parse(%q, %q) = %d, want %d", tt.in, tt.cur, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		v    int64
		cur  string
		want string
	}{{5990, "USD", "59.90"}, {-1620, "USD", "-16.20"}, {5, "EUR", "0.05"}, {1000, "JPY", "1000"}, {1234, "BHD", "1.234"}} {
		if got := Format(tt.v, tt.cur); got != tt.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tt.v, tt.cur, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"59.90", "-1.5", "0", ".5", "1e3", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s, "USD")
		if err != nil {
			return
		}
		if v > Max || v < -Max {
			t.Fatalf("Parse(%q) = %d out of range", s, v)
		}
		back, err := Parse(Format(v, "USD"), "USD")
		if err != nil || back != v {
			t.Fatalf("round trip %q -> %d -> %q -> %d, %v", s, v, Format(v, "USD"), back, err)
		}
	})
}
