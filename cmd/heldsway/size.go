package main

import (
	"fmt"
	"strconv"
	"strings"
)

// byteSize is a flag value of bytes written as a number with an optional
// unit: B, KiB, MiB, GiB, TiB (powers of 1024) or K, M, G, T (the same;
// memory is counted in powers of two), e.g. 1GiB or 512MiB.
type byteSize int64

var sizeUnits = []struct {
	suffix string
	shift  uint
}{
	{"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40},
	{"K", 10}, {"M", 20}, {"G", 30}, {"T", 40}, {"B", 0},
}

func (s *byteSize) Set(v string) error {
	num, shift := strings.TrimSpace(v), uint(0)
	for _, u := range sizeUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, shift = strings.TrimSpace(n), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("size %q: want a whole number of bytes with an optional unit (512MiB, 1GiB)", v)
	}
	if n > (1<<62)>>shift {
		return fmt.Errorf("size %q: too large", v)
	}
	*s = byteSize(n << shift)
	return nil
}

func (s *byteSize) String() string {
	n := int64(*s)
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n != 0 && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.suffix)
		}
	}
	return strconv.FormatInt(n, 10)
}

func (s *byteSize) Type() string { return "size" }
