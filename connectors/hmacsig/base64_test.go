package hmacsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func TestVerifyBase64(t *testing.T) {
	const header = "X-Shopify-Hmac-Sha256"
	body := []byte(`{"id":1}`)
	good := b64MAC(testSecret, string(body))
	tests := []struct {
		name    string
		sig     string
		body    []byte
		secrets []string
		wantMsg string // "" means valid
	}{
		{"valid", good, body, []string{testSecret}, ""},
		{"alternate secret matches", good, body, []string{"whsec_other", testSecret}, ""},
		{"missing", "", body, []string{testSecret}, "missing X-Shopify-Hmac-Sha256 header"},
		{"empty secret", good, body, []string{""}, "empty secret"},
		{"no secret", good, body, nil, "empty secret"},
		{"not base64", "!!!", body, []string{testSecret}, "X-Shopify-Hmac-Sha256 is not a base64 HMAC-SHA256"},
		{"short", base64.StdEncoding.EncodeToString([]byte("abc")), body, []string{testSecret}, "is not a base64 HMAC-SHA256"},
		{"tampered body", good, []byte(`{"id":2}`), []string{testSecret}, "HMAC does not match"},
		{"wrong secret", good, body, []string{"whsec_other"}, "HMAC does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyBase64(header, tt.sig, tt.body, tt.secrets...)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("VerifyBase64 = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrSignature) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("VerifyBase64 = %v, want ErrSignature containing %q", err, tt.wantMsg)
			}
		})
	}
}

func mac(secret, payload string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

func hexMAC(secret, payload string) string { return hex.EncodeToString(mac(secret, payload)) }

func b64MAC(secret, payload string) string {
	return base64.StdEncoding.EncodeToString(mac(secret, payload))
}
