package paddle

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

// SignatureHeader is the header Paddle signs notifications with.
const SignatureHeader = "Paddle-Signature"

const (
	maxHeaderLen  = 4096
	maxSignatures = 16
)

type signedHeader struct {
	ts  int64
	h1s [][]byte
}

// parseSignature parses "ts=<unix>;h1=<hex>[;h1=<hex>...]". h1 values that
// are not 32 hex bytes are skipped (Paddle's SDK tests send "h1=dummy"
// beside a real one); a header without ts or without a usable h1 is
// malformed.
func parseSignature(h string) (signedHeader, error) {
	var s signedHeader
	if h == "" {
		return s, fmt.Errorf("%w: missing %s header", webhook.ErrSignature, SignatureHeader)
	}
	if len(h) > maxHeaderLen {
		return s, fmt.Errorf("%w: %s header longer than %d bytes", webhook.ErrSignature, SignatureHeader, maxHeaderLen)
	}
	haveTS := false
	for _, part := range strings.Split(h, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "ts":
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ts <= 0 || haveTS {
				return s, fmt.Errorf("%w: malformed ts in %s header", webhook.ErrSignature, SignatureHeader)
			}
			s.ts, haveTS = ts, true
		case "h1":
			if len(v) != 2*sha256.Size || len(s.h1s) == maxSignatures {
				continue
			}
			b, err := hex.DecodeString(v)
			if err != nil {
				continue
			}
			s.h1s = append(s.h1s, b)
		}
	}
	if !haveTS {
		return s, fmt.Errorf("%w: no ts in %s header", webhook.ErrSignature, SignatureHeader)
	}
	if len(s.h1s) == 0 {
		return s, fmt.Errorf("%w: no h1 signature in %s header", webhook.ErrSignature, SignatureHeader)
	}
	return s, nil
}

func mac(secret string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{':'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns a Paddle-Signature header value for body signed with secret
// at t, as Paddle computes it. It is for tests and local tooling.
func Sign(secret string, t time.Time, body []byte) string {
	return "ts=" + strconv.FormatInt(t.Unix(), 10) + ";h1=" + hex.EncodeToString(mac(secret, t.Unix(), body))
}

// verify checks the header against secret and body, then ts against now ±
// tolerance; staleness is reported only for an authentic request.
func verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: empty secret", webhook.ErrSignature)
	}
	sh, err := parseSignature(h.Get(SignatureHeader))
	if err != nil {
		return err
	}
	want := mac(secret, sh.ts, body)
	match := false
	for _, got := range sh.h1s {
		if hmac.Equal(want, got) {
			match = true
		}
	}
	if !match {
		return fmt.Errorf("%w: no h1 signature matches", webhook.ErrSignature)
	}
	skew := now.Sub(time.Unix(sh.ts, 0))
	if skew > tolerance || skew < -tolerance {
		return fmt.Errorf("%w: ts %d is %s from now, tolerance %s", webhook.ErrStale, sh.ts, skew.Round(time.Second), tolerance)
	}
	return nil
}
