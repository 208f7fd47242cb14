package registry

import (
	"errors"
	"strings"
	"testing"

	"github.com/heldsway/heldsway/schemas/promocode"
)

func TestForPlatform(t *testing.T) {
	tests := []struct {
		code, platform, want string
		err                  error
	}{
		{" sarah10 ", PlatformStripe, "SARAH10", nil},
		{"sarah10", PlatformWooCommerce, "sarah10", nil},
		{"ＳＡＲＡＨ１０", PlatformWooCommerce, "sarah10", nil},
		{"partner-john-x7", PlatformStripe, "PARTNER-JOHN-X7", nil},
		{"partner-john-x7", PlatformPaddle, "", ErrPlatform},
		{"partner-john-x7", PlatformShopify, "PARTNER-JOHN-X7", nil},
		{"30$off", PlatformStripe, "", ErrPlatform},
		{"30$off", PlatformShopify, "30$OFF", nil},
		{"ÉTÉ20", PlatformPaddle, "", ErrPlatform},
		{strings.Repeat("A", 33), PlatformPaddle, "", ErrPlatform},
		{strings.Repeat("A", 32), PlatformPaddle, strings.Repeat("A", 32), nil},
		{"a b", PlatformShopify, "", promocode.ErrInvalid},
		{"x", "magento", "", ErrUnknownPlatform},
	}
	for _, tt := range tests {
		got, err := ForPlatform(tt.code, tt.platform)
		if got != tt.want || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
			t.Errorf("ForPlatform(%q, %s) = %q, %v; want %q, %v", tt.code, tt.platform, got, err, tt.want, tt.err)
		}
	}
}
