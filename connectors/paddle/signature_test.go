package paddle

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heldsway/heldsway/connectors/hmacsig"
)

// TestVectors verifies Paddle's own SDK vectors. Their timestamps are old,
// so each is verified at its own ts.
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/signature_vectors/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Vectors []struct {
			BodyFile   string   `json:"body_file"`
			BodyInline string   `json:"body_inline"`
			Header     string   `json:"Paddle-Signature"`
			Secret     string   `json:"secret"`
			Secrets    []string `json:"secrets_tried"`
		} `json:"vectors"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) != 3 {
		t.Fatalf("%d vectors", len(v.Vectors))
	}
	p := newTestPlatform(t, nil)
	for _, vec := range v.Vectors {
		t.Run(vec.Header[:13], func(t *testing.T) {
			body := []byte(vec.BodyInline)
			if vec.BodyFile != "" {
				if body, err = os.ReadFile(filepath.Join("testdata/signature_vectors", vec.BodyFile)); err != nil {
					t.Fatal(err)
				}
			}
			ts, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(vec.Header, ";")[0], "ts="), 10, 64)
			now := time.Unix(ts, 0)
			h := http.Header{SignatureHeader: {vec.Header}}
			secrets := vec.Secrets
			if vec.Secret != "" {
				secrets = []string{vec.Secret}
			}
			ok := false
			for _, s := range secrets {
				if p.Verify(s, h, body, now) == nil {
					ok = true
				}
			}
			if !ok {
				t.Fatal("no secret verifies the vector")
			}
			if err := p.Verify(secrets[len(secrets)-1], h, body, now.Add(time.Hour)); !errors.Is(err, hmacsig.ErrStale) {
				t.Fatalf("an hour later: %v, want stale", err)
			}
			if err := p.Verify(secrets[len(secrets)-1], h, append(body, ' '), now); !errors.Is(err, hmacsig.ErrSignature) {
				t.Fatalf("tampered: %v", err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	p := newTestPlatform(t, nil)
	b := []byte(`{"event_id":"evt_1"}`)
	good := Sign(testSecret, testNow, b)
	other := Sign("pdl_other", testNow, b)
	ts := "ts=" + strconv.FormatInt(testNow.Unix(), 10)
	h1 := good[len(ts)+1:]
	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", good, b, testNow, nil},
		{"multiple h1, second matches", other + ";" + h1, b, testNow, nil},
		{"dummy h1 skipped", ts + ";h1=dummy;" + h1, b, testNow, nil},
		{"tampered", good, []byte(`{"event_id":"evt_2"}`), testNow, hmacsig.ErrSignature},
		{"wrong secret", other, b, testNow, hmacsig.ErrSignature},
		{"stale", good, b, testNow.Add(6 * time.Minute), hmacsig.ErrStale},
		{"future", good, b, testNow.Add(-6 * time.Minute), hmacsig.ErrStale},
		{"missing", "", b, testNow, hmacsig.ErrSignature},
		{"no ts", h1, b, testNow, hmacsig.ErrSignature},
		{"no h1", ts, b, testNow, hmacsig.ErrSignature},
		{"bad ts", "ts=x;" + h1, b, testNow, hmacsig.ErrSignature},
		{"two ts", ts + ";" + ts + ";" + h1, b, testNow, hmacsig.ErrSignature},
		{"stripe-style commas", strings.ReplaceAll(good, ";", ","), b, testNow, hmacsig.ErrSignature},
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
