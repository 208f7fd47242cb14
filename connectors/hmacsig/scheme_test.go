package hmacsig

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var (
	testNow    = time.Unix(1700000000, 0)
	testSecret = "whsec_test"
	stripeLike = Scheme{Header: "Stripe-Signature", Sep: ",", TimeKey: "t", TimeName: "timestamp", SigKey: "v1", PayloadSep: '.'}
	paddleLike = Scheme{Header: "Paddle-Signature", Sep: ";", TimeKey: "ts", TimeName: "ts", SigKey: "h1", PayloadSep: ':'}
)

func TestSchemeSign(t *testing.T) {
	// Known answers: HMAC-SHA256("whsec_test", "1700000000.{}") and
	// ("whsec_test", "1700000000:{}").
	tests := []struct {
		s    Scheme
		want string
	}{
		{stripeLike, "t=1700000000,v1=" + hexMAC(testSecret, "1700000000.{}")},
		{paddleLike, "ts=1700000000;h1=" + hexMAC(testSecret, "1700000000:{}")},
	}
	for _, tt := range tests {
		if got := tt.s.Sign(testSecret, testNow, []byte("{}")); got != tt.want {
			t.Errorf("%s: Sign = %q, want %q", tt.s.Header, got, tt.want)
		}
	}
}

func TestSchemeVerify(t *testing.T) {
	b := []byte(`{"id":"evt_1"}`)
	for _, s := range []Scheme{stripeLike, paddleLike} {
		good := s.Sign(testSecret, testNow, b)
		other := s.Sign("whsec_other", testNow, b)
		ts, sig, _ := strings.Cut(good, s.Sep)
		tk := s.TimeKey + "="
		tests := []struct {
			name    string
			secret  string
			header  string
			body    []byte
			now     time.Time
			want    error
			wantMsg string
		}{
			{"valid", testSecret, good, b, testNow, nil, ""},
			{"second signature matches", testSecret, other + s.Sep + sig, b, testNow, nil, ""},
			{"other keys and spaces skipped", testSecret, ts + s.Sep + " v0=abc" + s.Sep + " " + sig, b, testNow, nil, ""},
			{"within tolerance", testSecret, good, b, testNow.Add(5 * time.Minute), nil, ""},
			{"empty secret", "", good, b, testNow, ErrSignature, "empty secret"},
			{"tampered body", testSecret, good, []byte(`{}`), testNow, ErrSignature, "no " + s.SigKey + " signature matches"},
			{"stale", testSecret, good, b, testNow.Add(6 * time.Minute), ErrStale, s.TimeName + " 1700000000 is 6m0s from now, tolerance 5m0s"},
			{"future", testSecret, good, b, testNow.Add(-6 * time.Minute), ErrStale, "-6m0s from now"},
			{"stale but forged", testSecret, other, b, testNow.Add(time.Hour), ErrSignature, "matches"},
			{"missing", testSecret, "", b, testNow, ErrSignature, "missing " + s.Header + " header"},
			{"too long", testSecret, good + s.Sep + strings.Repeat("x", 4096), b, testNow, ErrSignature, s.Header + " header longer than 4096 bytes"},
			{"no timestamp", testSecret, sig, b, testNow, ErrSignature, "no " + s.TimeName + " in " + s.Header + " header"},
			{"no signature", testSecret, ts, b, testNow, ErrSignature, "no " + s.SigKey + " signature in " + s.Header + " header"},
			{"bad timestamp", testSecret, tk + "abc" + s.Sep + sig, b, testNow, ErrSignature, "malformed " + s.TimeName + " in " + s.Header + " header"},
			{"zero timestamp", testSecret, tk + "0" + s.Sep + sig, b, testNow, ErrSignature, "malformed"},
			{"two timestamps", testSecret, ts + s.Sep + ts + s.Sep + sig, b, testNow, ErrSignature, "malformed"},
			{"non-hex signature", testSecret, ts + s.Sep + s.SigKey + "=zz" + sig[len(s.SigKey)+3:], b, testNow, ErrSignature, "no " + s.SigKey + " signature in"},
			{"short signature", testSecret, ts + s.Sep + s.SigKey + "=abcd", b, testNow, ErrSignature, "no " + s.SigKey + " signature in"},
			{"other separator", testSecret, strings.ReplaceAll(good, s.Sep, "|"), b, testNow, ErrSignature, "malformed " + s.TimeName},
		}
		for _, tt := range tests {
			t.Run(s.Header+"/"+tt.name, func(t *testing.T) {
				h := http.Header{}
				if tt.header != "" {
					h.Set(s.Header, tt.header)
				}
				err := s.Verify(tt.secret, h, tt.body, tt.now, 5*time.Minute)
				if tt.want == nil {
					if err != nil {
						t.Fatalf("Verify = %v, want nil", err)
					}
					return
				}
				if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("Verify = %v, want %v containing %q", err, tt.want, tt.wantMsg)
				}
			})
		}
	}
}

func TestSchemeVerifyComparesAtMostMaxSignatures(t *testing.T) {
	b := []byte("{}")
	good := stripeLike.Sign(testSecret, testNow, b)
	ts, sig, _ := strings.Cut(good, ",")
	wrong := "v1=" + strings.Repeat("00", 32)
	h := ts + strings.Repeat(","+wrong, maxSignatures) + "," + sig
	err := stripeLike.Verify(testSecret, http.Header{"Stripe-Signature": {h}}, b, testNow, time.Minute)
	if !errors.Is(err, ErrSignature) {
		t.Fatalf("signature past the limit was compared: %v", err)
	}
}

// FuzzSchemeVerify checks that no header panics and that every error wraps
// ErrSignature or ErrStale.
func FuzzSchemeVerify(f *testing.F) {
	b := []byte("{}")
	f.Add(stripeLike.Sign(testSecret, testNow, b))
	f.Add(paddleLike.Sign(testSecret, testNow, b))
	f.Add("t=1,v1=zz;ts=2;h1=")
	f.Add("t=99999999999999999999")
	f.Fuzz(func(t *testing.T, h string) {
		for _, s := range []Scheme{stripeLike, paddleLike} {
			err := s.Verify(testSecret, http.Header{s.Header: {h}}, b, testNow, time.Minute)
			if err != nil && !errors.Is(err, ErrSignature) && !errors.Is(err, ErrStale) {
				t.Fatalf("%s %q: %v", s.Header, h, err)
			}
		}
	})
}
