package stripe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heldsway/heldsway/connectors/webhook"
)

// SignatureHeader is the header Stripe signs deliveries with.
const SignatureHeader = "Stripe-Signature"

const (
	maxHeaderLen  = 4096
	maxSignatures = 16
)

// signedHeader is a parsed Stripe-Signature header.
type signedHeader struct {
	t   int64
	v1s [][]byte
}

// parseSignature parses "t=<unix>,v1=<hex>[,v1=<hex>...]". Unknown schemes
// (v0) and v1 values that are not hex are skipped, as Stripe's libraries do;
// a header without a timestamp or without any usable v1 is malformed.
func parseSignature(h string) (signedHeader, error) {
	var s signedHeader
	if h == "" {
		return s, fmt.Errorf("%w: missing %s header", webhook.ErrSignature, SignatureHeader)
	}
	if len(h) > maxHeaderLen {
		return s, fmt.Errorf("%w: %s header longer than %d bytes", webhook.ErrSignature, SignatureHeader, maxHeaderLen)
	}
	haveT := false
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			t, err := strconv.ParseInt(v, 10, 64)
			if err != nil || t <= 0 || haveT {
				return s, fmt.Errorf("%w: malformed timestamp in %s header", webhook.ErrSignature, SignatureHeader)
			}
			s.t, haveT = t, true
		case "v1":
			if len(v) != 2*sha256.Size || len(s.v1s) == maxSignatures {
				continue
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				continue
			}
			s.v1s = append(s.v1s, b)
		}
	}
	if !haveT {
		return s, fmt.Errorf("%w: no timestamp in %s header", webhook.ErrSignature, SignatureHeader)
	}
	if len(s.v1s) == 0 {
		return s, fmt.Errorf("%w: no v1 signature in %s header", webhook.ErrSignature, SignatureHeader)
	}
	return s, nil
}

func mac(secret string, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns a Stripe-Signature header value for body signed with secret
// at t, as Stripe computes it. It is for tests and local tooling.
func Sign(secret string, t time.Time, body []byte) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + hex.EncodeToString(mac(secret, t.Unix(), body))
}

// verify checks the header against secret and body, then the timestamp
// against now ± tolerance. The timestamp is judged only for an authentic
// request, so a stale answer is never given to a forger.
func verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: empty secret", webhook.ErrSignature)
	}
	sh, err := parseSignature(h.Get(SignatureHeader))
	if err != nil {
		return err
	}
	want := mac(secret, sh.t, body)
	match := 0
	for _, got := range sh.v1s {
		match |= subtleEqual(want, got)
	}
	if match == 0 {
		return fmt.Errorf("%w: no v1 signature matches", webhook.ErrSignature)
	}
	skew := now.Sub(time.Unix(sh.t, 0))
	if skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: timestamp %d is %s from now, tolerance %s", webhook.ErrStale, sh.t, skew.Round(time.Second), tolerance)
	}
	return nil
}

// subtleEqual compares in constant time and returns 1 on a match; every
// candidate is compared so the time does not reveal which one matched.
func subtleEqual(a, b []byte) int {
	if hmac.Equal(a, b) {
		return 1
	}
	return 0
}
