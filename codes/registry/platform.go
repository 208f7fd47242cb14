package registry

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/heldsway/heldsway/schemas/promocode"
)

// The store platforms a code can be synced to.
const (
	PlatformStripe      = "stripe"
	PlatformPaddle      = "paddle"
	PlatformShopify     = "shopify"
	PlatformWooCommerce = "woocommerce"
)

// Platforms lists every platform whose code rules are known, in a stable
// order.
var Platforms = []string{PlatformStripe, PlatformPaddle, PlatformShopify, PlatformWooCommerce}

// ErrPlatform is wrapped by errors about a code a platform would reject.
var ErrPlatform = errors.New("registry: code not accepted by platform")

// ErrUnknownPlatform is wrapped when a platform name is not one of Platforms.
var ErrUnknownPlatform = errors.New("registry: unknown platform")

// KnownPlatform reports whether p is one of Platforms.
func KnownPlatform(p string) bool {
	for _, k := range Platforms {
		if p == k {
			return true
		}
	}
	return false
}

// ForPlatform normalises code and returns the form to send to platform:
// lower case for WooCommerce (which stores codes lower-cased), the
// normalised upper-case form for the others. It fails when the code is
// invalid (promocode.ErrInvalid) or breaks the platform's rules (ErrPlatform, see
// CheckPlatform).
func ForPlatform(code, platform string) (string, error) {
	c, err := promocode.Normalize(code)
	if err != nil {
		return "", err
	}
	if err := CheckPlatform(c, platform); err != nil {
		return "", err
	}
	if platform == PlatformWooCommerce {
		return strings.ToLower(c), nil
	}
	return c, nil
}

// CheckPlatform reports whether platform accepts the normalised code:
//
//   - stripe: ASCII letters, digits and '-', at most 500 characters
//   - paddle: ASCII letters and digits only, at most 32 characters
//   - shopify: at most 255 characters, no spaces
//   - woocommerce: any normalised code (sent lower-cased)
func CheckPlatform(code, platform string) error {
	n := utf8.RuneCountInString(code)
	switch platform {
	case PlatformStripe:
		if n > 500 {
			return fmt.Errorf("%w: stripe allows at most 500 characters, %q has %d", ErrPlatform, code, n)
		}
		if r, ok := firstOutside(code, true); !ok {
			return fmt.Errorf("%w: stripe allows only letters, digits and '-', %q contains %q", ErrPlatform, code, r)
		}
	case PlatformPaddle:
		if n > 32 {
			return fmt.Errorf("%w: paddle allows at most 32 characters, %q has %d", ErrPlatform, code, n)
		}
		if r, ok := firstOutside(code, false); !ok {
			return fmt.Errorf("%w: paddle allows only letters and digits, %q contains %q", ErrPlatform, code, r)
		}
	case PlatformShopify:
		if n > 255 {
			return fmt.Errorf("%w: shopify allows at most 255 characters, %q has %d", ErrPlatform, code, n)
		}
		if strings.ContainsAny(code, " \t") {
			return fmt.Errorf("%w: shopify does not allow spaces in %q", ErrPlatform, code)
		}
	case PlatformWooCommerce:
	default:
		return fmt.Errorf("%w: %q (want one of %s)", ErrUnknownPlatform, platform, strings.Join(Platforms, ", "))
	}
	return nil
}

// firstOutside returns the first rune of s that is not an ASCII letter or
// digit (or '-' when dash is set).
func firstOutside(s string, dash bool) (rune, bool) {
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-' && dash:
		default:
			return r, false
		}
	}
	return 0, true
}
