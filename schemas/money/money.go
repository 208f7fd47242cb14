package money

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/currency"
)

// Max bounds an amount in minor units (10^15), far from int64 overflow even
// when many are summed.
const Max int64 = 1_000_000_000_000_000

var (
	// ErrCurrency is wrapped by errors about a currency code.
	ErrCurrency = errors.New("money: unknown currency")
	// ErrAmount is wrapped by errors about an amount.
	ErrAmount = errors.New("money: invalid amount")
)

// Currency validates an ISO-4217 code (any case) and returns it upper case
// with its number of minor-unit digits. XXX (no currency) and XTS (testing)
// are refused.
func Currency(code string) (string, int, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) != 3 {
		return "", 0, fmt.Errorf("%w: %q is not a three-letter ISO-4217 code", ErrCurrency, code)
	}
	u, err := currency.ParseISO(c)
	if err != nil {
		return "", 0, fmt.Errorf("%w: %q", ErrCurrency, code)
	}
	switch c {
	case "XXX", "XTS":
		// ISO-4217's "no currency" and "reserved for testing": no sale
		// is priced in them.
		return "", 0, fmt.Errorf("%w: %q is not a currency a sale is priced in", ErrCurrency, code)
	}
	scale, _ := currency.Standard.Rounding(u)
	return u.String(), scale, nil
}

// Parse converts a decimal string in cur to minor units. It accepts an
// optional leading '-', digits, and a '.' with at most the currency's
// number of fractional digits (extra trailing zeros are allowed).
func Parse(s, cur string) (int64, error) {
	_, scale, err := Currency(cur)
	if err != nil {
		return 0, err
	}
	return ParseScale(s, scale)
}

// ParseScale converts a decimal string to an integer scaled by 10^scale.
func ParseScale(s string, scale int) (int64, error) {
	in := s
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%w: %q", ErrAmount, in)
	}
	for len(frac) > scale && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(frac) > scale {
		return 0, fmt.Errorf("%w: %q has more than %d decimal places", ErrAmount, in, scale)
	}
	var v int64
	digits := whole + frac + strings.Repeat("0", scale-len(frac))
	if digits == "" {
		return 0, fmt.Errorf("%w: %q", ErrAmount, in)
	}
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q is not a decimal number", ErrAmount, in)
		}
		v = v*10 + int64(c-'0')
		if v > Max {
			return 0, fmt.Errorf("%w: %q exceeds %d minor units", ErrAmount, in, Max)
		}
	}
	if neg {
		v = -v
	}
	return v, nil
}

// Format renders minor units as a decimal string in cur, for logs and
// reports.
func Format(v int64, cur string) string {
	_, scale, err := Currency(cur)
	if err != nil || scale == 0 {
		return fmt.Sprintf("%d", v)
	}
	sign := ""
	if v < 0 {
		sign = "-"
		v = -v
	}
	p := int64(1)
	for i := 0; i < scale; i++ {
		p *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, v/p, scale, v%p)
}
