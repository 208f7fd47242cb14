package hmacsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// VerifyBase64 checks sig, the value of the header named header, as the
// standard base64 HMAC-SHA256 of body under any of secrets, in constant
// time: every secret is tried, so the time does not reveal which matched.
// A platform passes its configured secret, then any other form of it the
// platform may have keyed the HMAC with. An empty secret, or none, is an
// error. Errors wrap ErrSignature and name header.
func VerifyBase64(header, sig string, body []byte, secrets ...string) error {
	if sig == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, header)
	}
	if len(secrets) == 0 {
		return fmt.Errorf("%w: empty secret", ErrSignature)
	}
	for _, s := range secrets {
		if s == "" {
			return fmt.Errorf("%w: empty secret", ErrSignature)
		}
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s is not a base64 HMAC-SHA256", ErrSignature, header)
	}
	ok := false
	for _, s := range secrets {
		m := hmac.New(sha256.New, []byte(s))
		m.Write(body)
		ok = hmac.Equal(got, m.Sum(nil)) || ok
	}
	if !ok {
		return fmt.Errorf("%w: HMAC does not match", ErrSignature)
	}
	return nil
}

// Present checks, before the body is read, that sig (the value of the
// header named header) is there; the error is VerifyBase64's for a missing
// header.
func Present(header, sig string) error {
	if sig == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, header)
	}
	return nil
}
