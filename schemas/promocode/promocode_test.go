package promocode

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"sarah10", "SARAH10", false},
		{"  Sarah10\t", "SARAH10", false},
		{"ＳＡＲＡＨ１０", "SARAH10", false}, // full-width forms fold under NFKC
		{"30$off", "30$OFF", false},
		{"partner-john-x7", "PARTNER-JOHN-X7", false},
		{"", "", true},
		{"   ", "", true},
		{"two words", "", true},
		{"bad\x00code", "", true},
		{"\xff\xfe", "", true},
		{"A234567890123456789012345678901234567890123456789012345678901234", "A234567890123456789012345678901234567890123456789012345678901234", false},
		{"A2345678901234567890123456789012345678901234567890123456789012345", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if (err != nil) != tt.err {
				t.Fatalf("Normalize(%q) error = %v, want error %v", tt.in, err, tt.err)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			if got != tt.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"sarah10", "ＳＡＲＡＨ１０", "30$off", "", "a b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Normalize(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(c) || c == "" {
			t.Fatalf("Normalize(%q) = %q", s, c)
		}
		again, err := Normalize(c)
		if err != nil || again != c {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", s, c, again, err)
		}
	})
}
