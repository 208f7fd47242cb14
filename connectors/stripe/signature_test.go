package stripe

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/hmacsig"
)

func TestVerify(t *testing.T) {
	p := newTestPlatform(t, nil)
	b := []byte(`{"id":"evt_1","type":"plan.created"}`)
	good := Sign(testSecret, testNow, b)
	other := Sign("whsec_other", testNow, b)
	ts := "t=" + strconv.FormatInt(testNow.Unix(), 10)
	v1 := good[len(ts)+1:]
	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", good, b, testNow, nil},
		{"multiple v1, second matches", other + "," + v1, b, testNow, nil},
		{"v0 and spaces ignored", ts + ", v0=abc, " + v1, b, testNow, nil},
		{"tampered body", good, []byte(`{"id":"evt_2","type":"plan.created"}`), testNow, hmacsig.ErrSignature},
		{"wrong secret", other, b, testNow, hmacsig.ErrSignature},
		{"stale", good, b, testNow.Add(6 * time.Minute), hmacsig.ErrStale},
		{"within tolerance", good, b, testNow.Add(5 * time.Minute), nil},
		{"future", good, b, testNow.Add(-6 * time.Minute), hmacsig.ErrStale},
		{"stale but forged", Sign("whsec_other", testNow, b), b, testNow.Add(time.Hour), hmacsig.ErrSignature},
		{"missing", "", b, testNow, hmacsig.ErrSignature},
		{"no timestamp", v1, b, testNow, hmacsig.ErrSignature},
		{"no v1", ts, b, testNow, hmacsig.ErrSignature},
		{"bad timestamp", "t=abc," + v1, b, testNow, hmacsig.ErrSignature},
		{"negative timestamp", "t=-5," + v1, b, testNow, hmacsig.ErrSignature},
		{"two timestamps", ts + "," + ts + "," + v1, b, testNow, hmacsig.ErrSignature},
		{"non-hex v1", ts + ",v1=zz" + v1[5:], b, testNow, hmacsig.ErrSignature},
		{"short v1", ts + ",v1=abcd", b, testNow, hmacsig.ErrSignature},
		{"garbage", "nonsense", b, testNow, hmacsig.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.header != "" {
				h.Set(SignatureHeader, tt.header)
			}
			err := p.Verify(testSecret, h, tt.body, tt.now)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := p.Verify("", http.Header{SignatureHeader: {good}}, b, testNow); !errors.Is(err, hmacsig.ErrSignature) {
		t.Fatalf("empty secret: %v", err)
	}
}

func TestVerifyTolerance(t *testing.T) {
	p := New(Config{Tolerance: time.Second})
	b := []byte("{}")
	h := http.Header{SignatureHeader: {Sign(testSecret, testNow, b)}}
	if err := p.Verify(testSecret, h, b, testNow.Add(2*time.Second)); !errors.Is(err, hmacsig.ErrStale) {
		t.Fatalf("got %v, want stale", err)
	}
}
