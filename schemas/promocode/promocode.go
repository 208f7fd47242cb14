package promocode

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxLen is the longest code accepted, in characters.
const MaxLen = 64

// ErrInvalid is wrapped by errors about a code's form.
var ErrInvalid = errors.New("promocode: invalid code")

// Normalize returns the canonical form of a code: trimmed, NFKC, upper case.
// It rejects empty codes, codes longer than MaxLen, invalid UTF-8, and codes
// with spaces or control characters inside.
func Normalize(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalid)
	}
	c := strings.ToUpper(norm.NFKC.String(strings.TrimSpace(s)))
	c = strings.TrimSpace(c)
	if c == "" {
		return "", fmt.Errorf("%w: empty", ErrInvalid)
	}
	if n := utf8.RuneCountInString(c); n > MaxLen {
		return "", fmt.Errorf("%w: %d characters, at most %d", ErrInvalid, n, MaxLen)
	}
	for _, r := range c {
		if unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) {
			return "", fmt.Errorf("%w: %q contains a space or control character", ErrInvalid, s)
		}
	}
	return c, nil
}
