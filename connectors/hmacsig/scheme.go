package hmacsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxHeaderLen bounds the signature header read, in bytes.
	maxHeaderLen = 4096
	// maxSignatures bounds the signatures compared per request; more are
	// skipped.
	maxSignatures = 16
)

// Scheme is a timestamped signature header: parts key=value separated by
// Sep, one TimeKey part holding the Unix time of signing and one or more
// SigKey parts each holding a hex HMAC-SHA256, under the endpoint secret,
// of the decimal timestamp, PayloadSep and the raw body. Parts with other
// keys, and SigKey values that are not 32 hex bytes, are skipped; a header
// without a timestamp or without a usable signature is malformed.
type Scheme struct {
	// Header is the HTTP header carrying the signature, e.g.
	// "Stripe-Signature". It is named in error messages.
	Header string
	// Sep separates the parts: "," for Stripe, ";" for Paddle.
	Sep string
	// TimeKey is the key of the timestamp part: "t", "ts".
	TimeKey string
	// TimeName names the timestamp in error messages: "timestamp", "ts".
	TimeName string
	// SigKey is the key of a signature part: "v1", "h1". It is named in
	// error messages.
	SigKey string
	// PayloadSep joins the timestamp and the body in the signed payload:
	// '.' for Stripe, ':' for Paddle.
	PayloadSep byte
}

// signed is a parsed header.
type signed struct {
	ts   int64
	sigs [][]byte
}

// Sign returns a header value for body signed with secret at t, with a
// single signature, as the platform computes it. It is for tests and local
// tooling.
func (s Scheme) Sign(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return s.TimeKey + "=" + strconv.FormatInt(ts, 10) + s.Sep + s.SigKey + "=" + hex.EncodeToString(s.mac(secret, ts, body))
}

// Verify checks the s.Header of h against secret and body, then the
// timestamp against now ± tolerance. Errors wrap ErrSignature, or
// ErrStale for an authentic request outside the tolerance.
func (s Scheme) Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: empty secret", ErrSignature)
	}
	sh, err := s.parse(h.Get(s.Header))
	if err != nil {
		return err
	}
	want := s.mac(secret, sh.ts, body)
	match := false
	for _, got := range sh.sigs {
		// Every candidate is compared, so the time does not reveal which
		// one matched.
		if hmac.Equal(want, got) {
			match = true
		}
	}
	if !match {
		return fmt.Errorf("%w: no %s signature matches", ErrSignature, s.SigKey)
	}
	skew := now.Sub(time.Unix(sh.ts, 0))
	if skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: %s %d is %s from now, tolerance %s", ErrStale, s.TimeName, sh.ts, skew.Round(time.Second), tolerance)
	}
	return nil
}

// Present checks, before the body is read, that h carries s.Header; the
// error is Verify's for a missing header.
func (s Scheme) Present(h http.Header) error {
	if h.Get(s.Header) == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, s.Header)
	}
	return nil
}

// parse reads a header value; see Scheme for its shape.
func (s Scheme) parse(h string) (signed, error) {
	var sh signed
	if h == "" {
		return sh, fmt.Errorf("%w: missing %s header", ErrSignature, s.Header)
	}
	if len(h) > maxHeaderLen {
		return sh, fmt.Errorf("%w: %s header longer than %d bytes", ErrSignature, s.Header, maxHeaderLen)
	}
	haveTS := false
	for _, part := range strings.Split(h, s.Sep) {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case s.TimeKey:
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ts <= 0 || haveTS {
				return sh, fmt.Errorf("%w: malformed %s in %s header", ErrSignature, s.TimeName, s.Header)
			}
			sh.ts, haveTS = ts, true
		case s.SigKey:
			if len(v) != 2*sha256.Size || len(sh.sigs) == maxSignatures {
				continue
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				continue
			}
			sh.sigs = append(sh.sigs, b)
		}
	}
	if !haveTS {
		return sh, fmt.Errorf("%w: no %s in %s header", ErrSignature, s.TimeName, s.Header)
	}
	if len(sh.sigs) == 0 {
		return sh, fmt.Errorf("%w: no %s signature in %s header", ErrSignature, s.SigKey, s.Header)
	}
	return sh, nil
}

func (s Scheme) mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{s.PayloadSep})
	m.Write(body)
	return m.Sum(nil)
}
