package main

import "testing"

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1GiB", 1 << 30, true},
		{"512MiB", 512 << 20, true},
		{"2G", 2 << 30, true},
		{"300M", 300 << 20, true},
		{"4096", 4096, true},
		{"10B", 10, true},
		{" 1 GiB ", 1 << 30, true},
		{"1.5GiB", 0, false},
		{"-1GiB", 0, false},
		{"GiB", 0, false},
		{"1PB", 0, false},
		{"99999999999TiB", 0, false},
	} {
		var s byteSize
		err := s.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && int64(s) != tc.want) {
			t.Errorf("%q: %d, %v; want %d ok=%v", tc.in, s, err, tc.want, tc.ok)
		}
	}
	s := byteSize(1 << 30)
	if s.String() != "1GiB" {
		t.Errorf("String %q", s.String())
	}
}
